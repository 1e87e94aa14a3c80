package io.cumulus.postgres;

import io.cumulus.core.wal.WalName;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

/**
 * What pg_backup_stop answered: where the backup's WAL ends (end_xlog, end_wal, end_offset), the
 * backup_label to store with the data, and when (end_time), plus what the server or the steps after
 * the stop (WAL switch, restore point) had to say.
 *
 * @param lsn the stop location
 * @param timeline min_recovery_end_timeline on a standby, else the checkpoint's timeline
 * @param backupLabel the backup_label file's content
 * @param time the server's now() when the backup stopped, at the JVM's offset
 * @param tablespaceMap PostgreSQL's tablespace_map of the backup (the stop's spcmapfile, {@link TablespaceMap})
 * @param notices server notices (e.g. "WAL archiving is not enabled...") and failures of the
 *        best-effort steps after the stop, for the log
 */
public record BackupStop(Lsn lsn, long timeline, String backupLabel, OffsetDateTime time, String tablespaceMap,
        List<String> notices) {

    public BackupStop {
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(backupLabel, "backupLabel");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(tablespaceMap, "tablespaceMap");
        notices = List.copyOf(notices);
    }

    /** The last WAL segment the backup needs (end_wal). */
    public WalName walSegment(long segmentSize) {
        return lsn.walSegment(timeline, segmentSize);
    }
}
