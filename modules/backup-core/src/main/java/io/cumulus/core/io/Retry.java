package io.cumulus.core.io;

import io.cumulus.storage.StoreUnavailableException;
import java.io.IOException;
import java.time.Duration;

/**
 * Repeats an operation that failed because the store was unavailable, with growing pauses, until a
 * deadline. Other failures are final and pass through at once. (The SDKs already retry each request
 * a few times; this bounds an outage of minutes, which matters while PostgreSQL waits on a WAL.)
 */
public final class Retry {

    /** An operation that may be repeated. */
    @FunctionalInterface
    public interface Operation<T> {
        T run() throws IOException;
    }

    /** Reports each retry, e.g. to the log. */
    @FunctionalInterface
    public interface Listener {
        void retrying(StoreUnavailableException cause, Duration pause);
    }

    private static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(10);

    private final Duration timeout;
    private final Listener listener;

    public Retry(Duration timeout, Listener listener) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative retry timeout " + timeout);
        }
        this.timeout = timeout;
        this.listener = listener;
    }

    /** Runs {@code operation}, repeating it while the store is unavailable and time is left. */
    public <T> T run(Operation<T> operation) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            try {
                return operation.run();
            } catch (StoreUnavailableException e) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw e;
                }
                Duration wait = pause.toNanos() < left ? pause : Duration.ofNanos(left);
                listener.retrying(e, wait);
                sleep(wait);
                pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
            }
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting to retry");
        }
    }
}
