package io.cumulus.core.wal;

import io.cumulus.core.io.DirectoryWatch;
import java.io.IOException;
import java.nio.file.StandardWatchEventKinds;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The prefetch worker of {@code cumulus-wal-restore --prefetch}: keeps up to a window of segments
 * ahead of recovery in a {@link RestoreSpool}, fetching several at a time, so that restore_command is
 * answered from local disk. Recovery consumes the spool (a served segment leaves it), and the worker
 * refills it; when PostgreSQL asks for a segment the spool did not hold (a timeline switch, or
 * recovery overtook the worker), the worker continues from there and drops what recovery has passed.
 * Only full segments are fetched (never a {@code .partial}), and not one that has a {@code .partial} or where
 * the timeline recovery follows left the segment's ({@link WalRestorer#prefetch}): the worker stops there until
 * recovery asks for it, and restore_command's own call chooses its copy then. At the end of the archive it polls for
 * new segments (a standby), and it ends once recovery has asked for nothing and it has fetched
 * nothing for the idle time. While it has nothing to fetch it waits on the spool directory rather
 * than looking at it every few milliseconds.
 */
public final class WalPrefetcher {

    /** Reports what the prefetcher does. */
    public interface Listener {
        void fetched(String wal);

        void failed(String wal, Exception failure);
    }

    /** How often fetches in flight are looked at. */
    private static final Duration POLL = Duration.ofMillis(10);
    /**
     * With nothing in flight (the window is full, or the archive holds nothing more yet), the worker
     * waits for recovery to take a segment from the spool or ask for one (the kernel tells it, where
     * the file system can), and looks again at least this often.
     */
    private static final Duration IDLE_SCAN = Duration.ofMillis(250);
    private static final Duration AT_THE_END = Duration.ofSeconds(1);

    private final WalRestorer restorer;
    private final RestoreSpool spool;
    private final int window;
    private final int parallel;
    private final Listener listener;
    private final AtomicLong scans = new AtomicLong();

    /**
     * @param window how many segments to hold ahead of recovery
     * @param parallel how many to fetch at once
     */
    public WalPrefetcher(WalRestorer restorer, RestoreSpool spool, int window, int parallel, Listener listener) {
        if (window < 1 || parallel < 1) {
            throw new IllegalArgumentException("window and parallel must be at least 1, not " + window + "/" + parallel);
        }
        this.restorer = restorer;
        this.spool = spool;
        this.window = window;
        this.parallel = parallel;
        this.listener = listener;
    }

    /**
     * Follows recovery from {@code start} (the segment just served; segments of {@code segmentSize}
     * bytes) until it has been idle for {@code idle}. Up to {@code parallel} fetches are in flight at
     * any moment, and a new one starts as soon as one ends and the window has room. What the spool
     * holds outside the window after {@code start} is discarded first.
     */
    public void follow(WalName start, long segmentSize, Duration idle) throws InterruptedException, IOException {
        // An earlier worker's leftovers (a recovery stopped at its target, or stopped, and started again
        // elsewhere in the archive) would fill the window and never be asked for.
        Set<String> ahead = new HashSet<>();
        for (WalName wal = start.toSegment().next(segmentSize); ahead.size() < window; wal = wal.next(segmentSize)) {
            ahead.add(wal.name());
        }
        spool.discardAllBut(ahead);
        ExecutorService workers = Executors.newFixedThreadPool(parallel, runnable -> {
            Thread thread = new Thread(runnable, "wal-prefetch");
            thread.setDaemon(true);
            return thread;
        });
        try (DirectoryWatch recovery = DirectoryWatch.on(spool.directory(), StandardWatchEventKinds.ENTRY_CREATE,
                StandardWatchEventKinds.ENTRY_DELETE)) {
            Map<WalName, Future<Boolean>> inFlight = new LinkedHashMap<>();
            WalName next = start.toSegment().next(segmentSize);
            WalName missing = null; // the first segment the archive did not hold (or that failed)
            long retryAt = 0;
            String followed = spool.lastRequest().orElse(start.name());
            List<String> held = spool.segments();
            long lastActivity = System.nanoTime();
            while (System.nanoTime() - lastActivity < idle.toNanos()) {
                scans.incrementAndGet();
                String requested = spool.lastRequest().orElse(followed);
                if (!requested.equals(followed)) {
                    followed = requested;
                    lastActivity = System.nanoTime();
                    // The tool fetches that one itself: anything up to it is of no more use.
                    WalName wanted = WalName.parse(requested).toSegment();
                    spool.discardBefore(wanted.next(segmentSize).name());
                    if (wanted.timeline() != next.timeline() || wanted.compareTo(next) >= 0) {
                        next = wanted.next(segmentSize); // recovery is elsewhere, or ahead of the worker
                        missing = null;
                    } else if (missing != null && passed(missing, requested)) {
                        missing = null; // one the worker did not fetch (left to the tool, or failed): the tool did
                    }
                }
                for (Iterator<Map.Entry<WalName, Future<Boolean>>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<WalName, Future<Boolean>> fetch = it.next();
                    if (!fetch.getValue().isDone()) {
                        continue;
                    }
                    it.remove();
                    if (outcome(fetch.getValue())) {
                        lastActivity = System.nanoTime();
                    } else if (passed(fetch.getKey(), followed)) {
                        continue; // asked for meanwhile, and so fetched by the tool: looking again would loop on it
                    } else if (missing == null || fetch.getKey().compareTo(missing) < 0) {
                        missing = fetch.getKey();
                        retryAt = System.nanoTime() + AT_THE_END.toNanos();
                    }
                }
                if (missing != null && inFlight.isEmpty() && System.nanoTime() >= retryAt) {
                    // the end of the archive for now (or a failure): look again from there
                    if (missing.timeline() == next.timeline() && missing.compareTo(next) < 0) {
                        next = missing;
                    }
                    missing = null;
                }
                List<String> now = spool.segments();
                if (!now.equals(held)) {
                    lastActivity = System.nanoTime(); // recovery consumed some, or fetches landed
                    held = now;
                }
                while (missing == null && inFlight.size() < parallel && now.size() + inFlight.size() < window) {
                    WalName wal = next;
                    spool.markFetching(wal.name());
                    inFlight.put(wal, workers.submit(() -> fetch(wal)));
                    next = next.next(segmentSize);
                }
                if (!inFlight.isEmpty()) {
                    Thread.sleep(POLL.toMillis());
                } else {
                    // the window is full, or the archive held nothing more: wait for recovery, or until the retry
                    long untilRetry = missing == null ? IDLE_SCAN.toNanos() : retryAt - System.nanoTime();
                    recovery.await(Duration.ofNanos(Math.max(0, Math.min(IDLE_SCAN.toNanos(), untilRetry))));
                }
            }
        } finally {
            workers.shutdownNow();
        }
    }

    /** Whether recovery has passed {@code wal}: it asked for {@code requested}, a later segment of its timeline or itself. */
    private static boolean passed(WalName wal, String requested) {
        WalName asked = WalName.parse(requested).toSegment();
        return wal.timeline() == asked.timeline() && wal.compareTo(asked) <= 0;
    }

    /** How many times this worker has looked at its spool and its fetches (for tests: what waiting costs). */
    long scans() {
        return scans.get();
    }

    private static boolean outcome(Future<Boolean> result) throws InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("prefetch task failed unexpectedly", e.getCause());
        }
    }

    /** True when the segment is in the spool afterwards (fetched now, or before and not yet served). */
    private boolean fetch(WalName wal) {
        try {
            return fetchOnce(wal);
        } finally {
            spool.doneFetching(wal.name());
        }
    }

    private boolean fetchOnce(WalName wal) {
        if (spool.contains(wal.name())) {
            return true;
        }
        try {
            if (restorer.prefetch(wal, spool.pathOf(wal.name())).isEmpty()) {
                // the end of the archive, or a timeline switch: nothing to fetch; or a segment where a timeline
                // left its own, whose copy restore_command's call chooses when PostgreSQL asks for it
                return false;
            }
            listener.fetched(wal.name());
            return true;
        } catch (IOException | RuntimeException e) {
            listener.failed(wal.name(), e);
            return false;
        }
    }
}
