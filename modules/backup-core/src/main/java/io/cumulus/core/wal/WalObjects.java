package io.cumulus.core.wal;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where a WAL file is in the archive: one listing of its name in its directory finds it under any
 * compression suffix (barman-cloud and Cumulus name a copy {@code NAME}, {@code NAME.gz}, {@code NAME.zst}...).
 * The one place that knows it, for the archiver (is it there already?), the restorer (where is it?) and
 * the restore's timeline lookup (a history file).
 */
public final class WalObjects {

    private WalObjects() {
    }

    /**
     * The key holding {@code wal} in {@code store} under {@code layout}: a full copy under any compression if
     * there is one (the first in key order, {@link BlobStore#KEY_ORDER}: the one {@code cumulus-wal-restore}
     * serves when there are several), else (when {@code allowPartial} and {@code wal} is a segment) its
     * {@code .partial}.
     */
    public static Optional<String> find(BlobStore store, ServerLayout layout, WalName wal, boolean allowPartial)
            throws IOException {
        String directory = layout.walDirectory(wal);
        String partialName = wal.name() + ".partial";
        String partial = null;
        BlobIterator listing = store.list(directory + wal.name());
        while (listing.hasNext()) {
            BlobInfo info = listing.next();
            String base = Compression.withoutSuffix(info.key().substring(directory.length()));
            if (base.equals(wal.name())) {
                return Optional.of(info.key());
            }
            if (partial == null && allowPartial && wal.kind() == WalName.Kind.SEGMENT && base.equals(partialName)) {
                partial = info.key();
            }
        }
        return Optional.ofNullable(partial);
    }

    /**
     * Every full copy of {@code wal} under any compression, in key order: the first is the one {@link #find}
     * returns. One listing, as {@link #find}'s; more than one copy only when archivers raced.
     */
    public static List<String> copies(BlobStore store, ServerLayout layout, WalName wal) throws IOException {
        String directory = layout.walDirectory(wal);
        List<String> copies = new ArrayList<>();
        BlobIterator listing = store.list(directory + wal.name());
        while (listing.hasNext()) {
            String key = listing.next().key();
            if (Compression.withoutSuffix(key.substring(directory.length())).equals(wal.name())) {
                copies.add(key);
            }
        }
        return copies;
    }
}
