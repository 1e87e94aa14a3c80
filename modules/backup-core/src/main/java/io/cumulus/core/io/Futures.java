package io.cumulus.core.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work done on another thread, with the failure that work raised. */
public final class Futures {

    private Futures() {
    }

    /**
     * The result of {@code future}, once done. A failure of the work is rethrown as itself (an
     * {@link IOException}, a runtime exception or an error), anything else wrapped in an IOException;
     * an interrupt becomes an {@link InterruptedIOException} saying what was awaited, with the
     * thread's interrupt flag set again.
     *
     * @param awaited what the work does, for the message: "waiting for the compressor"
     */
    public static <T> T await(Future<T> future, String awaited) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + awaited);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }
}
