package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The spool of WAL prefetching ({@code cumulus-wal-restore --prefetch}): segments fetched ahead of
 * PostgreSQL's requests, in {@code DIR/archive-in/KEY/}, where the key identifies the
 * restore_command's options (source, server name...), the environment variables that choose the
 * store, and the recovery it serves (its data directory and database system, {@link #scopeOf})
 * ({@link #keyOf}), so a spool filled from one archive is never served to a restore_command reading
 * another, nor one filled for a cluster to another cluster or to a later database system restored
 * under the same restore_command. A file appears
 * under its segment name only once it is complete and checked (written to a hidden temporary name,
 * fsynced, renamed), so a partial download is never served. The launcher's fast path serves a spooled
 * segment by a hard link into {@code %p}, without a JVM; every other request comes to the tool, which
 * records it ({@link #recordRequest}) so the prefetch worker follows recovery.
 */
public final class RestoreSpool {

    public static final String DIRECTORY = "archive-in";
    private static final String REQUESTED = "requested";
    private static final String LOCK = "prefetcher.lock";
    private static final String FETCHING = ".fetching";
    /** How long a spool of another set-up is left alone after it last changed: a call may be using it. */
    static final Duration IN_USE = Duration.ofMinutes(1);

    private final Path root;
    private final String key;
    private final Path directory;

    /**
     * The environment variable that holds the scope of the recovery restore_command serves
     * ({@link #scopeOf}): the launcher sets it on every {@code --prefetch} call, whatever the environment
     * held, so the tool and the worker it starts hash the value the launcher's fast path hashed.
     */
    public static final String SCOPE = "CUMULUS_SPOOL_SCOPE";

    /**
     * The environment variables the spool key holds, in the order the launcher's fast path hashes them.
     * First those that decide which store a restore_command's URL means: an endpoint, a profile (whose
     * file may name one), an Azure connection string (which names the account, as in barman-cloud), the
     * GCS emulator. Two clusters on one host whose restore_commands read alike but whose environments
     * point them at different stores must not share a spool. Then {@link #SCOPE}: two clusters on one
     * host, or a cluster and the one restored in its place from another database system, must not share
     * one either (PostgreSQL would reject the other system's segments, end recovery there and promote).
     */
    public static final List<String> KEY_VARIABLES = List.of("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
            "AWS_PROFILE", "AWS_CONFIG_FILE", "AZURE_STORAGE_CONNECTION_STRING", "STORAGE_EMULATOR_HOST", SCOPE);

    /**
     * The spool key of a restore_command: its options (all arguments but %f and %p) and, after them, each
     * of {@link #KEY_VARIABLES} that is set and not empty, as a line {@code NUL NAME=value}. Without
     * those variables, {@link ArchiveSpool#keyOf} of the options.
     */
    public static String keyOf(List<String> options, java.util.Map<String, String> environment) {
        List<String> lines = new java.util.ArrayList<>(options);
        for (String name : KEY_VARIABLES) {
            String value = environment.get(name);
            if (value != null && !value.isEmpty()) {
                lines.add("\0" + name + "=" + value);
            }
        }
        return ArchiveSpool.keyOf(lines);
    }

    /**
     * The scope of a recovery run in {@code dataDirectory} (PostgreSQL runs restore_command in the data
     * directory): {@code SYSID:DIRECTORY}, the database system identifier that {@code global/pg_control}
     * starts with (its first 8 bytes, an unsigned 64-bit number in the machine's byte order, in decimal;
     * empty when there is no pg_control or it cannot be read) and the directory's physical path (symbolic links
     * resolved). The launcher computes the same with {@code od -An -tu8 -N8 global/pg_control} and
     * {@code cd -P .}; this is for a call the launcher did not start.
     */
    public static String scopeOf(Path dataDirectory) {
        return scopeOf(dataDirectory, PgControl.read(dataDirectory));
    }

    /** {@link #scopeOf(Path)} with {@code dataDirectory}'s pg_control already read ({@link PgControl#read}). */
    public static String scopeOf(Path dataDirectory, PgControl control) {
        // no pg_control (a call by hand), or one this user cannot read: the directory alone
        java.util.OptionalLong system = control.systemIdentifier();
        String sysid = system.isPresent() ? Long.toUnsignedString(system.getAsLong()) : "";
        Path directory;
        try {
            directory = dataDirectory.toRealPath();
        } catch (IOException e) {
            directory = dataDirectory.toAbsolutePath();
        }
        return sysid + ":" + directory;
    }

    public RestoreSpool(Path spoolDirectory, String key) {
        this.root = spoolDirectory.toAbsolutePath().resolve(DIRECTORY);
        this.key = SpoolFiles.requireKey(key);
        this.directory = root.resolve(key);
    }

    /** The key of the restore_command's options this spool serves. */
    public String key() {
        return key;
    }

    /**
     * Creates the spool if needed, without touching the spools of other set-ups (see {@link #open()}):
     * 0700, {@code archive-in} with it, whatever the umask (it holds WAL contents); both are set 0700
     * when they exist with a wider mode.
     */
    public RestoreSpool create() throws IOException {
        io.cumulus.core.io.PrivateFiles.createDirectories(directory, root, directory);
        return this;
    }

    /**
     * Creates the spool if needed, and removes the spools of other restore_command set-ups (an earlier
     * recovery, another source) unless their prefetch worker still runs or they changed in the last
     * {@link #IN_USE} (a restore_command call of that set-up creating it, recording its request, before
     * its worker starts). The worker does this once when it starts; restore_command itself only
     * {@linkplain #create() creates} its own.
     */
    public RestoreSpool open() throws IOException {
        create();
        SpoolFiles.removeIdleSpools(root, directory::equals, LOCK, IN_USE);
        return this;
    }

    public Path directory() {
        return directory;
    }

    /** Where a prefetched segment is written (through {@link WalRestorer}, which writes atomically). */
    public Path pathOf(String wal) {
        return directory.resolve(wal);
    }

    public boolean contains(String wal) {
        return Files.isRegularFile(directory.resolve(wal));
    }

    /**
     * Moves the prefetched {@code wal} to {@code destination} atomically (copying through a temporary
     * file when the spool is on another file system); false when it is not spooled.
     */
    public boolean take(String wal, Path destination) throws IOException {
        Path spooled = directory.resolve(wal);
        if (!Files.isRegularFile(spooled)) {
            return false;
        }
        try {
            Files.move(spooled, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException raced) {
            return false; // discarded by the worker in between
        } catch (AtomicMoveNotSupportedException e) {
            Path temporary = WalRestorer.temporaryFor(destination);
            WalRestorer.deleteStaleTemporaries(destination);
            try {
                Files.copy(spooled, temporary, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temporary);
            }
            Files.deleteIfExists(spooled);
        }
        try (FileChannel dir = FileChannel.open(destination.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
        return true;
    }

    /** Deletes the spooled {@code wal}, if the spool holds it. */
    public void discard(String wal) throws IOException {
        Files.deleteIfExists(directory.resolve(wal));
    }

    /**
     * Deletes the spooled segments recovery no longer needs: those that sort before {@code wal}, which
     * includes every segment of older timelines.
     */
    public void discardBefore(String wal) throws IOException {
        for (String name : segments()) {
            if (name.compareTo(wal) < 0) {
                Files.deleteIfExists(directory.resolve(name));
            }
        }
    }

    /** Deletes every spooled segment but those named in {@code kept}. */
    public void discardAllBut(java.util.Set<String> kept) throws IOException {
        for (String name : segments()) {
            if (!kept.contains(name)) {
                Files.deleteIfExists(directory.resolve(name));
            }
        }
    }

    /** The complete segments in the spool, in WAL order. */
    public List<String> segments() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(WalName::isWalName).sorted().toList();
        }
    }

    /**
     * Marks {@code wal} as being fetched (an empty {@code .WAL.fetching} file), so that the launcher
     * waits for it instead of starting the tool to fetch it a second time.
     */
    public void markFetching(String wal) throws IOException {
        io.cumulus.core.io.PrivateFiles.writeEmpty(directory.resolve("." + wal + FETCHING));
    }

    /** Removes the mark of {@link #markFetching}; the segment is in the spool now, or will not be. */
    public void doneFetching(String wal) {
        try {
            Files.deleteIfExists(directory.resolve("." + wal + FETCHING));
        } catch (IOException e) {
            // the launcher then waits for it until its own limit, and falls back to the tool
        }
    }

    /** Removes every fetching mark: a worker that died left them; the one starting now owns the spool. */
    public void clearFetchingMarks() throws IOException {
        SpoolFiles.deleteEndingWith(directory, FETCHING);
    }

    /** Records the segment PostgreSQL asked for and the spool did not hold, for the prefetch worker. */
    public void recordRequest(String wal) throws IOException {
        SpoolFiles.writeAtomically(directory, REQUESTED, wal);
    }

    /** The last segment recorded by {@link #recordRequest}. */
    public Optional<String> lastRequest() throws IOException {
        try {
            String wal = Files.readString(directory.resolve(REQUESTED), StandardCharsets.UTF_8).trim();
            return WalName.isWalName(wal) ? Optional.of(wal) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Takes the prefetcher lock, or returns empty when another process holds it. */
    public Optional<FileLock> tryLockPrefetcher() throws IOException {
        return new WorkerLock(directory.resolve(LOCK)).tryLock();
    }

    /** True when a prefetch worker holds the lock. */
    public boolean prefetcherRunning() throws IOException {
        return new WorkerLock(directory.resolve(LOCK)).heldElsewhere();
    }

    public Path prefetcherLog() {
        return directory.resolve("prefetcher.log");
    }
}
