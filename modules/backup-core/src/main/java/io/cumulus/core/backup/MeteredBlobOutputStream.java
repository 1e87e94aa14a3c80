package io.cumulus.core.backup;

import io.cumulus.storage.BlobOutputStream;
import java.io.IOException;
import java.util.Objects;

/**
 * The blob writer of an archive part as the pipeline sees it: counts the compressed bytes where
 * another thread can read them (the part is filled by the compressing thread, its size checked by
 * the reading thread before each member), and waits for the {@link BandwidthLimit}, if any. Commit
 * and abort pass straight through.
 */
final class MeteredBlobOutputStream extends BlobOutputStream {

    private final BlobOutputStream out;
    private final BandwidthLimit limit;
    private volatile long written;

    /** @param limit the backup's bandwidth limit, or null for none */
    MeteredBlobOutputStream(BlobOutputStream out, BandwidthLimit limit) {
        this.out = Objects.requireNonNull(out, "out");
        this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (limit != null) {
            limit.acquire(len);
        }
        out.write(b, off, len);
        written += len;
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    @Override
    public void abort() throws IOException {
        out.abort();
    }

    /** Compressed bytes accepted so far; safe to read from any thread. */
    @Override
    public long bytesWritten() {
        return written;
    }
}
