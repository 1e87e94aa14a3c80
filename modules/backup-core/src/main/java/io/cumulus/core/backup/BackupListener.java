package io.cumulus.core.backup;

/**
 * What a {@link BaseBackup} reports while it runs, for progress displays and logs. Every method is
 * called from the backup's own thread and must return quickly; {@link #copied} is called for every
 * block of tar data (tens of kilobytes).
 */
public interface BackupListener {

    /** A listener that ignores everything. */
    BackupListener NONE = new BackupListener() { };

    /** The server started the backup. */
    default void started(BackupBegin begin) {
    }

    /** {@code bytes} more tar bytes (before compression) went into the archives. */
    default void copied(long bytes) {
    }

    /** An archive part was opened for writing at {@code key}. */
    default void archiveOpened(String key) {
    }

    /** An archive part was committed at {@code key} with {@code storedBytes} bytes. */
    default void archiveStored(String key, long storedBytes) {
    }

    /**
     * The server stopped the backup; {@link BackupEnd#notices()} (PostgreSQL's "WAL archiving is not
     * enabled" among them) are warnings the DBA must see, whatever the progress display.
     */
    default void stopped(BackupEnd end) {
    }

    /**
     * Something the DBA must know although the backup goes on to DONE, such as WAL it needs that is
     * not in this destination.
     */
    default void warning(String message) {
    }
}
