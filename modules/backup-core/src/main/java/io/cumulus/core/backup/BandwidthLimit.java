package io.cumulus.core.backup;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;

/**
 * {@code --max-bandwidth}: holds the writer back so that, averaged over any second, no more than the
 * given bytes per second reach the store. A token bucket one second deep: after a pause (the server
 * finishing a checkpoint) one second's worth may go at once, never more. Shared by the parts of a
 * backup, which are written one after the other.
 */
final class BandwidthLimit {

    private static final long BURST_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final double nanosPerByte;
    /** When the bytes let through so far have left at the allowed rate. */
    private long freeAt = Long.MIN_VALUE / 2;

    BandwidthLimit(long bytesPerSecond) {
        if (bytesPerSecond < 1) {
            throw new IllegalArgumentException("bandwidth must be positive: " + bytesPerSecond);
        }
        this.nanosPerByte = 1e9 / bytesPerSecond;
    }

    /** Lets {@code bytes} through, sleeping first if they would go above the rate. */
    synchronized void acquire(long bytes) throws InterruptedIOException {
        long now = System.nanoTime();
        long start = Math.max(freeAt, now - BURST_NANOS);
        freeAt = start + (long) (bytes * nanosPerByte);
        long wait = freeAt - now;
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while limiting the bandwidth");
            }
        }
    }
}
