package io.cumulus.core.backup;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

/**
 * Where and when the backup ended, as the server answered its stop: backup.info's {@code end_*}
 * keys and the {@code backup_label} text that goes last into the data archive.
 *
 * @param xlog the stop location as {@code %X/%X} ({@code end_xlog})
 * @param wal the WAL segment holding it ({@code end_wal})
 * @param offset the location's offset in that segment ({@code end_offset})
 * @param timeline the timeline of the stop location
 * @param time the server's clock at the stop ({@code end_time})
 * @param backupLabel the backup_label file's content ({@code backup_label})
 * @param notices what the server or the steps after the stop had to say, for the log
 */
public record BackupEnd(String xlog, String wal, long offset, long timeline, OffsetDateTime time,
        String backupLabel, List<String> notices) {

    public BackupEnd {
        Objects.requireNonNull(xlog, "xlog");
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(backupLabel, "backupLabel");
        notices = List.copyOf(notices);
    }
}
