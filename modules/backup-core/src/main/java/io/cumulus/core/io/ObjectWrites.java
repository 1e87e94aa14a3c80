package io.cumulus.core.io;

import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes an object so that it is committed only when the whole content was produced: a failure while
 * producing it aborts the upload instead of committing a truncated object, which a plain
 * try-with-resources around {@link BlobOutputStream} would do.
 */
public final class ObjectWrites {

    /** Produces an object's content into a stream it must not close. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private ObjectWrites() {
    }

    /** Writes {@code key} with {@code content}; returns the number of bytes stored. */
    public static long write(BlobStore store, String key, WriteOptions options, Content content) throws IOException {
        BlobOutputStream out = store.openWrite(key, options);
        try {
            content.writeTo(new CloseShieldOutputStream(out));
        } catch (IOException | RuntimeException | Error e) {
            try {
                out.abort();
            } catch (IOException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
        out.close();
        return out.bytesWritten();
    }

    /** Writes {@code key} with {@code body}, whose size the store is told first (one request where it can). */
    public static void write(BlobStore store, String key, WriteOptions options, byte[] body) throws IOException {
        write(store, key, options.withExpectedSize(body.length), out -> out.write(body));
    }
}
