package io.cumulus.core.wal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fetches the segments that follow one PostgreSQL asked for, several at a time, into a {@link
 * RestoreSpool}, so that the next {@code restore_command} calls are answered from local disk. Only
 * full segments of the same timeline are fetched (never a {@code .partial}); it stops at the end of
 * the archive.
 */
public final class WalPrefetcher {

    /** Reports what the prefetcher does. */
    public interface Listener {
        void fetched(String wal);

        void failed(String wal, Exception failure);
    }

    private final WalRestorer restorer;
    private final RestoreSpool spool;
    private final int parallel;
    private final Listener listener;

    public WalPrefetcher(WalRestorer restorer, RestoreSpool spool, int parallel, Listener listener) {
        if (parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + parallel);
        }
        this.restorer = restorer;
        this.spool = spool;
        this.parallel = parallel;
        this.listener = listener;
    }

    /**
     * Fetches up to {@code count} segments after {@code after} (segments of {@code segmentSize}
     * bytes) that the spool does not hold yet; returns how many it fetched.
     */
    public int prefetch(WalName after, int count, long segmentSize) throws InterruptedException {
        List<WalName> wanted = new ArrayList<>();
        WalName next = after.toSegment();
        for (int i = 0; i < count; i++) {
            next = next.next(segmentSize);
            wanted.add(next);
        }
        ExecutorService workers = Executors.newFixedThreadPool(parallel, runnable -> {
            Thread thread = new Thread(runnable, "wal-prefetch");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (WalName wal : wanted) {
                results.add(workers.submit(() -> fetch(wal)));
            }
            int fetched = 0;
            for (Future<Boolean> result : results) {
                try {
                    if (result.get()) {
                        fetched++;
                    }
                } catch (ExecutionException e) {
                    throw new IllegalStateException("prefetch task failed unexpectedly", e.getCause());
                }
            }
            return fetched;
        } finally {
            workers.shutdownNow();
        }
    }

    private boolean fetch(WalName wal) {
        if (spool.contains(wal.name())) {
            return false;
        }
        try {
            restorer.restore(wal, spool.pathOf(wal.name()), false);
            listener.fetched(wal.name());
            return true;
        } catch (WalNotFoundException e) {
            return false; // the end of the archive, or a timeline switch: nothing to fetch
        } catch (IOException | RuntimeException e) {
            listener.failed(wal.name(), e);
            return false;
        }
    }
}
