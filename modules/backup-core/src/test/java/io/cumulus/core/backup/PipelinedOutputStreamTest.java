package io.cumulus.core.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The hand-over between the reading and the compressing thread. */
class PipelinedOutputStreamTest {

    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    /** A target that records what reached it and whether it was closed, optionally failing after some bytes. */
    private static final class Target extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final long failAfter;
        volatile boolean closed;
        volatile String writer;

        Target(long failAfter) {
            this.failAfter = failAfter;
        }

        @Override
        public void write(int b) {
            throw new UnsupportedOperationException();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            writer = Thread.currentThread().getName();
            if (bytes.size() + len > failAfter) {
                throw new IOException("target refused");
            }
            bytes.write(b, off, len);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void everythingReachesTheTargetInOrderFromAnotherThreadAndCloseClosesIt() throws IOException {
        Target target = new Target(Long.MAX_VALUE);
        byte[] data = new byte[1_000_003];
        new Random(1).nextBytes(data);
        PipelinedOutputStream out = new PipelinedOutputStream(target, executor, 4096, 3);
        for (int off = 0; off < data.length; off += 777) {
            out.write(data, off, Math.min(777, data.length - off));
        }
        out.close();

        assertTrue(target.closed);
        assertArrayEquals(data, target.bytes.toByteArray());
        assertFalse(target.writer.equals(Thread.currentThread().getName()));
    }

    @Test
    void drainWaitsUntilTheTargetHasEverythingWithoutClosingIt() throws IOException {
        Target target = new Target(Long.MAX_VALUE);
        PipelinedOutputStream out = new PipelinedOutputStream(target, executor, 1000, 2);
        out.write(new byte[2500], 0, 2500);
        assertTrue(out.pendingBytes() >= 500, "the last, partial chunk is still here");

        out.drain();

        assertEquals(0, out.pendingBytes());
        assertEquals(2500, target.bytes.size());
        assertFalse(target.closed);
        out.close();
        assertTrue(target.closed);
    }

    @Test
    void aFailureOfTheTargetReachesTheWriterAndTheTargetIsNotClosed() {
        Target target = new Target(10_000);
        PipelinedOutputStream out = new PipelinedOutputStream(target, executor, 1000, 2);

        IOException failure = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 1000; i++) {
                out.write(new byte[1000], 0, 1000);
            }
            out.close();
        });

        assertEquals("target refused", failure.getMessage());
        assertFalse(target.closed);
    }

    @Test
    void abortStopsTheWritingThreadWithoutClosingTheTarget() throws IOException {
        Target target = new Target(Long.MAX_VALUE);
        PipelinedOutputStream out = new PipelinedOutputStream(target, executor, 1000, 2);
        out.write(new byte[5000], 0, 5000);

        out.abort();

        assertFalse(target.closed);
        assertThrows(IOException.class, () -> out.write(new byte[1], 0, 1));
    }
}
