package io.cumulus.postgres;

import java.util.ArrayList;
import java.util.List;

/**
 * What the connected user may do for a backup, by barman's rule: a superuser may do everything;
 * anyone else needs pg_monitor (or both pg_read_all_settings and pg_read_all_stats) and EXECUTE on
 * the backup start and stop functions, pg_switch_wal() and pg_create_restore_point(text).
 *
 * @param user the session user
 * @param superuser whether the user is a superuser
 * @param readsAllSettings pg_monitor, or pg_read_all_settings and pg_read_all_stats
 * @param startsBackups EXECUTE on pg_backup_start (pg_start_backup before PostgreSQL 15)
 * @param stopsBackups EXECUTE on pg_backup_stop (pg_stop_backup before PostgreSQL 15)
 * @param switchesWal EXECUTE on pg_switch_wal()
 * @param createsRestorePoints EXECUTE on pg_create_restore_point(text)
 */
public record BackupRights(String user, boolean superuser, boolean readsAllSettings, boolean startsBackups,
        boolean stopsBackups, boolean switchesWal, boolean createsRestorePoints) {

    /** Whether the user may run a backup at all. */
    public boolean mayRunBackups() {
        return missing().isEmpty();
    }

    /** The rights the user lacks for a backup, in words a DBA can GRANT from; empty for a superuser. */
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (superuser) {
            return missing;
        }
        if (!readsAllSettings) {
            missing.add("membership in pg_monitor (or in both pg_read_all_settings and pg_read_all_stats)");
        }
        if (!startsBackups) {
            missing.add("EXECUTE on the backup start function (pg_backup_start, or pg_start_backup before 15)");
        }
        if (!stopsBackups) {
            missing.add("EXECUTE on the backup stop function (pg_backup_stop, or pg_stop_backup before 15)");
        }
        if (!switchesWal) {
            missing.add("EXECUTE on pg_switch_wal()");
        }
        if (!createsRestorePoints) {
            missing.add("EXECUTE on pg_create_restore_point(text)");
        }
        return missing;
    }
}
