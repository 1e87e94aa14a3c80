package io.cumulus.core.wal;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.io.LocalWriteException;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Fetches one WAL file for {@code restore_command}. The full segment is preferred over its
 * {@code .partial}, but for the segment where the timeline the recovery follows left the segment's timeline
 * ({@link FollowedTimeline}); the file reaches its destination complete or not at all (temporary file, fsync,
 * rename), so PostgreSQL never reads a torn segment.
 */
public final class WalRestorer {

    /**
     * A restored file is created 0640, narrowed by the umask: never world-readable (a prefetched
     * segment sits in the spool, an archive_command run by hand may have umask 022), and readable by
     * the group only where PostgreSQL's own umask allows it (a cluster initialized with group access
     * runs with umask 027, which keeps 0640; the default 077 makes it 0600).
     */
    private static final java.nio.file.attribute.FileAttribute<?> SEGMENT_MODE =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));

    private static final long MIN_SEGMENT_SIZE = 1L << 20;
    private static final long MAX_SEGMENT_SIZE = 1L << 30;
    /** XLogLongPageHeaderData: the short header (24 bytes), xlp_sysid, xlp_seg_size, xlp_xlog_blcksz. */
    private static final int LONG_HEADER_SIZE = 40;
    private static final int XLP_LONG_HEADER = 0x0002;
    /** XLOG_BLCKSZ: 1 to 64 kB, a power of two (configure --with-wal-blocksize). */
    private static final long MIN_BLOCK_SIZE = 1L << 10;
    private static final long MAX_BLOCK_SIZE = 1L << 16;

    private final BlobStore store;
    private final ServerLayout layout;
    private final java.util.function.Consumer<String> warnings;
    private final PgControl cluster;
    private final FollowedTimeline followed;

    public WalRestorer(BlobStore store, ServerLayout layout) {
        this(store, layout, warning -> { }, PgControl.UNKNOWN);
    }

    /** As below, for a recovery whose followed timeline is not known: the full segment always wins. */
    public WalRestorer(BlobStore store, ServerLayout layout, java.util.function.Consumer<String> warnings,
            PgControl cluster) {
        this(store, layout, warnings, cluster, FollowedTimeline.UNKNOWN);
    }

    /**
     * @param warnings told when a WAL file has more than one stored copy (the restore goes on with the first),
     *     and when a segment holds the switch point of the timeline the recovery follows
     * @param cluster the pg_control of the cluster that asks ({@link PgControl#read}): a segment whose first
     *     page names another database system or another segment size, or a segment of another size, is refused
     * @param followed the timeline the recovery follows, asked again at each segment
     */
    public WalRestorer(BlobStore store, ServerLayout layout, java.util.function.Consumer<String> warnings,
            PgControl cluster, FollowedTimeline followed) {
        this.store = store;
        this.layout = layout;
        this.warnings = warnings;
        this.cluster = cluster;
        this.followed = followed;
    }

    /**
     * The key holding {@code wal}: a full copy under any compression if there is one, else (when
     * {@code allowPartial} and {@code wal} is a segment) its {@code .partial}; but its {@code .partial} first when
     * the timeline the recovery follows left {@code wal}'s timeline inside {@code wal} ({@link #atTheFork}). Two
     * or more full copies (archivers that raced, one of them barman-cloud or a Cumulus from before the race was
     * settled) are told to the warnings: they may hold different segments of two clusters, and only the first is
     * served.
     */
    public Optional<String> locate(WalName wal, boolean allowPartial) throws IOException {
        WalObjects.Listing listing = list(wal);
        if (!listing.copies().isEmpty()) {
            Optional<FollowedTimeline.Fork> fork = followed.forkIn(wal);
            if (fork.isPresent()) {
                return Optional.of(atTheFork(wal, listing, fork.get(), allowPartial));
            }
        }
        return listing.key(allowPartial);
    }

    /**
     * The copy of {@code wal}, which holds the switch point where the followed timeline left {@code wal}'s, that
     * the recovery gets. PostgreSQL asks for it only when the followed timeline's own copy of the segment is
     * neither archived nor in pg_wal (a new primary that has not filled it yet), and replays whatever it is
     * given: a full copy archived by a server that stayed on {@code wal}'s timeline (the old primary of a
     * failover, still running or having completed the segment before it failed while its standby lagged) holds
     * WAL past the switch point that the followed timeline never had, and PostgreSQL would replay it as the
     * followed timeline's. The {@code .partial}, which the promoted server archived, ends at the switch point.
     * Without one (or with {@code allowPartial} false) the full copy is served, as PostgreSQL itself would fall
     * back to it, with a warning.
     */
    private String atTheFork(WalName wal, WalObjects.Listing listing, FollowedTimeline.Fork fork, boolean allowPartial) {
        String full = listing.copies().get(0);
        String pastIt = "timeline " + fork.left() + "'s WAL past that point";
        if (allowPartial && listing.partial().isPresent()) {
            warnings.accept("WAL file " + wal + " holds the switch point where " + fork.describe() + ": restoring its"
                    + " .partial " + listing.partial().get() + ", which ends there, rather than its full copy " + full
                    + ", which holds " + pastIt + " (archived by a server that stayed on timeline " + fork.left()
                    + ": the old primary?)");
            return listing.partial().get();
        }
        WalName own = WalName.segment(fork.timeline(), wal.log(), wal.segment());
        warnings.accept("WAL file " + wal + " holds the switch point where " + fork.describe() + ", and "
                + (listing.partial().isPresent() ? "its .partial is not to be served (--no-partial)"
                        : "no .partial of it is archived")
                + ": restoring its full copy " + full + ", which may hold " + pastIt + " (the old primary's, or"
                + " what a point-in-time recovery left out) that PostgreSQL replays as timeline " + fork.timeline()
                + "'s; if it must not, recover again once " + own + " is archived (pg_switch_wal() on the server of"
                + " timeline " + fork.timeline() + " archives it)");
        return full;
    }

    /** Lists {@code wal}'s copies, telling the warnings of two or more full copies. */
    private WalObjects.Listing list(WalName wal) throws IOException {
        WalObjects.Listing listing = WalObjects.list(store, layout, wal);
        List<String> copies = listing.copies();
        if (copies.size() > 1) {
            warnings.accept("WAL file " + wal + " is stored " + copies.size() + " times (" + String.join(", ", copies)
                    + "): restoring " + copies.get(0) + ", the first in key order; if they differ, two clusters archive"
                    + " under this server name: give each its own, and keep only this cluster's copy");
        }
        return listing;
    }

    /**
     * Writes {@code wal}, a segment, to {@code destination} for the prefetch spool, unless which copy the
     * recovery must get depends on the timeline it follows when it asks: when the archive holds a
     * {@code .partial} of it too (a timeline left it), or the followed timeline left {@code wal}'s inside it. A
     * spooled copy is served later, without this choice being made again; such a segment is left to
     * restore_command's own call, which makes it ({@link #locate}).
     *
     * @return the key written, or empty when there is no full copy, or the segment is left to that call
     * @throws OperationFailedException if it holds a copy that cannot be a segment
     */
    public Optional<String> prefetch(WalName wal, Path destination) throws IOException {
        WalObjects.Listing listing = list(wal);
        if (listing.copies().isEmpty() || listing.partial().isPresent() || followed.forkIn(wal).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(write(wal, listing.copies().get(0), destination));
    }

    /**
     * Writes {@code wal} to {@code destination}.
     *
     * @throws WalNotFoundException if the archive does not hold it
     * @throws OperationFailedException if it holds a copy that cannot be a segment
     */
    public String restore(WalName wal, Path destination, boolean allowPartial) throws IOException {
        String key = locate(wal, allowPartial).orElseThrow(() -> new WalNotFoundException(
                "WAL file " + wal + " is not in the archive (looked under " + layout.walDirectory(wal) + " in "
                        + store.describe() + ")"));
        return write(wal, key, destination);
    }

    /** Writes the object {@code key}, a copy of {@code wal}, to {@code destination}, checked; returns the key. */
    private String write(WalName wal, String key, Path destination) throws IOException {
        Compression compression = Compression.ofSuffix(key).orElse(Compression.NONE);
        Path directory = destination.toAbsolutePath().getParent();
        Path temporary = temporaryFor(destination);
        deleteStaleTemporaries(destination);
        try {
            long size;
            Files.deleteIfExists(temporary); // left by a killed call of this pid, with its mode
            // The JDK names no file when the disk is full; PostgreSQL logs only this tool's line.
            String what = "cannot write " + wal + " into " + directory;
            // Not "PostgreSQL asks again": during archive recovery this failure stops recovery (exit 128)
            String whenFull = "free space on its file system";
            StoreRead stored = new StoreRead(store.openRead(key));
            ByteBuffer header = ByteBuffer.allocate(LONG_HEADER_SIZE).order(ByteOrder.nativeOrder());
            try (InputStream in = compression.decompress(stored);
                 FileChannel channel = openTemporary(temporary, what, whenFull)) {
                OutputStream out = LocalWriteException.naming(java.nio.channels.Channels.newOutputStream(channel),
                        what, whenFull);
                size = in.transferTo(new java.io.FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        // keep the long page header as it passes, rather than read the file back
                        int kept = (int) Math.min(len, header.remaining());
                        header.put(b, off, kept);
                        out.write(b, off, len);
                    }
                });
                try {
                    channel.force(true);
                } catch (IOException e) {
                    throw LocalWriteException.wrap(e, what, whenFull);
                }
            } catch (IOException e) {
                if (e instanceof LocalWriteException || stored.failedWith(e)) {
                    throw e;
                }
                // the decoder's: the store handed over every byte it holds, and they do not decode
                String text = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getSimpleName() : e.getMessage();
                throw new IOException("archived object " + key + " cannot be decompressed (" + text + "): the stored"
                        + " copy is truncated or corrupt; replace it with an intact copy of " + wal + " if one is left"
                        + " (the primary's pg_wal, another archive)", e);
            }
            OptionalLong headerSystem = wal.kind() == WalName.Kind.SEGMENT ? systemInHeader(header) : OptionalLong.empty();
            OptionalLong system = cluster.systemIdentifier();
            if (headerSystem.isPresent() && system.isPresent() && headerSystem.getAsLong() != system.getAsLong()) {
                // PostgreSQL would only log "WAL file is from different database system" and, in archive
                // recovery, end it there and promote
                throw new OperationFailedException("archived object " + key + " is WAL of database system "
                        + Long.toUnsignedString(headerSystem.getAsLong()) + ", not of this cluster's "
                        + Long.toUnsignedString(system.getAsLong()) + " (global/pg_control): another cluster archives"
                        + " under this server name; refusing to hand it to PostgreSQL");
            }
            OptionalLong headerSize = wal.kind() == WalName.Kind.SEGMENT ? segmentSizeInHeader(header) : OptionalLong.empty();
            OptionalLong ours = wal.kind() == WalName.Kind.SEGMENT ? cluster.segmentSize() : OptionalLong.empty();
            if (headerSize.isPresent() && ours.isPresent() && headerSize.getAsLong() != ours.getAsLong()) {
                // PostgreSQL would stop on "archive file ... has wrong size", or, on a standby given a shorter
                // file, take it for one still being copied and ask again, saying nothing above DEBUG1
                throw new OperationFailedException("archived object " + key + " is a WAL segment of "
                        + headerSize.getAsLong() + " bytes (its first page's xlp_seg_size), but this cluster's segments"
                        + " have " + ours.getAsLong() + " (global/pg_control): WAL of a cluster with another segment"
                        + " size is stored under this server name; point restore_command at this cluster's own"
                        + " archive; refusing to hand it to PostgreSQL");
            }
            // a .partial is a segment written up to where its timeline ended: it may be shorter
            boolean partial = Compression.withoutSuffix(key).endsWith(".partial");
            if (headerSize.isPresent() && !partial && size != headerSize.getAsLong()) {
                throw new OperationFailedException("archived object " + key + " holds " + size + " bytes, but its"
                        + " first page says the segment has " + headerSize.getAsLong() + ": it may be truncated;"
                        + " refusing to hand it to PostgreSQL");
            }
            if (wal.kind() != WalName.Kind.HISTORY && wal.kind() != WalName.Kind.BACKUP_LABEL && !isSegmentSize(size)) {
                throw new OperationFailedException("archived object " + key + " holds " + size + " bytes, which is"
                        + " not a WAL segment size: it may be corrupt; refusing to hand it to PostgreSQL");
            }
            if (headerSize.isEmpty() && ours.isPresent() && !partial && size != ours.getAsLong()) {
                throw new OperationFailedException("archived object " + key + " holds " + size + " bytes, but this"
                        + " cluster's segments have " + ours.getAsLong() + " (global/pg_control): it is truncated, or WAL"
                        + " of a cluster with another segment size stored under this server name; point restore_command"
                        + " at this cluster's own archive; refusing to hand it to PostgreSQL");
            }
            Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(directory);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return key;
    }

    private static FileChannel openTemporary(Path temporary, String what, String whenFull) throws IOException {
        try {
            return FileChannel.open(temporary, java.util.EnumSet.of(StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), SEGMENT_MODE);
        } catch (java.nio.file.FileSystemException e) {
            throw LocalWriteException.wrap(e, what, whenFull);
        }
    }

    /** The temporary file of this process for {@code destination}: {@code .NAME.cumulus-PID} next to it. */
    public static Path temporaryFor(Path destination) {
        return destination.toAbsolutePath().resolveSibling(
                "." + destination.getFileName() + ".cumulus-" + ProcessHandle.current().pid());
    }

    /**
     * Deletes the temporary files other processes left for {@code destination} ({@code .NAME.cumulus-PID}):
     * a call killed while it wrote (a signal runs no {@code finally}) left a partial segment in pg_wal, and
     * each one another. PostgreSQL runs one restore_command at a time, and the prefetch worker fetches each
     * segment once, so none of them is still being written.
     */
    public static void deleteStaleTemporaries(Path destination) throws IOException {
        Path own = temporaryFor(destination);
        String prefix = "." + destination.getFileName() + ".cumulus-";
        try (java.nio.file.DirectoryStream<Path> siblings = Files.newDirectoryStream(own.getParent(), entry -> {
            String name = entry.getFileName().toString();
            if (!name.startsWith(prefix) || name.length() == prefix.length() || entry.equals(own)) {
                return false;
            }
            for (int i = prefix.length(); i < name.length(); i++) {
                if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                    return false;
                }
            }
            return true;
        })) {
            for (Path stale : siblings) {
                Files.deleteIfExists(stale);
            }
        }
    }

    /** A WAL segment size: a power of two from 1 MB to 1 GB (initdb --wal-segsize). */
    static boolean isSegmentSize(long size) {
        return size >= MIN_SEGMENT_SIZE && size <= MAX_SEGMENT_SIZE && Long.bitCount(size) == 1;
    }

    /** An XLOG_BLCKSZ: a power of two from 1 to 64 kB (configure --with-wal-blocksize). */
    static boolean isBlockSize(long size) {
        return size >= MIN_BLOCK_SIZE && size <= MAX_BLOCK_SIZE && Long.bitCount(size) == 1;
    }

    /**
     * The segment size that the long page header at the start of a segment ({@code header}: its first
     * bytes as written, full when the segment had that many) gives ({@code xlp_seg_size},
     * bytes 32 to 35, in the machine's byte order as PostgreSQL writes it), or empty when the file does
     * not start with such a header (too short, no {@code XLP_LONG_HEADER} in {@code xlp_info}, or sizes
     * no PostgreSQL writes: {@code xlp_xlog_blcksz} at 36 is checked as well). {@code xlp_magic} (at 0)
     * is not: it changes with every major release.
     */
    static OptionalLong segmentSizeInHeader(ByteBuffer header) {
        if (header.hasRemaining() || (header.getShort(2) & XLP_LONG_HEADER) == 0) {
            return OptionalLong.empty();
        }
        long segmentSize = Integer.toUnsignedLong(header.getInt(32));
        long blockSize = Integer.toUnsignedLong(header.getInt(36));
        boolean plausible = isSegmentSize(segmentSize) && isBlockSize(blockSize);
        return plausible ? OptionalLong.of(segmentSize) : OptionalLong.empty();
    }

    /**
     * The database system identifier in the long page header of the segment archived at {@code key}
     * (read through its compression, only its first bytes), or empty when it does not start with one.
     */
    public static OptionalLong storedSystem(BlobStore store, String key) throws IOException {
        Compression compression = Compression.ofSuffix(key).orElse(Compression.NONE);
        try (InputStream in = compression.decompress(store.openRead(key))) {
            ByteBuffer header = ByteBuffer.wrap(in.readNBytes(LONG_HEADER_SIZE)).order(ByteOrder.nativeOrder());
            if (header.capacity() < LONG_HEADER_SIZE) {
                return OptionalLong.empty();
            }
            header.position(LONG_HEADER_SIZE);
            return systemInHeader(header);
        }
    }

    /** xlp_sysid of a segment's long page header, when {@link #segmentSizeInHeader} finds one. */
    static OptionalLong systemInHeader(ByteBuffer header) {
        return segmentSizeInHeader(header).isPresent() ? OptionalLong.of(header.getLong(24)) : OptionalLong.empty();
    }

    /**
     * The failures of an archived object's stream as the store gave it, told from those of the decoder
     * reading it: a store that failed while reading (a connection cut) is no sign of a corrupt object.
     */
    private static final class StoreRead extends java.io.FilterInputStream {
        private final java.util.Set<IOException> failures = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        StoreRead(InputStream in) {
            super(in);
        }

        /** Whether {@code failure} (or a cause of it) came from the store's stream. */
        boolean failedWith(Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (failures.contains(t)) {
                    return true;
                }
            }
            return false;
        }

        private IOException noted(IOException e) {
            failures.add(e);
            return e;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw noted(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw noted(e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return super.skip(n);
            } catch (IOException e) {
                throw noted(e);
            }
        }

        @Override
        public int available() throws IOException {
            try {
                return super.available();
            } catch (IOException e) {
                throw noted(e);
            }
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } catch (IOException e) {
                throw noted(e);
            }
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
