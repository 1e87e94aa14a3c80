package io.cumulus.core.wal;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
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
     * What one listing of a WAL file's name shows.
     *
     * @param copies every full copy under any compression, in key order ({@link BlobStore#KEY_ORDER}): the first
     *     is the one {@code cumulus-wal-restore} serves when it serves a full copy ({@link WalRestorer#locate});
     *     more than one only when archivers raced
     * @param partial the segment's {@code .partial}, if the listing showed one
     */
    public record Listing(List<String> copies, Optional<String> partial) {

        /** The first full copy, else (when {@code allowPartial}) the {@code .partial}. */
        public Optional<String> key(boolean allowPartial) {
            return !copies.isEmpty() ? Optional.of(copies.get(0)) : allowPartial ? partial : Optional.empty();
        }
    }

    /** Lists {@code wal}'s name once: its full copies and, for a segment, its {@code .partial}. */
    public static Listing list(BlobStore store, ServerLayout layout, WalName wal) throws IOException {
        String directory = layout.walDirectory(wal);
        String partialName = wal.name() + ".partial";
        List<String> copies = new ArrayList<>();
        String partial = null;
        BlobIterator listing = store.list(directory + wal.name());
        while (listing.hasNext()) {
            String key = listing.next().key();
            String base = Compression.withoutSuffix(key.substring(directory.length()));
            if (base.equals(wal.name())) {
                copies.add(key);
            } else if (partial == null && wal.kind() == WalName.Kind.SEGMENT && base.equals(partialName)) {
                partial = key;
            }
        }
        return new Listing(List.copyOf(copies), Optional.ofNullable(partial));
    }

    /**
     * The key holding {@code wal} in {@code store} under {@code layout}: a full copy under any compression if
     * there is one (the first in key order, {@link BlobStore#KEY_ORDER}: the one {@code cumulus-wal-restore}
     * serves when there are several), else (when {@code allowPartial} and {@code wal} is a segment) its
     * {@code .partial}.
     */
    public static Optional<String> find(BlobStore store, ServerLayout layout, WalName wal, boolean allowPartial)
            throws IOException {
        return list(store, layout, wal).key(allowPartial);
    }

    /** Every full copy of {@code wal} under any compression, in key order: the first is the one {@link #find} returns. */
    public static List<String> copies(BlobStore store, ServerLayout layout, WalName wal) throws IOException {
        return list(store, layout, wal).copies();
    }
}
