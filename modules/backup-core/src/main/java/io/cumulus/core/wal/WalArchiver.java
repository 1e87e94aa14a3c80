package io.cumulus.core.wal;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.io.Digests;
import io.cumulus.core.io.Futures;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.FutureTask;

/**
 * Stores one WAL file PostgreSQL hands to {@code archive_command} at barman-cloud's key, and never
 * replaces a different file already archived under that name (under any compression): the same
 * content is a success, other content an {@link OperationFailedException}.
 */
public final class WalArchiver {

    /**
     * How WAL files are stored.
     *
     * @param compression the compression of new objects
     * @param level its level
     * @param tags tags of every object but history files
     * @param historyTags tags of {@code .history} files; when empty they get {@code tags}
     */
    public record Options(Compression compression, CompressionLevel level, Map<String, String> tags,
                          Map<String, String> historyTags) {
        public Options {
            Objects.requireNonNull(compression, "compression");
            Objects.requireNonNull(level, "level");
            tags = Map.copyOf(tags);
            historyTags = Map.copyOf(historyTags);
        }
    }

    /** What {@link #archive} did. */
    public enum Outcome {
        /** The file is now stored. */
        STORED,
        /** An identical copy was already archived; nothing was written. */
        ALREADY_ARCHIVED
    }

    private final BlobStore store;
    private final ServerLayout layout;
    private final Options options;

    public WalArchiver(BlobStore store, ServerLayout layout, Options options) {
        this.store = store;
        this.layout = layout;
        this.options = options;
    }

    /**
     * Archives the file at {@code walFile}, whose file name must be a WAL name.
     *
     * @throws io.cumulus.core.InvalidInputException if the file name is not a WAL name
     * @throws OperationFailedException if the file is missing or other content is archived under its name
     */
    public Outcome archive(Path walFile) throws IOException {
        WalName wal = WalName.parse(walFile.getFileName().toString());
        long size;
        try {
            size = Files.size(walFile);
        } catch (NoSuchFileException e) {
            throw new OperationFailedException("WAL file " + walFile + " does not exist");
        }
        // The listing runs while the file is read into the writer (and hashed there, for a store
        // that checks bodies), so that a call pays for the longer of the two rather than both; the
        // write is committed only once the listing has found no copy.
        FutureTask<Optional<String>> listing = new FutureTask<>(() -> findArchived(wal));
        Thread lookUp = new Thread(listing, "cumulus-wal-listing");
        lookUp.setDaemon(true);
        lookUp.start();
        String key = layout.walKey(wal, options.compression());
        // the listing will have found no copy: the store need not look again before its conditional write
        WriteOptions write = WriteOptions.DEFAULT.withIfAbsent(true).withAbsenceChecked(true).withTags(tagsFor(wal));
        if (options.compression() == Compression.NONE) {
            write = write.withExpectedSize(size);
        }
        try {
            ObjectWrites.write(store, key, write, out -> {
                try (InputStream in = Files.newInputStream(walFile);
                     OutputStream compressed = options.compression().compress(out, options.level())) {
                    in.transferTo(compressed);
                }
                Optional<String> archived = Futures.await(listing, "looking for an archived copy");
                if (archived.isPresent()) {
                    throw new ArchivedAlready(archived.get()); // aborts the write: nothing was committed
                }
            });
        } catch (ArchivedAlready e) {
            return compareWithArchived(wal, walFile, e.key);
        } catch (FileAlreadyExistsException e) {
            // Another archiver stored it between our listing and our write.
            return compareWithArchived(wal, walFile, key);
        }
        return Outcome.STORED;
    }

    /** The listing's answer that a copy exists, which stops the write before it is committed. */
    private static final class ArchivedAlready extends IOException {
        final String key;

        ArchivedAlready(String key) {
            super(key);
            this.key = key;
        }
    }

    /**
     * The most the store's writer buffers while this archiver stores a file of {@code size} bytes (compressed,
     * a file is no larger in practice); the file is read through the writer, not into a buffer of its own.
     */
    public long bufferNeed(long size) {
        return store.writeBufferNeed(size);
    }

    /** The key of an archived copy of {@code wal} under any compression, if there is one. */
    Optional<String> findArchived(WalName wal) throws IOException {
        return WalObjects.find(store, layout, wal, false);
    }

    private Outcome compareWithArchived(WalName wal, Path walFile, String key) throws IOException {
        byte[] local;
        try (InputStream in = Files.newInputStream(walFile)) {
            local = Digests.sha256(in);
        }
        Compression stored = Compression.ofSuffix(key).orElse(Compression.NONE);
        byte[] remote;
        try (InputStream in = stored.decompress(store.openRead(key))) {
            remote = Digests.sha256(in);
        }
        if (Arrays.equals(local, remote)) {
            return Outcome.ALREADY_ARCHIVED;
        }
        throw new OperationFailedException("WAL file " + wal + " is already archived as " + key + " in "
                + store.describe() + " with different content; refusing to overwrite it. Another cluster may be archiving"
                + " with the same destination and server name: give each cluster its own server name");
    }

    private Map<String, String> tagsFor(WalName wal) {
        return wal.kind() == WalName.Kind.HISTORY && !options.historyTags().isEmpty()
                ? options.historyTags() : options.tags();
    }
}
