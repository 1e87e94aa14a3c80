package io.cumulus.storage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A writer of one new object. {@link #close()} commits: only when it returns normally is the object
 * visible, complete. {@link #abort()} discards everything written so far; after it, close does
 * nothing. A writer whose write or close failed has already aborted itself.
 */
public abstract class BlobOutputStream extends OutputStream {

    /** Discards the upload: no object appears and no unfinished multipart upload is left. */
    public abstract void abort() throws IOException;

    /** Bytes accepted by this writer so far. */
    public abstract long bytesWritten();
}
