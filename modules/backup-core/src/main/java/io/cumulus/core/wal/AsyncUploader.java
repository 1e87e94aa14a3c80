package io.cumulus.core.wal;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.io.DirectoryWatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The background half of asynchronous archiving (pgBackRest's design): ships every WAL file
 * PostgreSQL has marked {@code .ready} in {@code pg_wal/archive_status}, several at a time, ahead of
 * the {@code archive_command} calls that will ask for them. An {@code ok} mark is written only after
 * the store confirmed the object, so a crash at any moment never yields an {@code ok} for a file that
 * is not stored. It keeps PostgreSQL's order for timeline history files: a ready history file is stored
 * before anything after it ({@link #holdingHistory}). It keeps looking for new work until it has been
 * idle for a while, until archive_command changed (another key became current for its data directory,
 * or no call of its key has come for a while although there is work), or until the PostgreSQL server
 * that started it is gone, then returns.
 */
public final class AsyncUploader {

    /** Reports what the uploader does. */
    public interface Listener {
        void stored(String wal, WalArchiver.Outcome outcome);

        /** {@code wal} could not be stored, for the reason {@link #failureOf} gave; its error mark is written. */
        void failed(String wal, ArchiveSpool.Failure failure);

        /**
         * The exit code a synchronous call would give for {@code failure} and the line it would print, kept
         * in the error mark for the call that reports it; asked before anything is logged, so it must not log.
         */
        default ArchiveSpool.Failure failureOf(Exception failure) {
            return new ArchiveSpool.Failure(1, failure.getMessage() == null ? failure.toString() : failure.getMessage());
        }

        /** The spool took no mark (a full disk): the uploader takes no new work for {@code pause}. */
        default void spoolUnwritable(IOException failure, Duration pause) {
        }

        /**
         * The uploader stops: there are files to ship, but no archive_command call of its key has come
         * for {@code sinceLastCall} (PostgreSQL archives with another command now).
         */
        default void uncalled(Duration sinceLastCall) {
        }
    }

    private static final long SCAN_INTERVAL_MILLIS = 20;
    /**
     * With nothing to do, the uploader waits for PostgreSQL to create a {@code .ready} file (the kernel
     * tells it, where the file system can) and looks again at least this often: for an error mark the
     * foreground cleared, a changed archive_command, or a file system that reports nothing. Looking
     * every 20 ms while idle cost about 4 % of a core.
     */
    private static final Duration IDLE_SCAN = Duration.ofMillis(250);
    /**
     * How long the uploader first takes no new work after the spool refused a mark, doubling up to
     * {@link #MAX_SPOOL_BACK_OFF} while it keeps refusing. Without it a full spool made the uploader ship
     * (list and compare on the store) the same stored segments again every 20 ms, at 15 % of a core.
     */
    static final Duration SPOOL_BACK_OFF = Duration.ofSeconds(1);
    static final Duration MAX_SPOOL_BACK_OFF = Duration.ofSeconds(60);
    /** How often the uploader looks whether the server that started it still runs, or calls still come. */
    private static final Duration SERVER_CHECK_INTERVAL = Duration.ofSeconds(1);
    /**
     * How long the uploader takes new files on without an archive_command call of its key (at least its
     * idle timeout): after archive_command changed to a synchronous command, another spool or '' (none of
     * which makes another key current here), the .ready files keep coming, and it would otherwise ship them
     * to the old destination for as long as WAL flows. Well above PostgreSQL's longest pause between calls
     * while it has a segment to archive (it retries a failing one after 60 s at most).
     */
    static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);

    /** Besides the store writer's buffers, what one upload holds: codec, digest and request buffers. */
    private static final long PER_UPLOAD = 1L << 20;
    private static final long MIB = 1L << 20;

    private final WalArchiver archiver;
    private final ArchiveSpool spool;
    private final Path pgWal;
    /** {@code pg_wal/archive_status}: PostgreSQL's marks, listed for work and watched while idle. */
    private final Path archiveStatus;
    private final int parallel;
    private final Duration idleTimeout;
    private final Duration callTimeout;
    private final Listener listener;
    private final AtomicLong listings = new AtomicLong();
    /**
     * The upload buffers' share of the heap, in MiB: an upload takes what its file needs
     * ({@link #bufferNeed}) before it reads the file, and waits while the others hold it all. So any
     * --max-parallel fits the heap; with large segments or a small heap fewer uploads run at once.
     */
    private final Semaphore buffers;
    private final int bufferBudgetMiB;
    /**
     * The first line of the data directory's {@code postmaster.pid} (the server's PID) when this
     * uploader started, or null when there was none (a pg_wal outside a running server's data directory).
     */
    private final String postmaster;
    /** When {@link #sameServer} last read postmaster.pid: at most once a second, not at every 20 ms scan. */
    private long serverCheckedAt = System.nanoTime();
    /** Set when a failed upload found the server gone ({@link #serverGone()}): no new work is taken. */
    private volatile boolean serverGone;
    /** When {@link #sinceLastCall} last looked at the spool's call mark, and what it found then. */
    private long callCheckedAt = System.nanoTime();
    private Duration sinceLastCall = Duration.ZERO;
    /** When this uploader started: the call that started it counts as a call. */
    private java.time.Instant startedAt = java.time.Instant.now();
    /**
     * The last failure of each history file whose last upload failed, kept for the held marks of the files
     * it holds back ({@link #holdBack}): its own error mark is gone once PostgreSQL's call for it has read it.
     */
    private final java.util.Map<String, ArchiveSpool.Failure> refusedHistories =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** The history file whose failure the spool's held marks carry (the run loop's own), or null. */
    private String heldBy;
    /** Until when (System.nanoTime) no new work is taken on: the spool refused a mark. */
    private volatile long pausedUntil = System.nanoTime();
    /** The next pause after the spool refuses a mark; back to {@link #SPOOL_BACK_OFF} once it takes one. */
    private Duration nextPause = SPOOL_BACK_OFF;

    /**
     * @param pgWal the directory holding the WAL files (its {@code archive_status} holds the marks)
     * @param parallel how many files are uploaded at once
     * @param idleTimeout how long to wait for new work before returning
     */
    public AsyncUploader(WalArchiver archiver, ArchiveSpool spool, Path pgWal, int parallel, Duration idleTimeout,
                         Listener listener) {
        this(archiver, spool, pgWal, parallel, idleTimeout, listener, bufferBudget(Runtime.getRuntime().maxMemory()));
    }

    AsyncUploader(WalArchiver archiver, ArchiveSpool spool, Path pgWal, int parallel, Duration idleTimeout,
                  Listener listener, long bufferBudget) {
        this(archiver, spool, pgWal, parallel, idleTimeout, listener, bufferBudget,
                CALL_TIMEOUT.compareTo(idleTimeout) > 0 ? CALL_TIMEOUT : idleTimeout);
    }

    /**
     * @param bufferBudget the bytes the uploads may hold in buffers at once ({@link #bufferBudget(long)}
     *     of the heap in the uploader)
     * @param callTimeout how long to take new files on without an archive_command call of the spool's key
     */
    AsyncUploader(WalArchiver archiver, ArchiveSpool spool, Path pgWal, int parallel, Duration idleTimeout,
                  Listener listener, long bufferBudget, Duration callTimeout) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
        }
        this.archiver = archiver;
        this.spool = spool;
        this.pgWal = pgWal;
        this.archiveStatus = pgWal.resolve("archive_status");
        this.parallel = parallel;
        this.idleTimeout = idleTimeout;
        this.callTimeout = callTimeout;
        this.listener = listener;
        this.postmaster = postmasterOf(pgWal);
        this.bufferBudgetMiB = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bufferBudget / MIB));
        this.buffers = new Semaphore(bufferBudgetMiB, true);
    }

    /**
     * The bytes the uploads may buffer at once in a heap of {@code maxHeap}: half of it. The buffer pool
     * keeps up to a quarter more in spare buffers (io.cumulus.storage.BufferPool), and the rest is the
     * uploader's own (clients, codecs, marks) and the collector's room. 512 MiB, the uploader's heap,
     * lets 15 uploads of 16 MiB segments buffer at once, or 3 of 64 MiB segments.
     */
    public static long bufferBudget(long maxHeap) {
        return maxHeap / 2;
    }

    /**
     * The most one upload of a file of {@code size} bytes buffers: what the store's writer holds for it
     * (one request's body, or its parts in flight and the one being filled, as the store's part size and
     * concurrency make them: BlobStore#writeBufferNeed), and the codec's and request's own buffers.
     */
    long bufferNeed(long size) {
        return archiver.bufferNeed(size) + PER_UPLOAD;
    }

    /** Uploads until idle; returns how many files it stored or found already stored. */
    public int run() throws IOException, InterruptedException {
        ExecutorService workers = Executors.newFixedThreadPool(parallel, runnable -> {
            Thread thread = new Thread(runnable, "wal-upload");
            thread.setDaemon(true);
            return thread;
        });
        Set<String> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int[] done = {0};
        long idleSince = System.nanoTime();
        startedAt = java.time.Instant.now();
        spool.clearAllUploading();
        spool.markUploaderRunning();
        try (DirectoryWatch newMarks = DirectoryWatch.on(archiveStatus, StandardWatchEventKinds.ENTRY_CREATE)) {
            while (spool.isCurrent() && sameServer()) {
                if (inFlight.size() >= parallel * 2) {
                    // nothing more could be taken on: no need to list the directories again yet
                    idleSince = System.nanoTime();
                    Thread.sleep(SCAN_INTERVAL_MILLIS);
                    continue;
                }
                if (System.nanoTime() - pausedUntil < 0) {
                    // the spool takes no mark: PostgreSQL's calls archive their segments themselves meanwhile
                    // (a pause counts as idle, so an uploader on a spool that stays full goes away)
                    if (inFlight.isEmpty() && System.nanoTime() - idleSince > idleTimeout.toNanos()) {
                        break;
                    }
                    Thread.sleep(Math.min(IDLE_SCAN.toMillis(), Math.max(1, (pausedUntil - System.nanoTime()) / 1_000_000)));
                    continue;
                }
                // Taken before the marks are listed: a file in flight then either has its mark in the
                // listing or is still in this copy, so none is submitted twice.
                Set<String> busy = Set.copyOf(inFlight);
                List<String> ready = readyFiles();
                ArchiveSpool.Marks marks = spool.marks();
                forgetFinished(ready, marks);
                String holding = holdingHistory(ready, marks.stored());
                if (!marks.held().isEmpty() && (holding == null || !holding.equals(heldBy))) {
                    // stored, or another history file holds them now (or an earlier uploader wrote them):
                    // their reason no longer stands; what is still held gets a mark with the right one
                    for (String wal : marks.held()) {
                        spool.clearHeld(wal);
                    }
                    marks = spool.marks();
                }
                heldBy = holding;
                boolean submitted = false;
                boolean unserved = false;
                for (String wal : ready) {
                    if (inFlight.size() >= parallel * 2) {
                        break;
                    }
                    if (busy.contains(wal) || inFlight.contains(wal) || marks.stored().contains(wal)
                            || marks.failed().contains(wal)) {
                        continue;
                    }
                    if (holding != null && !wal.equals(holding)) {
                        holdBack(wal, holding, marks);
                        continue;
                    }
                    if (uncalled()) {
                        unserved = true;
                        break;
                    }
                    inFlight.add(wal);
                    submitted = true;
                    spool.markUploading(wal);
                    workers.execute(() -> {
                        try {
                            if (upload(wal)) {
                                synchronized (done) {
                                    done[0]++;
                                }
                            }
                        } finally {
                            spool.clearUploading(wal);
                            inFlight.remove(wal);
                        }
                    });
                }
                if (unserved) {
                    Duration since = sinceLastCall;
                    report(() -> listener.uncalled(since));
                    break;
                }
                if (submitted || !inFlight.isEmpty()) {
                    idleSince = System.nanoTime();
                    Thread.sleep(SCAN_INTERVAL_MILLIS);
                } else if (System.nanoTime() - idleSince > idleTimeout.toNanos()) {
                    break;
                } else {
                    newMarks.await(IDLE_SCAN);
                }
            }
        } finally {
            spool.clearUploaderRunning();
            workers.shutdown();
            workers.awaitTermination(1, TimeUnit.HOURS);
        }
        synchronized (done) {
            return done[0];
        }
    }

    /**
     * The ready history file that holds back every other ready file, or null when there is none: the one of
     * the lowest timeline not yet stored. PostgreSQL archives history files first, and while one fails it
     * archives nothing else; the uploader keeps that order, or a server promoted by mistake to a timeline
     * another server already took (its history file refused: different content) would store its WAL under
     * the names the real new primary is about to write, whose calls would then be refused. Not only the
     * segments of that timeline wait: the {@code .partial} of the parent timeline, which the promotion
     * wrote, has a name the other server's promotion wrote too, and a history file of a later timeline of
     * such a server would make a recovery to the latest timeline follow it. PostgreSQL's calls come in
     * that order anyway, so holding the files back delays none of its answers.
     */
    static String holdingHistory(List<String> ready, Set<String> stored) {
        for (String wal : ready) {
            if (isHistory(wal) && !stored.contains(wal)) {
                return wal;
            }
        }
        return null;
    }

    private static boolean isHistory(String wal) {
        return wal.endsWith(".history");
    }

    /**
     * Gives {@code wal}, held back behind {@code history}, a held mark with the history file's last
     * failure, so that a call waiting for it (by hand: PostgreSQL calls for the history file until it is
     * stored) fails at once with the real cause instead of waiting out its timeout. None while the history
     * file has not failed, in this uploader or in one before it whose error mark is still there.
     */
    private void holdBack(String wal, String history, ArchiveSpool.Marks marks) {
        if (marks.held().contains(wal)) {
            return;
        }
        try {
            ArchiveSpool.Failure refused = refusedHistories.get(history);
            if (refused == null && marks.failed().contains(history)) {
                refused = spool.errorOf(history).orElse(null);
                if (refused != null) {
                    refusedHistories.put(history, refused);
                }
            }
            if (refused == null) {
                return;
            }
            spool.markHeld(wal, heldBack(wal, history, refused));
        } catch (IOException e) {
            // without the mark such a call waits its timeout, then says so; the file stays held all the same
        }
    }

    /** What a call for {@code wal} reports while it is held back behind {@code history}, refused with {@code refused}. */
    static ArchiveSpool.Failure heldBack(String wal, String history, ArchiveSpool.Failure refused) {
        return new ArchiveSpool.Failure(refused.exitCode(), "not storing " + wal + " yet: " + history
                + " goes first (PostgreSQL archives a timeline's history file before any later WAL, and --async"
                + " keeps that order), and storing it failed: " + refused.reason());
    }

    /**
     * True when no archive_command call of the spool's key has come for {@link #callTimeout} (nor since
     * this uploader started): looked at at most once a second.
     */
    private boolean uncalled() {
        long now = System.nanoTime();
        if (now - callCheckedAt < SERVER_CHECK_INTERVAL.toNanos()) {
            return sinceLastCall.compareTo(callTimeout) > 0;
        }
        callCheckedAt = now;
        java.time.Instant last = startedAt;
        try {
            java.util.Optional<java.time.Instant> called = spool.lastCall();
            if (called.isPresent() && called.get().isAfter(last)) {
                last = called.get();
            }
        } catch (IOException e) {
            return false; // unreadable for a moment is no sign that calls stopped
        }
        sinceLastCall = Duration.between(last, java.time.Instant.now());
        return sinceLastCall.compareTo(callTimeout) > 0;
    }

    /** Stores {@code wal} and marks it; true when it is stored, false when it failed (an error mark says why). */
    private boolean upload(String wal) {
        Path file = pgWal.resolve(wal);
        int need;
        try {
            need = (int) Math.min(bufferBudgetMiB, (bufferNeed(Files.size(file)) + MIB - 1) / MIB);
        } catch (IOException e) {
            need = 1; // gone or unreadable: the archiver fails on it with its own message
        }
        buffers.acquireUninterruptibly(need);
        try {
            // read before the file is: its ok mark must name the version of the file that was stored
            FileTime modified = modifiedTime(file);
            WalArchiver.Outcome outcome = archiver.archive(file);
            try {
                spool.markOk(wal, outcome == WalArchiver.Outcome.ALREADY_ARCHIVED
                        ? "WAL file " + wal + " is already archived with the same content; nothing written" : "",
                        modified);
            } catch (IOException markFailure) {
                // stored, but no call will hear it from the spool: no error mark either (it would be false)
                spoolUnwritable(markFailure);
                return false;
            }
            spoolWritable();
            refusedHistories.remove(wal);
            report(() -> listener.stored(wal, outcome));
            return true;
        } catch (Exception e) {
            failed(wal, e);
        } catch (OutOfMemoryError e) {
            // the uploads' buffers are bounded; what is left did not fit: say so rather than lose the thread
            failed(wal, new OperationFailedException("out of memory while storing " + wal + " (heap "
                    + (Runtime.getRuntime().maxMemory() / MIB) + " MiB, uploads' buffers bounded to " + bufferBudgetMiB
                    + " MiB): the file is tried again; if this repeats, give the uploader more heap"
                    + " (CUMULUS_JAVA_OPTS=-Xmx1g)", e));
        } catch (Error e) {
            failed(wal, new OperationFailedException("internal error while storing " + wal + ": " + e, e));
        } finally {
            buffers.release(need);
        }
        return false;
    }

    /**
     * Marks a failed upload, so that the waiting call fails with the reason, then reports it: the mark
     * first, since reporting is logging, which can fail too (out of file descriptors, the JVM's time
     * zone data could not be read, and every log call threw).
     */
    private void failed(String wal, Exception e) {
        ArchiveSpool.Failure failure = listener.failureOf(e);
        if (serverGone()) {
            // an upload begun before PostgreSQL was restarted (with another environment, say a corrected
            // endpoint): the new server's call would report this failure of the old set-up; it starts an
            // uploader of its own once this one has stopped, which it now does, taking no new work
            serverGone = true;
            report(() -> listener.failed(wal, failure));
            return;
        }
        if (isHistory(wal)) {
            refusedHistories.put(wal, failure);
        }
        try {
            spool.markError(wal, failure);
            spoolWritable();
        } catch (IOException markFailure) {
            spoolUnwritable(markFailure);
        }
        report(() -> listener.failed(wal, failure));
    }

    /** True when postmaster.pid, read now, shows that the server that started this uploader stopped or was restarted. */
    private boolean serverGone() {
        if (postmaster == null) {
            return false;
        }
        try {
            return !postmaster.equals(firstLineOfPostmasterPid(pgWal));
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The spool refused a mark: take no new work for a while, longer each time it refuses again. */
    private void spoolUnwritable(IOException failure) {
        Duration pause;
        synchronized (this) {
            pause = nextPause;
            Duration doubled = nextPause.multipliedBy(2);
            nextPause = doubled.compareTo(MAX_SPOOL_BACK_OFF) > 0 ? MAX_SPOOL_BACK_OFF : doubled;
            pausedUntil = System.nanoTime() + pause.toNanos();
        }
        report(() -> listener.spoolUnwritable(failure, pause));
    }

    private synchronized void spoolWritable() {
        nextPause = SPOOL_BACK_OFF;
    }

    /**
     * Runs a report to the listener, whose failure (logging that throws) must cost neither a mark nor
     * the worker thread: the marks are what the calls wait for.
     */
    private static void report(Runnable report) {
        try {
            report.run();
        } catch (Throwable logging) {
            // nothing left to report it with; the marks say what happened
        }
    }

    /**
     * The modification time of {@code file}, or the epoch when it is gone: the archiver then fails on
     * it with its own message, and no ok mark is written.
     */
    private static FileTime modifiedTime(Path file) throws IOException {
        try {
            return Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            return FileTime.fromMillis(0);
        }
    }

    /**
     * True while the PostgreSQL server that started this uploader runs. The uploader outlives the
     * archive_command call that started it, and works with that call's environment (credentials,
     * profile, endpoint), tool and data directory: once the server is restarted (which a change of
     * its environment needs) or stopped, this one stops taking work, and the next call starts an
     * uploader with what the server now has, instead of one that keeps storing with the old.
     */
    private boolean sameServer() {
        if (serverGone) {
            return false;
        }
        long now = System.nanoTime();
        if (postmaster == null || now - serverCheckedAt < SERVER_CHECK_INTERVAL.toNanos()) {
            return true;
        }
        serverCheckedAt = now;
        try {
            return postmaster.equals(firstLineOfPostmasterPid(pgWal));
        } catch (NoSuchFileException e) {
            return false; // the server stopped
        } catch (IOException e) {
            return true; // unreadable for a moment is no sign of a restart
        }
    }

    /** The first line of {@code postmaster.pid} in pg_wal's parent (the data directory), or null. */
    private static String postmasterOf(Path pgWal) {
        try {
            return firstLineOfPostmasterPid(pgWal);
        } catch (IOException e) {
            return null;
        }
    }

    private static String firstLineOfPostmasterPid(Path pgWal) throws IOException {
        Path dataDirectory = pgWal.toAbsolutePath().getParent();
        if (dataDirectory == null) {
            throw new NoSuchFileException("postmaster.pid");
        }
        try (java.io.BufferedReader reader = Files.newBufferedReader(dataDirectory.resolve("postmaster.pid"))) {
            return reader.readLine();
        }
    }

    /** How many times this uploader has listed archive_status (for tests: what idling costs). */
    long listings() {
        return listings.get();
    }

    /**
     * The files PostgreSQL wants archived in its order: history files first, by timeline, then the others
     * oldest first.
     */
    private List<String> readyFiles() throws IOException {
        listings.incrementAndGet();
        try (Stream<Path> files = Files.list(archiveStatus)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".ready"))
                    .map(n -> n.substring(0, n.length() - ".ready".length()))
                    .filter(WalName::isWalName)
                    .sorted(java.util.Comparator.comparing((String wal) -> !isHistory(wal))
                            .thenComparing(java.util.Comparator.naturalOrder()))
                    .toList();
        }
    }

    /** Drops marks of files PostgreSQL no longer waits for, so that the spool does not grow. */
    private void forgetFinished(List<String> ready, ArchiveSpool.Marks marks) throws IOException {
        Set<String> waiting = new HashSet<>(ready);
        for (String wal : marks.names()) {
            if (!waiting.contains(wal)) {
                spool.forget(wal);
            }
        }
    }
}
