package io.cumulus.core.compress;

import io.cumulus.storage.BlobOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * What {@link Compression#compress} hands out: an encoder in front of the caller's target, where
 * closing commits the target only after the encoder has finished cleanly. After any failure the
 * target is aborted (a blob writer) or merely closed, so a half-written stream is never finished
 * into something that would look complete.
 */
final class EncodingOutputStream extends OutputStream {

    private final OutputStream encoder;
    private final OutputStream target;
    private boolean failed;
    private boolean closed;

    EncodingOutputStream(OutputStream encoder, OutputStream target) {
        this.encoder = encoder;
        this.target = target;
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        try {
            encoder.write(b);
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ensureOpen();
        try {
            encoder.write(b, off, len);
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        ensureOpen();
        try {
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (failed) {
            discard(target, null);
            return;
        }
        try {
            encoder.close();
        } catch (IOException | RuntimeException e) {
            discard(target, e);
            throw e;
        }
        target.close();
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
    }

    /**
     * Gives up on {@code target}: aborts a blob writer so nothing is committed, closes anything else
     * to release it. A failure doing so is attached to {@code cause} when there is one.
     */
    static void discard(OutputStream target, Throwable cause) throws IOException {
        try {
            if (target instanceof BlobOutputStream blob) {
                blob.abort();
            } else {
                target.close();
            }
        } catch (IOException | RuntimeException e) {
            if (cause == null) {
                throw e;
            }
            cause.addSuppressed(e);
        }
    }
}
