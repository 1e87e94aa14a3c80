package io.cumulus.core.backup;

import io.cumulus.core.OperationFailedException;

/** A backup that failed once started, and what became of its FAILED backup.info. Exit code 1. */
public class BackupFailedException extends OperationFailedException {
    private static final long serialVersionUID = 1L;

    /** {@link #outcome()} when the FAILED backup.info was stored. */
    public static final String FAILED_INFO_STORED = "backup.info with status FAILED stored";

    private final String outcome;

    public BackupFailedException(String message, String outcome, Throwable cause) {
        super(message, cause);
        this.outcome = outcome;
    }

    /** What became of the FAILED backup.info: "backup.info with status FAILED stored", or why it was not. */
    public String outcome() {
        return outcome;
    }
}
