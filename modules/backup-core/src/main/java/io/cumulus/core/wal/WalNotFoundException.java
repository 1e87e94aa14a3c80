package io.cumulus.core.wal;

import io.cumulus.core.OperationFailedException;

/**
 * The archive answered, and does not hold the WAL file asked for: the normal end of the archive for
 * PostgreSQL's recovery, as opposed to a failure to find out.
 */
public class WalNotFoundException extends OperationFailedException {
    private static final long serialVersionUID = 1L;

    public WalNotFoundException(String message) {
        super(message);
    }
}
