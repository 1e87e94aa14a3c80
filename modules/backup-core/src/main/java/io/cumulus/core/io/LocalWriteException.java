package io.cumulus.core.io;

import io.cumulus.storage.FullDisk;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A write to a local file that failed, named: the JDK says only "No space left on device", which
 * leaves the DBA to guess which disk is full. Exit code 4, as any local I/O error.
 */
public final class LocalWriteException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean noSpace;

    private LocalWriteException(String message, boolean noSpace, IOException cause) {
        super(message, cause);
        this.noSpace = noSpace;
    }

    /** Whether the file system was full (ENOSPC) or the user's quota reached (EDQUOT). */
    public boolean noSpace() {
        return noSpace;
    }

    /**
     * {@code out}, whose failures (write, flush, close) become a {@code LocalWriteException} saying
     * {@code what} ("cannot write /pgdata/base/5/16404") and, when the disk is full, {@code whenFull}.
     */
    public static OutputStream naming(OutputStream out, String what, String whenFull) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                try {
                    out.write(b);
                } catch (IOException e) {
                    throw wrap(e, what, whenFull);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw wrap(e, what, whenFull);
                }
            }

            @Override
            public void flush() throws IOException {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw wrap(e, what, whenFull);
                }
            }

            @Override
            public void close() throws IOException {
                try {
                    out.close();
                } catch (IOException e) {
                    throw wrap(e, what, whenFull);
                }
            }
        };
    }

    /** {@code failure} as a {@code LocalWriteException} saying {@code what}; one already named is kept. */
    public static LocalWriteException wrap(IOException failure, String what, String whenFull) {
        if (failure instanceof LocalWriteException named) {
            return named;
        }
        String reason = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        if (failure instanceof java.nio.file.FileSystemException fs) {
            // its message starts with the path, which `what` names already
            reason = fs.getReason() != null ? fs.getReason()
                    : fs instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : fs.getClass().getSimpleName();
        }
        boolean full = FullDisk.says(reason);
        return new LocalWriteException(what + ": " + reason + (full ? "; " + whenFull : ""), full, failure);
    }
}
