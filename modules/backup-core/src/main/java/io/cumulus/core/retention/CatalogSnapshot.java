package io.cumulus.core.retention;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.UnfinishedWrites;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The catalog as retention needs it, read from the store in one go: every backup with its keep
 * annotation, the backups whose backup.info cannot be read, the directories that never got one;
 * and (on demand) the WAL objects, streamed. Every
 * listing is read to its last page.
 *
 * @param backups the readable backups, oldest first
 * @param unreadable the backups whose backup.info exists but cannot be read, with why
 * @param incomplete the directories under {@code base/} with objects but no backup.info, oldest first
 */
public record CatalogSnapshot(List<CatalogBackup> backups, Map<BackupId, String> unreadable,
                              List<IncompleteBackup> incomplete) {

    public CatalogSnapshot {
        backups = List.copyOf(backups);
        unreadable = Map.copyOf(unreadable);
        incomplete = List.copyOf(incomplete);
    }

    public CatalogSnapshot(List<CatalogBackup> backups, Map<BackupId, String> unreadable) {
        this(backups, unreadable, List.of());
    }

    /** Reads every backup.info and every keep annotation under {@code layout}, and every incomplete backup. */
    public static CatalogSnapshot read(BlobStore store, ServerLayout layout) throws IOException {
        return read(store, layout, id -> true);
    }

    /**
     * Reads every backup.info and every keep annotation under {@code layout}; of the directories without
     * a backup.info, lists only those {@code incompleteWanted} accepts (one LIST each), the others are
     * left out of {@link #incomplete()}.
     */
    public static CatalogSnapshot read(BlobStore store, ServerLayout layout, Predicate<BackupId> incompleteWanted)
            throws IOException {
        BackupCatalog.Scan scan = new BackupCatalog(store, layout).scan();
        Map<BackupId, Keep> keeps = new KeepAnnotations(store, layout).all();
        List<CatalogBackup> backups = new ArrayList<>();
        for (BackupCatalog.Entry e : scan.entries()) {
            backups.add(new CatalogBackup(e.id(), e.info(), Optional.ofNullable(keeps.get(e.id()))));
        }
        Map<BackupId, List<BlobInfo>> unfinished = unfinishedWrites(store, layout);
        // a directory that holds only unfinished writes is no prefix to a listing, so the scan missed it
        TreeSet<BackupId> candidates = new TreeSet<>(scan.incomplete());
        unfinished.keySet().stream().filter(id -> !scan.unreadable().containsKey(id))
                .filter(id -> scan.entries().stream().noneMatch(e -> e.id().equals(id))).forEach(candidates::add);
        List<IncompleteBackup> incomplete = new ArrayList<>();
        for (BackupId id : candidates.stream().filter(incompleteWanted).toList()) {
            List<BlobInfo> objects = new ArrayList<>();
            BlobIterator it = store.list(layout.backupPrefix(id.value()));
            while (it.hasNext()) {
                objects.add(it.next());
            }
            List<BlobInfo> leftovers = unfinished.getOrDefault(id, List.of());
            // a keep annotation says someone means to keep what is there: not a backup that died
            String annotations = layout.backupPrefix(id.value()) + "annotations/";
            if ((!objects.isEmpty() || !leftovers.isEmpty())
                    && objects.stream().noneMatch(o -> o.key().startsWith(annotations))) {
                incomplete.add(new IncompleteBackup(id, objects, leftovers));
            }
        }
        return new CatalogSnapshot(backups, scan.unreadable(), incomplete);
    }

    /**
     * The store's unfinished writes ({@link UnfinishedWrites}: file:// only) under {@code base/}, by the
     * backup directory that holds them; empty on other stores.
     */
    private static Map<BackupId, List<BlobInfo>> unfinishedWrites(BlobStore store, ServerLayout layout)
            throws IOException {
        Map<BackupId, List<BlobInfo>> byBackup = new TreeMap<>();
        if (!(store instanceof UnfinishedWrites leftovers)) {
            return byBackup;
        }
        for (BlobInfo write : leftovers.unfinishedWrites(layout.basePrefix())) {
            String relative = write.key().substring(layout.basePrefix().length());
            int slash = relative.indexOf('/');
            if (slash > 0 && BackupId.isBackupId(relative.substring(0, slash))) {
                byBackup.computeIfAbsent(new BackupId(relative.substring(0, slash)), id -> new ArrayList<>()).add(write);
            }
        }
        return byBackup;
    }

    /**
     * The WAL objects under {@code wals/}, handed over one at a time in key order as a listing
     * fetches them, never held: a delete decides per object, so an archive of any length fits its heap.
     */
    @FunctionalInterface
    public interface WalListing {
        /** Hands every WAL object to {@code each}; objects that are not WAL are left out. */
        void forEach(Consumer<WalObject> each) throws IOException;
    }

    /** The listing of every WAL object under {@code wals/}, read anew each time it is walked. */
    public static WalListing walListing(BlobStore store, ServerLayout layout) {
        return each -> {
            BlobIterator it = store.list(layout.walsPrefix());
            while (it.hasNext()) {
                WalObject.of(it.next().key()).ifPresent(each);
            }
        };
    }

    /**
     * Every WAL object under {@code wals/}, in key order, held in one list (some 330 bytes each): for
     * tests and small archives; a delete walks {@link #walListing} instead.
     */
    public static List<WalObject> walObjects(BlobStore store, ServerLayout layout) throws IOException {
        List<WalObject> result = new ArrayList<>();
        walListing(store, layout).forEach(result::add);
        return result;
    }
}
