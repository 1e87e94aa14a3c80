package io.cumulus.core.backup;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.function.Supplier;

/**
 * Where an archive's tar data enters the pipeline: counts it for progress, and stops a cancelled
 * backup within one block. Closing it only flushes; the part's owner closes what lies beneath.
 */
final class CopyingOutputStream extends FilterOutputStream {

    private final BackupListener listener;
    /** The reason the backup was cancelled, or null while it runs. */
    private final Supplier<String> cancellation;

    CopyingOutputStream(OutputStream out, BackupListener listener, Supplier<String> cancellation) {
        super(out);
        this.listener = listener;
        this.cancellation = cancellation;
    }

    @Override
    public void write(int b) throws IOException {
        checkCancelled(cancellation);
        out.write(b);
        listener.copied(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkCancelled(cancellation);
        out.write(b, off, len);
        listener.copied(len);
    }

    @Override
    public void close() throws IOException {
        flush();
    }

    /** Throws when the backup was cancelled: the reason becomes the backup's error. */
    static void checkCancelled(Supplier<String> cancellation) throws InterruptedIOException {
        String reason = cancellation.get();
        if (reason != null) {
            throw new InterruptedIOException(reason);
        }
    }
}
