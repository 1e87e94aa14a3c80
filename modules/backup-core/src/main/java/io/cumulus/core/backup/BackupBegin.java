package io.cumulus.core.backup;

import io.cumulus.core.catalog.Tablespace;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

/**
 * Where and when the backup began, as the server answered the start of the backup: backup.info's
 * {@code begin_*} keys and {@code timeline}, and the tablespaces the backup copies.
 *
 * @param xlog the start location as {@code %X/%X} ({@code begin_xlog})
 * @param wal the WAL segment holding it ({@code begin_wal})
 * @param offset the location's offset in that segment ({@code begin_offset})
 * @param timeline the timeline the backup starts on ({@code timeline})
 * @param time the server's clock at the start ({@code begin_time})
 * @param tablespaces the tablespaces with a location, read once the server had started the backup
 *     ({@code tablespaces}); one archive series each. A list read before would miss a tablespace
 *     created in between, whose creation precedes the start location, so that WAL replay does not
 *     make it either
 */
public record BackupBegin(String xlog, String wal, long offset, long timeline, OffsetDateTime time,
        List<Tablespace> tablespaces) {

    public BackupBegin {
        Objects.requireNonNull(xlog, "xlog");
        Objects.requireNonNull(wal, "wal");
        Objects.requireNonNull(time, "time");
        tablespaces = List.copyOf(tablespaces);
    }
}
