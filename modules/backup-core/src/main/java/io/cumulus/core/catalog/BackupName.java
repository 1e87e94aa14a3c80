package io.cumulus.core.catalog;

import java.util.Objects;
import java.util.Set;

/**
 * A user-chosen backup name ({@code barman-cloud-backup -n}), checked as barman's {@code
 * check_backup_name} does so that it can never be mistaken for a backup id or a shortcut.
 *
 * @param value the name: not empty, not a backup id, not a reserved word, on one line (it is written
 *     verbatim into backup.info)
 */
public record BackupName(String value) {

    /**
     * Words that select a backup instead of naming one: barman 3.4 reserves the first five;
     * {@code latest-full}, {@code last-full} and {@code auto} are shortcuts of newer versions,
     * reserved here too so a name never changes meaning under a newer reader.
     */
    public static final Set<String> RESERVED =
            Set.of("latest", "last", "oldest", "first", "last-failed", "latest-full", "last-full", "auto");

    public BackupName {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("Backup name cannot be empty");
        }
        if (BackupId.isBackupId(value)) {
            throw new IllegalArgumentException("Backup name '" + value + "' is not allowed: backup ID");
        }
        if (isReserved(value)) {
            throw new IllegalArgumentException("Backup name '" + value + "' is not allowed: reserved word");
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || !value.equals(value.strip())) {
            throw new IllegalArgumentException(
                    "Backup name '" + value + "' is not allowed: line breaks or surrounding spaces");
        }
    }

    /** Whether {@code text} is one of the {@link #RESERVED} words. */
    public static boolean isReserved(String text) {
        return RESERVED.contains(text);
    }

    @Override
    public String toString() {
        return value;
    }
}
