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
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.FutureTask;

/**
 * Stores one WAL file PostgreSQL hands to {@code archive_command} at barman-cloud's key, and never
 * replaces a different file already archived under that name (under any compression): the same
 * content is a success, other content an {@link OperationFailedException}. Of two archivers that store
 * different content under one name at once (each under its own compression suffix), at most one succeeds.
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

    /**
     * How long an archiver whose copy is first in key order waits for a racer's different copy to be
     * removed (by that racer, once it has seen the first copy) before it concludes that the racer
     * finished first and removes its own: a listing, a read of the segment and a delete, with room to spare.
     */
    static final Duration RACE_WAIT = Duration.ofSeconds(15);
    /** The pause between two listings while waiting. */
    private static final Duration RACE_POLL = Duration.ofMillis(250);

    private final BlobStore store;
    private final ServerLayout layout;
    private final Options options;
    private final Duration raceWait;

    public WalArchiver(BlobStore store, ServerLayout layout, Options options) {
        this(store, layout, options, RACE_WAIT);
    }

    /** With another {@link #RACE_WAIT}, for tests. */
    WalArchiver(BlobStore store, ServerLayout layout, Options options, Duration raceWait) {
        this.store = store;
        this.layout = layout;
        this.options = options;
        this.raceWait = raceWait;
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
        return settleRace(wal, walFile, key);
    }

    /**
     * After this call stored {@code key}, which its listing found no copy for: whether an archiver racing it
     * stored other content under another compression suffix meanwhile (the conditional write guards only its
     * own key). One listing of the name when no racer did. The copy first in key order is the one
     * cumulus-wal-restore serves, and it wins, unless its racer has already finished without seeing it:
     * a racer that lists after its own write sees every copy written before, so of two racers at least one
     * sees the other, and the one that sees a different copy first in key order removes its own and fails.
     * The first copy's archiver therefore waits for the other copy to go; if it stays, that racer finished
     * before this write, and this call removes its own and fails. Same-content copies are left: either serves.
     */
    private Outcome settleRace(WalName wal, Path walFile, String key) throws IOException {
        List<String> copies = WalObjects.copies(store, layout, wal);
        if (copies.size() <= 1) {
            return Outcome.STORED;
        }
        byte[] local = localDigest(walFile);
        String served = copies.get(0);
        if (!served.equals(key)) {
            byte[] remote;
            try {
                remote = storedDigest(served);
            } catch (FileNotFoundException e) {
                return settleRace(wal, walFile, key); // its archiver lost to another and removed it: look again
            }
            if (Arrays.equals(local, remote)) {
                return Outcome.STORED;
            }
            throw lostRace(wal, key, served);
        }
        List<String> different = differentCopies(copies, key, local);
        long deadline = System.nanoTime() + raceWait.toNanos();
        while (!different.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(Math.min(RACE_POLL.toMillis(), raceWait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a racing archiver of " + wal);
            }
            List<String> now = WalObjects.copies(store, layout, wal);
            different = different.stream().filter(now::contains).toList();
        }
        if (different.isEmpty()) {
            return Outcome.STORED;
        }
        throw lostRace(wal, key, different.get(0));
    }

    /** The copies other than {@code key} whose content differs from the local file's ({@code local}). */
    private List<String> differentCopies(List<String> copies, String key, byte[] local) throws IOException {
        List<String> different = new ArrayList<>();
        for (String copy : copies) {
            if (copy.equals(key)) {
                continue;
            }
            try {
                if (!Arrays.equals(local, storedDigest(copy))) {
                    different.add(copy);
                }
            } catch (FileNotFoundException e) {
                // removed by its archiver since the listing, which is what this one waits for
            }
        }
        return different;
    }

    /** Removes this call's copy {@code key}, which lost to {@code other}, and says so. */
    private OperationFailedException lostRace(WalName wal, String key, String other) {
        try {
            store.delete(key);
        } catch (IOException | RuntimeException e) {
            return new OperationFailedException(differentContent(wal, other) + "; this call's copy "
                    + store.describeKey(key) + " could not be removed (" + e.getMessage() + "): delete it by hand,"
                    + " or cumulus-wal-restore may serve it");
        }
        return new OperationFailedException(differentContent(wal, other));
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
        if (Arrays.equals(localDigest(walFile), storedDigest(key))) {
            return Outcome.ALREADY_ARCHIVED;
        }
        throw new OperationFailedException(differentContent(wal, key));
    }

    private String differentContent(WalName wal, String key) {
        return "WAL file " + wal + " is already archived as " + key + " in " + store.describe()
                + " with different content; refusing to"
                + " overwrite it. Another cluster may be archiving with the same destination and server name: give"
                + " each cluster its own server name";
    }

    private static byte[] localDigest(Path walFile) throws IOException {
        try (InputStream in = Files.newInputStream(walFile)) {
            return Digests.sha256(in);
        }
    }

    /** The SHA-256 of the WAL file stored at {@code key}, decompressed. */
    private byte[] storedDigest(String key) throws IOException {
        Compression stored = Compression.ofSuffix(key).orElse(Compression.NONE);
        try (InputStream in = stored.decompress(store.openRead(key))) {
            return Digests.sha256(in);
        }
    }

    private Map<String, String> tagsFor(WalName wal) {
        return wal.kind() == WalName.Kind.HISTORY && !options.historyTags().isEmpty()
                ? options.historyTags() : options.tags();
    }
}
