package io.cumulus.storage.testkit;

import io.cumulus.storage.BlobOutputStream;
import java.io.IOException;

/**
 * A writer that passes every call to another, for tests that change what one call does (a close
 * whose answer is lost, a count of open writers) and keep the write itself real.
 */
public class ForwardingBlobOutputStream extends BlobOutputStream {

    private final BlobOutputStream delegate;

    public ForwardingBlobOutputStream(BlobOutputStream delegate) {
        this.delegate = delegate;
    }

    @Override
    public void write(int b) throws IOException {
        delegate.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        delegate.write(b, off, len);
    }

    @Override
    public void abort() throws IOException {
        delegate.abort();
    }

    @Override
    public long bytesWritten() {
        return delegate.bytesWritten();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
