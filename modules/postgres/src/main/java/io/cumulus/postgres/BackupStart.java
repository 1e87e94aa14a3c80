package io.cumulus.postgres;

import io.cumulus.core.wal.WalName;
import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * What pg_backup_start answered: where the backup's WAL begins (backup.info's begin_xlog,
 * begin_wal, begin_offset, timeline) and when (begin_time).
 *
 * @param lsn the start location
 * @param timeline the timeline of the checkpoint the backup starts from
 * @param time the server's now() when the backup started, at the JVM's offset (pgjdbc sets the
 *        session TimeZone to the JVM's zone; barman's session uses the server's)
 */
public record BackupStart(Lsn lsn, long timeline, OffsetDateTime time) {

    public BackupStart {
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(time, "time");
    }

    /** The first WAL segment the backup needs (begin_wal). */
    public WalName walSegment(long segmentSize) {
        return lsn.walSegment(timeline, segmentSize);
    }
}
