package io.cumulus.core.backup;

import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * Where and when the backup began, as the server answered the start of the backup: backup.info's
 * {@code begin_*} keys and {@code timeline}.
 *
 * @param xlog the start location as {@code %X/%X} ({@code begin_xlog})
 * @param wal the WAL segment holding it ({@code begin_wal})
 * @param offset the location's offset in that segment ({@code begin_offset})
 * @param timeline the timeline the backup starts on ({@code timeline})
 * @param time the server's clock at the start ({@code begin_time})
 */
public record BackupBegin(String xlog, String wal, long offset, long timeline, OffsetDateTime time) {

    public BackupBegin {
        Objects.requireNonNull(xlog, "xlog");
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(time, "time");
    }
}
