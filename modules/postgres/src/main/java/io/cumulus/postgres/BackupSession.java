package io.cumulus.postgres;

import java.time.Duration;

import java.util.Objects;

/**
 * A non-exclusive backup in progress on a {@link PostgresServer}'s session: started, waiting for the
 * files to be copied, then stopped once. While the copy runs the session sits idle and its keepalive
 * query keeps it open; {@link #checkAlive()} lets the copy notice early that it broke, since a backup
 * whose session is gone can no longer be stopped (PostgreSQL aborted it).
 */
public final class BackupSession {

    private final PostgresServer server;
    private final BackupStart start;
    private BackupStop stop;

    BackupSession(PostgresServer server, BackupStart start) {
        this.server = server;
        this.start = start;
    }

    /** The restore point barman-cloud-backup creates after a backup: {@code barman_<backup_id>}. */
    public static String restorePointName(String backupId) {
        return "barman_" + Objects.requireNonNull(backupId, "backupId");
    }

    /** What pg_backup_start answered. */
    public BackupStart start() {
        return start;
    }

    /** True from the start until {@link #stop} succeeded. */
    public boolean isActive() {
        return stop == null;
    }

    /**
     * Fails if the session broke while idle.
     *
     * @throws PostgresException with {@link PostgresException.Reason#SESSION_LOST}
     */
    public void checkAlive() throws PostgresException {
        server.checkAlive();
    }

    /**
     * Stops the backup: {@code pg_backup_stop()} (PostgreSQL 15+) or {@code pg_stop_backup(false)},
     * which waits until the WAL the backup needs is archived when archiving is on; then, on a primary
     * only, {@code pg_switch_wal()} and {@code pg_create_restore_point(restorePointName)}. Failures
     * of those two are reported in {@link BackupStop#notices()}, not thrown: the backup is complete.
     *
     * @param restorePointName the restore point to create, e.g. {@link #restorePointName(String)};
     *        null for none
     * @throws IllegalStateException if the backup was already stopped
     * @throws PostgresException {@link PostgresException.Reason#BACKUP_FAILED} or
     *         {@link PostgresException.Reason#SESSION_LOST} if the stop itself failed
     */
    public BackupStop stop(String restorePointName) throws PostgresException {
        return stop(restorePointName, Duration.ZERO);
    }

    /**
     * As {@link #stop(String)}, giving up when PostgreSQL has not archived the WAL the backup needs
     * within {@code archiveWait} ({@link Duration#ZERO}: wait as long as PostgreSQL does).
     */
    public BackupStop stop(String restorePointName, Duration archiveWait) throws PostgresException {
        if (stop != null) {
            throw new IllegalStateException("the backup was already stopped");
        }
        stop = server.stopBackup(restorePointName, archiveWait);
        return stop;
    }
}
