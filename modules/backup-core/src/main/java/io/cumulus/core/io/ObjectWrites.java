package io.cumulus.core.io;

import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;

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

    /**
     * What the message of a write refused with {@link AccessDeniedException} adds to the store's own
     * ("check the credentials"): a bucket policy that demands server-side encryption (S3's classic
     * DenyUnEncryptedObjectUploads, a Google Cloud Storage bucket that requires a CMEK key) refuses an
     * unencrypted write with the same 403 as missing rights, and then the credentials are fine.
     */
    public static final String ENCRYPTION_POLICY_HINT = "; if the credentials may write there, a bucket policy"
            + " may require server-side encryption: give this tool the -e AES256|aws:kms (with --sse-kms-key-id),"
            + " --kms-key-name or --encryption-scope that cumulus-backup is given";

    private ObjectWrites() {
    }

    /** {@link #ENCRYPTION_POLICY_HINT} when {@code failure}, from a write, is a refusal; else nothing. */
    public static String refusalHint(Throwable failure) {
        return failure instanceof AccessDeniedException ? ENCRYPTION_POLICY_HINT : "";
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
