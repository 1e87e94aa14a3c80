package io.cumulus.core.wal;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a WAL file is in the archive: one listing of its name in its directory finds it under any
 * compression suffix (barman-cloud and Cumulus name a copy {@code NAME}, {@code NAME.gz}, {@code NAME.zst}...).
 * The one place that knows it, for the archiver (is it there already?), the restorer (where is it?), the
 * backup (is its end WAL there?) and the restore's timeline lookup (a history file).
 */
public final class WalObjects {

    private WalObjects() {
    }

    /**
     * The key holding {@code wal} in {@code store} under {@code layout}: a full copy under any compression if
     * there is one, else (when {@code allowPartial} and {@code wal} is a segment) its {@code .partial}.
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
}
