package io.cumulus.core.backup;

import io.cumulus.core.io.Futures;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One stage of the backup pipeline: what the caller writes (tar data) is handed in chunks to
 * another thread, which writes it to the target (the compressor and upload), so reading files and
 * compressing run at the same time on two cores. A fixed pool of {@code chunks} buffers of {@code
 * chunkSize} bytes circulates between the two threads: that is all the memory the stage holds, and
 * a writer that gets ahead waits for a buffer to come back.
 *
 * <p>{@link #pendingBytes()} says how much has not reached the target yet, and {@link #drain()}
 * waits until everything has, for a caller that needs to know exactly what the target holds.
 *
 * <p>{@link #close()} hands over what is left, waits until the other thread has written it and
 * closed the target (which commits an upload), and throws that thread's failure if it had one;
 * any write after such a failure throws it too. {@link #abort()} stops the other thread without
 * closing the target, so the caller can discard it. Written by one thread.
 */
final class PipelinedOutputStream extends OutputStream {

    /** Tells the writing thread that the stream is complete. */
    private static final byte[] END = new byte[0];

    private static final long POLL_MILLIS = 100;

    private final OutputStream target;
    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<Chunk> full;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Signalled by the writing thread after each chunk, for {@link #drain()}. */
    private final Object progress = new Object();
    private volatile boolean aborted;
    /** Bytes the writing thread has written to the target. */
    private volatile long written;
    /** Bytes handed to the writing thread, and buffered here; only the caller's thread uses them. */
    private long handedOver;
    private byte[] current;
    private int count;
    private boolean closed;

    /** A buffer and how much of it holds data. */
    private record Chunk(byte[] data, int length) {
    }

    /**
     * @param target written and closed by a thread of {@code executor}
     * @param executor runs one long task per stream: the writing thread
     */
    PipelinedOutputStream(OutputStream target, Executor executor, int chunkSize, int chunks) {
        this.target = Objects.requireNonNull(target, "target");
        if (chunkSize < 1 || chunks < 2) {
            throw new IllegalArgumentException("need at least two chunks of at least one byte");
        }
        this.free = new ArrayBlockingQueue<>(chunks);
        this.full = new ArrayBlockingQueue<>(chunks + 1);
        for (int i = 1; i < chunks; i++) {
            free.add(new byte[chunkSize]);
        }
        this.current = new byte[chunkSize];
        executor.execute(this::writeChunks);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream closed");
        }
        while (len > 0) {
            int n = Math.min(len, current.length - count);
            System.arraycopy(b, off, current, count, n);
            count += n;
            off += n;
            len -= n;
            if (count == current.length) {
                handOver();
            }
        }
    }

    /** Bytes written to this stream that have not reached the target yet. */
    long pendingBytes() {
        return handedOver + count - written;
    }

    /** Waits until everything written so far has reached the target (not closing it). */
    void drain() throws IOException {
        if (count > 0) {
            handOver();
        }
        synchronized (progress) {
            while (written < handedOver) {
                checkFailure();
                try {
                    progress.wait(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the compressor");
                }
            }
        }
        checkFailure();
    }

    /** Passes the current buffer to the writing thread and takes an empty one. */
    private void handOver() throws IOException {
        handedOver += count; // before the other thread can count it as written
        put(new Chunk(current, count));
        current = null;
        count = 0;
        while (current == null) {
            checkFailure();
            try {
                current = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while handing data to the compressor");
            }
        }
    }

    private void put(Chunk chunk) throws IOException {
        try {
            while (!full.offer(chunk, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                checkFailure();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing data to the compressor");
        }
    }

    /** Nothing to do: data reaches the target as chunks fill, and all of it at {@link #close()}. */
    @Override
    public void flush() throws IOException {
        checkFailure();
    }

    /** Hands over the rest, then waits until the target has been written and closed. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (count > 0) {
            handedOver += count;
            put(new Chunk(current, count));
        }
        put(new Chunk(END, 0));
        await();
    }

    /** Stops the writing thread without closing the target; returns once it no longer touches it. */
    void abort() {
        closed = true;
        aborted = true;
        try {
            done.get(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the thread failed or is stuck in the target: either way the caller discards the target
        }
    }

    private void checkFailure() throws IOException {
        if (done.isCompletedExceptionally()) {
            await();
        }
    }

    private void await() throws IOException {
        Futures.await(done, "waiting for the compressor");
    }

    /** The writing thread: chunks to the target until the end, then closes it. */
    private void writeChunks() {
        try {
            while (true) {
                Chunk chunk = full.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (aborted) {
                    done.complete(null);
                    return;
                }
                if (chunk == null) {
                    continue;
                }
                if (chunk.data() == END) {
                    target.close();
                    done.complete(null);
                    return;
                }
                target.write(chunk.data(), 0, chunk.length());
                free.add(chunk.data());
                synchronized (progress) {
                    written += chunk.length();
                    progress.notifyAll();
                }
            }
        } catch (Throwable t) {
            done.completeExceptionally(t);
        }
    }
}
