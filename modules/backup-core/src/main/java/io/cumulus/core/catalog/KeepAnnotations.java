package io.cumulus.core.catalog;

import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * barman-cloud's keep annotations, the objects {@code base/<backup_id>/annotations/keep} holding
 * {@code full} or {@code standalone} (reference §2.5): read for every backup with one paginated
 * listing of {@code base/}, or for one backup directly; written and released by cumulus-backup-keep.
 */
public final class KeepAnnotations {

    private static final String KEEP_SUFFIX = "/annotations/keep";

    private final BlobStore store;
    private final ServerLayout layout;

    public KeepAnnotations(BlobStore store, ServerLayout layout) {
        this.store = store;
        this.layout = layout;
    }

    /** The key of {@code id}'s keep annotation. */
    public String key(BackupId id) {
        return layout.backupPrefix(id.value()) + "annotations/keep";
    }

    /**
     * The keep target of every backup that has one, found as barman finds them: one recursive
     * listing of {@code base/} (every page of it), then a read of each annotation found.
     */
    public Map<BackupId, Keep> all() throws IOException {
        Set<BackupId> annotated = new HashSet<>();
        String base = layout.basePrefix();
        BlobIterator it = store.list(base);
        while (it.hasNext()) {
            BlobInfo blob = it.next();
            String rest = blob.key().substring(base.length());
            if (rest.endsWith(KEEP_SUFFIX)) {
                String dir = rest.substring(0, rest.length() - KEEP_SUFFIX.length());
                if (BackupId.isBackupId(dir)) {
                    annotated.add(new BackupId(dir));
                }
            }
        }
        Map<BackupId, Keep> result = new TreeMap<>();
        for (BackupId id : annotated) {
            read(id).ifPresent(keep -> result.put(id, keep));
        }
        return result;
    }

    /** {@code id}'s keep target read directly (no listing), empty when it has no annotation. */
    public Optional<Keep> read(BackupId id) throws IOException {
        try (InputStream in = store.openRead(key(id));
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String first = reader.readLine();
            return Optional.of(Keep.ofAnnotation(first == null ? "" : first));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes {@code id}'s annotation: the target's name, UTF-8, no newline, as barman writes it.
     *
     * @param options how it is written: with the tags the backup was written with
     */
    public void keep(BackupId id, Keep keep, WriteOptions options) throws IOException {
        byte[] body = keep.target().getBytes(StandardCharsets.UTF_8);
        ObjectWrites.write(store, key(id), options, out -> out.write(body));
    }

    /** Deletes {@code id}'s annotation; succeeds when there is none. */
    public void release(BackupId id) throws IOException {
        store.delete(key(id));
    }
}
