package io.cumulus.core.catalog;

/**
 * The {@code status} of a backup in backup.info. barman-cloud writes only {@link #DONE} and {@link
 * #FAILED}; the others come from a Barman server sharing the layout, and must still be read.
 */
public enum BackupStatus {
    /** Barman's value for a backup.info that has no status line. */
    EMPTY,
    STARTED,
    FAILED,
    WAITING_FOR_WALS,
    DONE,
    SYNCING;

    /**
     * Whether the backup's copy finished, the only statuses that count as a previous or next backup
     * when WAL is cleaned up (reference §3.3).
     */
    public boolean isCopyDone() {
        return this == DONE || this == WAITING_FOR_WALS;
    }
}
