package io.cumulus.core.backup;

import io.cumulus.storage.BlobOutputStream;
import java.io.IOException;
import java.util.Objects;

/** A blob writer whose writes wait for a {@link BandwidthLimit}; commit and abort pass straight through. */
final class ThrottledBlobOutputStream extends BlobOutputStream {

    private final BlobOutputStream out;
    private final BandwidthLimit limit;

    ThrottledBlobOutputStream(BlobOutputStream out, BandwidthLimit limit) {
        this.out = Objects.requireNonNull(out, "out");
        this.limit = Objects.requireNonNull(limit, "limit");
    }

    @Override
    public void write(int b) throws IOException {
        limit.acquire(1);
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        limit.acquire(len);
        out.write(b, off, len);
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

    @Override
    public long bytesWritten() {
        return out.bytesWritten();
    }
}
