package io.cumulus.core.catalog;

import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The identifier of a backup: its start time as {@code YYYYMMDDTHHMMSS} in the local time zone of
 * the machine that took it, also the name of its directory under {@code base/} (reference §2.2).
 * Ids sort in time order as strings, which is how every listing orders backups.
 *
 * @param value the id, matching {@code ^\d{8}T\d{6}$}
 */
public record BackupId(String value) implements Comparable<BackupId> {

    /** barman's {@code is_backup_id}, restricted to ASCII digits. */
    private static final Pattern PATTERN = Pattern.compile("[0-9]{8}T[0-9]{6}");

    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss");

    public BackupId {
        Objects.requireNonNull(value, "value");
        if (!isBackupId(value)) {
            throw new IllegalArgumentException("not a backup id (YYYYMMDDTHHMMSS): '" + value + "'");
        }
    }

    /**
     * Whether {@code text} has the form of a backup id. Anything else given where a backup is
     * expected is a backup name or a shortcut such as {@code latest}.
     */
    public static boolean isBackupId(String text) {
        return text != null && PATTERN.matcher(text).matches();
    }

    /** The id of a backup started at {@code localTime}; fractions of a second are dropped. */
    public static BackupId of(LocalDateTime localTime) {
        return new BackupId(FORMAT.format(localTime));
    }

    /**
     * The id of a backup starting now, in the clock's zone, as barman-cloud's {@code
     * datetime.now()}: pass {@code Clock.systemDefaultZone()} to match it.
     */
    public static BackupId now(Clock clock) {
        return of(LocalDateTime.now(clock));
    }

    @Override
    public int compareTo(BackupId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
