package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;

/**
 * The spool of asynchronous archiving ({@code --spool-dir}): the uploader leaves an {@code ok} mark
 * for each WAL file once it is stored, or an {@code error} mark with the reason (a {@code held} mark for a
 * file it holds back behind a history file that failed); the {@code archive_command} in the foreground
 * consumes them. A lock file makes sure one uploader runs.
 * Marks are kept per data directory and set of options, so clusters that share a spool never take each
 * other's. Its contents are disposable: a lost mark only costs a re-check of the store (which finds the
 * identical copy and succeeds).
 */
public final class ArchiveSpool {

    /** The directory below the spool where archiving marks live; the launcher's fast path reads it too. */
    public static final String DIRECTORY = "archive-out";
    private static final String CURRENT = "current";
    private static final String OK = ".ok";
    private static final String ERROR = ".error";
    /**
     * A file the uploader holds back behind a history file that was refused ({@link #markHeld}): read by the
     * call as an error mark is, but removed by the uploader itself once the history file is stored.
     */
    private static final String HELD = ".held";
    /** An ok mark the foreground has reported to PostgreSQL, kept until PostgreSQL marks the file done. */
    private static final String REPORTED = ".reported";
    /** A file the uploader has taken on and not yet marked ok or failed; the launcher waits while it is there. */
    private static final String UPLOADING = ".uploading";
    /** Read by the cumulus-wal-archive launcher too. */
    private static final String UPLOADER_RUNNING = "uploader.running";
    /** Read by the cumulus-wal-archive launcher too. */
    private static final String ARGUMENTS = "arguments";
    /** The physical path of the data directory a key serves, one line; read by the launcher too. */
    private static final String DATA_DIRECTORY = "data-directory";
    /** Touched by every archive_command call of the key, the launcher's answers included (see {@link #lastCall}). */
    private static final String CALLED = "called";
    /** Held while {@code current} is rewritten: clusters sharing the spool each replace their own line. */
    private static final String CURRENT_LOCK = "current.lock";
    /** Written and removed by {@link #checkWritable()}. */
    private static final String WRITABLE = "writable";
    /** Why the last uploader could not start (its options, its store), for the calls waiting on it. */
    private static final String UPLOADER_FAILED = "uploader.error";
    /**
     * How much older than its WAL file an ok mark may look and still be that file's: a spool on a
     * file system with coarser times than pg_wal's keeps the time it is given rounded down.
     */
    private static final Duration MARK_TIME_TOLERANCE = Duration.ofSeconds(2);
    /** How long the directory of a key that is not current stays untouched before {@link #removeUnusedKeys} removes it. */
    static final Duration UNUSED = Duration.ofMinutes(10);
    private static final String UPLOADER_LOCK = "uploader.lock";

    private final Path directory;

    private final Path root;
    private final String key;

    /**
     * The marks of one archiving set-up, {@code DIR/archive-out/KEY/}, where {@code key} identifies the
     * options of the archive_command (destination, server name, compression...): an ok mark written by
     * an uploader started with other options (before archive_command changed) is never taken for one
     * of this destination.
     */
    public ArchiveSpool(Path spoolDirectory, String key) {
        this.root = spoolDirectory.toAbsolutePath().resolve(DIRECTORY);
        this.key = SpoolFiles.requireKey(key);
        this.directory = root.resolve(key);
    }

    /**
     * The key of an archive_command's options run for the cluster in {@code dataDirectory}
     * ({@link #dataDirectoryOf}): {@link #keyOf(java.util.List)} of the options followed by the line
     * {@code NUL data-directory=PATH}. Two clusters whose archive_commands read alike (a copy made with
     * pg_basebackup and started on the same host as its own primary) so keep their marks apart.
     */
    public static String keyOf(java.util.List<String> argumentsButWalPath, Path dataDirectory) {
        java.util.List<String> lines = new java.util.ArrayList<>(argumentsButWalPath);
        lines.add("\0" + DATA_DIRECTORY + "=" + dataDirectory);
        return keyOf(lines);
    }

    /**
     * The data directory of {@code walFile}, whose marks a key holds: the parent of its directory
     * ({@code pg_wal}; PostgreSQL passes {@code pg_wal/NAME} and runs archive_command in the data
     * directory), taken before symbolic links are resolved (a pg_wal linked elsewhere by initdb -X still
     * belongs to its data directory), then as its physical path, which the launcher gets with
     * {@code cd -P .}. The path as given, made absolute, when it cannot be resolved.
     */
    public static Path dataDirectoryOf(Path walFile) {
        Path pgWal = walFile.toAbsolutePath().normalize().getParent();
        Path dataDirectory = pgWal == null || pgWal.getParent() == null ? pgWal : pgWal.getParent();
        if (dataDirectory == null) {
            return walFile.toAbsolutePath();
        }
        try {
            return dataDirectory.toRealPath();
        } catch (IOException e) {
            return dataDirectory;
        }
    }

    /**
     * The key of an archive_command's options: the first 16 hex digits of the SHA-256 of each
     * argument but the WAL path, each followed by a newline (the text {@link #recordArguments} keeps).
     */
    public static String keyOf(java.util.List<String> argumentsButWalPath) {
        java.security.MessageDigest digest = io.cumulus.core.io.Digests.newSha256();
        digest.update(argumentsText(argumentsButWalPath).getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    }

    private static String argumentsText(java.util.List<String> argumentsButWalPath) {
        StringBuilder text = new StringBuilder();
        for (String argument : argumentsButWalPath) {
            text.append(argument).append('\n');
        }
        return text.toString();
    }

    /**
     * Keeps what this spool's key was computed from ({@link #keyOf(java.util.List, Path)}): the arguments,
     * one per line, in {@code KEY/arguments}, and the data directory in {@code KEY/data-directory}. The
     * launcher's fast path finds its marks by reading the current keys and comparing its own arguments
     * and data directory with these, without a process to hash them.
     */
    public void recordArguments(java.util.List<String> argumentsButWalPath, Path dataDirectory) throws IOException {
        recordOnce(ARGUMENTS, argumentsText(argumentsButWalPath));
        recordOnce(DATA_DIRECTORY, dataDirectory + "\n");
    }

    private void recordOnce(String name, String content) throws IOException {
        Path file = directory.resolve(name);
        if (!Files.exists(file)) {
            write(name, content);
        } else {
            // written by an earlier release, or a call run by hand, with the umask's mode
            io.cumulus.core.io.PrivateFiles.restrict(file, io.cumulus.core.io.PrivateFiles.FILE_MODE);
        }
    }

    /** The data directory this key serves ({@link #recordArguments}); empty when none was recorded. */
    public Optional<Path> dataDirectory() throws IOException {
        return recordedDataDirectory(key);
    }

    private Optional<Path> recordedDataDirectory(String key) throws IOException {
        try {
            String line = Files.readString(root.resolve(key).resolve(DATA_DIRECTORY), StandardCharsets.UTF_8);
            return line.endsWith("\n") ? Optional.of(Path.of(line.substring(0, line.length() - 1))) : Optional.empty();
        } catch (NoSuchFileException | java.nio.file.InvalidPathException e) {
            return Optional.empty();
        }
    }

    /**
     * Records that an archive_command call of this key came: the uploader stops taking work when none
     * has come for a while ({@link #lastCall}). The launcher's fast path does the same with a redirect.
     */
    public void markCalled() throws IOException {
        io.cumulus.core.io.PrivateFiles.writeEmpty(directory.resolve(CALLED));
    }

    /** When the last archive_command call of this key came ({@link #markCalled}); empty when none is known. */
    public Optional<java.time.Instant> lastCall() throws IOException {
        try {
            return Optional.of(Files.getLastModifiedTime(directory.resolve(CALLED)).toInstant());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Creates the spool directory if needed, 0700 (and {@code archive-out} with it), whatever the umask:
     * its files hold every argument of archive_command and the store's error texts. Both are set 0700
     * when they exist with a wider mode.
     */
    public ArchiveSpool create() throws IOException {
        io.cumulus.core.io.PrivateFiles.createDirectories(directory, root, directory);
        return this;
    }

    public String key() {
        return key;
    }

    /**
     * Records that archive_command now uses this key for its data directory ({@link #recordArguments}
     * first): {@code current} holds one key a line, one per data directory, and this one replaces the
     * line of its own data directory only. So the uploader of that directory's old options stops taking
     * new work, while clusters that share the spool keep theirs; the launcher's fast path looks for marks
     * under these keys only. Lines of keys that name no data directory (an earlier release's) or one that
     * is gone are dropped.
     */
    public void makeCurrent() throws IOException {
        if (currentKeys().contains(key)) {
            return;
        }
        Optional<Path> mine = dataDirectory();
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(root.resolve(CURRENT_LOCK),
                java.util.EnumSet.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE),
                io.cumulus.core.io.PrivateFiles.FILE);
             FileLock ignored = channel.lock()) {
            StringBuilder lines = new StringBuilder();
            for (String other : currentKeys()) {
                Optional<Path> theirs = other.equals(key) ? Optional.empty() : recordedDataDirectory(other);
                if (theirs.isPresent() && !theirs.equals(mine) && Files.isDirectory(theirs.get())) {
                    lines.append(other).append('\n');
                }
            }
            SpoolFiles.writeAtomically(root, CURRENT, lines.append(key).append('\n').toString());
        }
    }

    /**
     * Removes the spool directories of keys no data directory uses any more ({@code current} names them
     * no longer: archive_command changed, or the cluster is gone) whose uploader does not run and in which
     * nothing changed for {@link #UNUSED}. Their marks would answer no call; left alone, every change of
     * archive_command would leave one more directory behind. The uploader does this when it starts.
     */
    public void removeUnusedKeys() throws IOException {
        java.util.Set<String> current = new java.util.HashSet<>(currentKeys());
        SpoolFiles.removeIdleSpools(root,
                spool -> spool.equals(directory) || current.contains(spool.getFileName().toString()),
                UPLOADER_LOCK, UNUSED);
    }

    /** True unless a foreground of this data directory with other options has run since (see {@link #makeCurrent()}). */
    public boolean isCurrent() throws IOException {
        java.util.List<String> current = currentKeys();
        return current.isEmpty() || current.contains(key);
    }

    private java.util.List<String> currentKeys() throws IOException {
        try {
            return Files.readString(root.resolve(CURRENT), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(line -> !line.isEmpty()).toList();
        } catch (NoSuchFileException e) {
            return java.util.List.of();
        }
    }

    public Path directory() {
        return directory;
    }

    /** The uploader's log file. */
    public Path uploaderLog() {
        return directory.resolve("uploader.log");
    }

    /**
     * The note of {@code wal}'s ok mark (empty text when there is nothing to report), which this call
     * turns into a reported mark since PostgreSQL is about to mark the file done; empty when there is
     * no ok mark. A file already reported (PostgreSQL asks again after a crash before it recorded the
     * answer) is stored: its answer is ok again. The reported mark stays until PostgreSQL no longer
     * lists the file as ready, so that the uploader does not ship it a second time in between.
     */
    public Optional<String> consumeOk(String wal) throws IOException {
        Path ok = directory.resolve(wal + OK);
        try {
            String note = Files.readString(ok, StandardCharsets.UTF_8).strip();
            Files.move(ok, directory.resolve(wal + REPORTED), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(note);
        } catch (NoSuchFileException e) {
            return Files.exists(directory.resolve(wal + REPORTED)) ? Optional.of("") : Optional.empty();
        }
    }

    /**
     * Removes {@code wal}'s ok and reported marks if {@code walFile} was modified after the file they
     * were written for (each mark carries that file's modification time, see {@link #markOk}), and
     * tells whether it did. A WAL file of the same name but other content gets no answer from a mark
     * of the old one: after the data directory is put back to an earlier state (a volume snapshot,
     * a file-system restore) with the spool left as it was, PostgreSQL writes segments whose names
     * the uploader had already stored, and the old marks would tell it they are archived.
     */
    public boolean forgetIfStale(String wal, Path walFile) throws IOException {
        FileTime written;
        try {
            written = Files.getLastModifiedTime(walFile);
        } catch (NoSuchFileException e) {
            return false;
        }
        boolean forgotten = false;
        for (String suffix : java.util.List.of(OK, REPORTED)) {
            Path mark = directory.resolve(wal + suffix);
            try {
                if (written.toInstant().isAfter(Files.getLastModifiedTime(mark).toInstant().plus(MARK_TIME_TOLERANCE))) {
                    forgotten |= Files.deleteIfExists(mark);
                }
            } catch (NoSuchFileException e) {
                // no such mark
            }
        }
        return forgotten;
    }

    /** True when {@code wal} is stored: an ok mark, reported or not. */
    public boolean hasOk(String wal) {
        return Files.exists(directory.resolve(wal + OK)) || Files.exists(directory.resolve(wal + REPORTED));
    }

    public boolean hasError(String wal) {
        return Files.exists(directory.resolve(wal + ERROR));
    }

    /**
     * The reason of {@code wal}'s error mark and the exit code a synchronous call would have given,
     * which this call removes, so that the uploader tries it again; else the reason the uploader holds
     * it back ({@link #markHeld}), also removed (the uploader writes it again while it holds the file).
     * A mark an earlier release wrote holds the reason only: its code is 1.
     */
    public Optional<Failure> takeError(String wal) throws IOException {
        Optional<Failure> error = take(directory.resolve(wal + ERROR)).map(ArchiveSpool::failure);
        Optional<Failure> held = take(directory.resolve(wal + HELD)).map(ArchiveSpool::failure);
        return error.isPresent() ? error : held;
    }

    /** The reason of {@code wal}'s error mark and its exit code, left in place; empty when it has none. */
    public Optional<Failure> errorOf(String wal) throws IOException {
        try {
            return Optional.of(failure(Files.readString(directory.resolve(wal + ERROR), StandardCharsets.UTF_8).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> take(Path mark) throws IOException {
        try {
            String text = Files.readString(mark, StandardCharsets.UTF_8);
            Files.deleteIfExists(mark);
            return Optional.of(text.strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** A failure as a mark holds it: the exit code on the first line, the reason after it. */
    private static Failure failure(String text) {
        int newline = text.indexOf('\n');
        try {
            return new Failure(Integer.parseInt(text.substring(0, newline)), text.substring(newline + 1));
        } catch (RuntimeException unreadable) {
            return new Failure(1, text);
        }
    }

    /**
     * Records why an uploader could not start (its store could not be opened, an option it
     * rejects): the calls waiting for it report that instead of waiting out their timeout.
     */
    public void markUploaderFailed(int exitCode, String reason) throws IOException {
        write(UPLOADER_FAILED, exitCode + "\n" + reason);
    }

    /** Why an upload, or an uploader's start, failed, and the exit code a synchronous call would give. */
    public record Failure(int exitCode, String reason) {
    }

    /** Why an uploader could not start, which this call removes; empty when none was left. */
    public Optional<Failure> takeUploaderFailure() throws IOException {
        return take(directory.resolve(UPLOADER_FAILED)).map(ArchiveSpool::failure);
    }

    /**
     * Marks {@code wal} as taken on by the uploader, so that the launcher's fast path waits for its ok
     * mark instead of starting a JVM. Only a hint: the mark may outlive an uploader killed with -9
     * (the launcher then waits a bounded time), and the next uploader removes it.
     */
    public void markUploading(String wal) {
        try {
            io.cumulus.core.io.PrivateFiles.writeEmpty(directory.resolve(wal + UPLOADING));
        } catch (IOException e) {
            // without the mark the launcher starts the tool, which waits for the ok mark itself
        }
    }

    /**
     * Marks that an uploader runs on this spool, from its start until it exits: the launcher then
     * waits a moment for a new file's uploading mark instead of starting a JVM (the uploader looks for
     * new .ready files every few milliseconds). A mark left by a killed uploader costs the next call
     * that moment; the next uploader writes it anew. It holds the uploader's PID, which a call that
     * times out names ({@link #runningUploader}).
     */
    public void markUploaderRunning() throws IOException {
        write(UPLOADER_RUNNING, ProcessHandle.current().pid() + "\n");
    }

    /**
     * The uploader holding the lock, as far as the spool tells: its PID (empty when unknown: an earlier
     * release's), when it last wrote a mark of any kind, uploading marks included (or started, if later), and
     * the file it has been storing longest (empty when it holds no uploading mark).
     */
    public record RunningUploader(java.util.OptionalLong pid, java.time.Instant lastMark, Optional<Upload> oldestUpload) {
    }

    /** A file the uploader took on at {@code since} and has neither stored nor marked failed yet. */
    public record Upload(String wal, java.time.Instant since) {
    }

    /** The uploader that holds the lock now; empty when none does. */
    public Optional<RunningUploader> runningUploader() throws IOException {
        if (!uploaderRunning()) {
            return Optional.empty();
        }
        java.util.OptionalLong pid = java.util.OptionalLong.empty();
        java.time.Instant last = java.time.Instant.EPOCH;
        try {
            Path running = directory.resolve(UPLOADER_RUNNING);
            last = Files.getLastModifiedTime(running).toInstant();
            pid = java.util.OptionalLong.of(Long.parseLong(Files.readString(running, StandardCharsets.UTF_8).strip()));
        } catch (NoSuchFileException | NumberFormatException e) {
            // not written yet, or by an earlier release: no PID to name
        }
        Upload oldest = null;
        try (var files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                boolean uploading = name.endsWith(UPLOADING);
                if (uploading || name.endsWith(OK) || name.endsWith(REPORTED) || name.endsWith(ERROR)) {
                    try {
                        // an uploading mark is written empty, so its modification time is when it was written
                        java.time.Instant written = uploading ? Files.getLastModifiedTime(file).toInstant()
                                : changedAt(file);
                        last = written.isAfter(last) ? written : last;
                        if (uploading && (oldest == null || written.isBefore(oldest.since()))) {
                            // an uploader waiting on a store that does not answer writes no other mark for minutes
                            oldest = new Upload(name.substring(0, name.length() - UPLOADING.length()), written);
                        }
                    } catch (NoSuchFileException gone) {
                        // consumed meanwhile
                    }
                }
            }
        }
        return Optional.of(new RunningUploader(pid, last, Optional.ofNullable(oldest)));
    }

    /**
     * When {@code mark} was written: its status change time (an ok mark's modification time is that of the
     * WAL file it was written for), or its modification time where the file system has no such time.
     */
    private static java.time.Instant changedAt(Path mark) throws IOException {
        try {
            return ((FileTime) Files.getAttribute(mark, "unix:ctime")).toInstant();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Files.getLastModifiedTime(mark).toInstant();
        }
    }

    /** Removes the mark of {@link #markUploaderRunning()}: call when the uploader stops taking work. */
    public void clearUploaderRunning() throws IOException {
        Files.deleteIfExists(directory.resolve(UPLOADER_RUNNING));
    }

    /** Removes {@code wal}'s uploading mark: call after its ok or error mark is written. */
    public void clearUploading(String wal) {
        try {
            Files.deleteIfExists(directory.resolve(wal + UPLOADING));
        } catch (IOException e) {
            // a mark left behind makes the launcher wait a bounded time; the next uploader removes it
        }
    }

    /**
     * Removes every uploading mark (an uploader that died left them; the one starting now owns the
     * spool) and the temporary files of mark writers that are gone.
     */
    public void clearAllUploading() throws IOException {
        SpoolFiles.deleteEndingWith(directory, UPLOADING);
        SpoolFiles.deleteTemporariesOfDeadWriters(directory);
    }

    /**
     * Fails as the uploader's next mark would when the spool cannot take one (a full file system: out
     * of blocks or of inodes; a file where the directory should be): writes and removes a small file as
     * marks are written, through a temporary file and a rename. A call that finds the spool so waits for
     * no mark; it archives its segment itself.
     */
    public void checkWritable() throws IOException {
        // as long as the longest mark, the "already archived" note: a full disk may still take an empty file
        write(WRITABLE, "a mark the size of an ok mark's note, written and removed to see that the spool takes one");
        Files.deleteIfExists(directory.resolve(WRITABLE));
    }

    /** The directory given as {@code --spool-dir}, whose file system holds the marks. */
    public Path spoolDirectory() {
        return root.getParent();
    }

    /**
     * Marks {@code wal} stored. Call only after the store confirmed the object. The mark takes
     * {@code walModified}, the modification time of the file that was stored, read before it was, so
     * that a later file of the same name is not taken for it ({@link #forgetIfStale}; the launcher's
     * fast path compares the two times too).
     */
    public void markOk(String wal, String note, FileTime walModified) throws IOException {
        Files.deleteIfExists(directory.resolve(wal + ERROR));
        SpoolFiles.writeAtomically(directory, wal + OK, note, java.util.Objects.requireNonNull(walModified));
    }

    /** Marks {@code wal} failed with {@code reason}, which a synchronous call would have reported with {@code exitCode}. */
    public void markError(String wal, Failure failure) throws IOException {
        write(wal + ERROR, failure.exitCode() + "\n" + failure.reason());
    }

    /**
     * Marks {@code wal} held back by the uploader, which does not store it yet, with {@code failure} as the
     * reason a call waiting for it reports ({@link #takeError}): the history file that must be stored first
     * was refused.
     */
    public void markHeld(String wal, Failure failure) throws IOException {
        write(wal + HELD, failure.exitCode() + "\n" + failure.reason());
    }

    /** Removes {@code wal}'s held mark ({@link #markHeld}): the uploader no longer holds it back. */
    public void clearHeld(String wal) throws IOException {
        Files.deleteIfExists(directory.resolve(wal + HELD));
    }

    /** Removes the marks of {@code wal} (PostgreSQL no longer needs it archived). */
    public void forget(String wal) throws IOException {
        Files.deleteIfExists(directory.resolve(wal + OK));
        Files.deleteIfExists(directory.resolve(wal + REPORTED));
        Files.deleteIfExists(directory.resolve(wal + ERROR));
        Files.deleteIfExists(directory.resolve(wal + HELD));
    }

    /**
     * The marks of every WAL file, from one listing of the spool.
     *
     * @param stored files with an ok mark, reported or not (as {@link #hasOk})
     * @param failed files with an error mark (as {@link #hasError})
     * @param held files with a held mark ({@link #markHeld})
     */
    public record Marks(java.util.Set<String> stored, java.util.Set<String> failed, java.util.Set<String> held) {
        /** Every file with a mark of any kind. */
        public java.util.Set<String> names() {
            java.util.Set<String> names = new java.util.TreeSet<>(stored);
            names.addAll(failed);
            names.addAll(held);
            return names;
        }
    }

    /** The marks of every WAL file now (one directory listing, where {@link #hasOk} costs two stats a file). */
    public Marks marks() throws IOException {
        java.util.Set<String> stored = new java.util.HashSet<>();
        java.util.Set<String> failed = new java.util.HashSet<>();
        java.util.Set<String> held = new java.util.HashSet<>();
        try (var files = Files.list(directory)) {
            files.map(p -> p.getFileName().toString()).forEach(n -> {
                if (n.endsWith(OK) || n.endsWith(REPORTED)) {
                    stored.add(n.substring(0, n.lastIndexOf('.')));
                } else if (n.endsWith(ERROR)) {
                    failed.add(n.substring(0, n.lastIndexOf('.')));
                } else if (n.endsWith(HELD)) {
                    held.add(n.substring(0, n.lastIndexOf('.')));
                }
            });
        }
        return new Marks(stored, failed, held);
    }

    /**
     * Takes the uploader lock, held until the returned lock is released or the process ends (even by
     * kill -9), or returns empty when another process holds it.
     */
    public Optional<FileLock> tryLockUploader() throws IOException {
        return new WorkerLock(directory.resolve(UPLOADER_LOCK)).tryLock();
    }

    /** True when an uploader process holds the lock. */
    public boolean uploaderRunning() throws IOException {
        return new WorkerLock(directory.resolve(UPLOADER_LOCK)).heldElsewhere();
    }

    private void write(String name, String content) throws IOException {
        SpoolFiles.writeAtomically(directory, name, content);
    }
}
