package io.cumulus.core;

import java.io.IOException;

/**
 * The operation was carried out and its answer is "no": a WAL that is not in the archive, a segment
 * already archived with other content, a missing local file. Exit code 1.
 */
public class OperationFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    public OperationFailedException(String message) {
        super(message);
    }

    public OperationFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
