package io.cumulus.core.check;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * cumulus-check's {@value #NAME} line, barman check's "systemid coherence": the backups are of the
 * running cluster's database system. After pg_upgrade or a re-initdb that archives and backs up
 * under the same server name, the older backups (backup.info {@code systemid}) restore only the old
 * cluster, and a recovery from one of them replays none of the new cluster's WAL (PostgreSQL skips it
 * as "from different database system"): no backup restores the cluster, while the catalog looks full.
 */
public final class SystemIdentifierCheck {

    /** The check's name in the output. */
    public static final String NAME = "system identifier";

    private SystemIdentifierCheck() {
    }

    /**
     * Whether {@code info} is a backup of database system {@code system}; a backup.info without
     * systemid (old barman-cloud) is taken to be, since nothing tells otherwise.
     */
    public static boolean isOf(BackupInfo info, String system) {
        return info.systemid() == null || info.systemid().isBlank() || normalize(info.systemid()).equals(normalize(system));
    }

    /**
     * The identifier as an unsigned decimal: {@code pg_control_system()} shows it as a bigint, negative
     * from 2^63 on, where barman's backup.info may hold either form.
     */
    static String normalize(String system) {
        String s = system.strip();
        try {
            return Long.toUnsignedString(s.startsWith("-") ? Long.parseLong(s) : Long.parseUnsignedLong(s));
        } catch (NumberFormatException e) {
            return s;
        }
    }

    /**
     * The verdict for {@code backups} (oldest first) and the cluster's system identifier, empty when
     * the user could not read it: FAILED when the newest DONE backup is of another system.
     */
    public static CheckResult check(List<CatalogBackup> backups, Optional<String> system) {
        if (system.isEmpty()) {
            return CheckResult.ok(NAME, "not checked: this user may not call pg_control_system(), so backups of"
                    + " another database system (from before a pg_upgrade or re-initdb) are counted as this"
                    + " cluster's; GRANT EXECUTE ON FUNCTION pg_control_system() TO it");
        }
        String cluster = normalize(system.get());
        List<CatalogBackup> done = backups.stream().filter(b -> b.status() == BackupStatus.DONE).toList();
        if (done.isEmpty()) {
            return CheckResult.ok(NAME, "this cluster is database system " + cluster + "; no DONE backup to compare");
        }
        List<CatalogBackup> foreign = done.stream().filter(b -> !isOf(b.info(), cluster)).toList();
        CatalogBackup newest = Collections.max(done);
        if (!isOf(newest.info(), cluster)) {
            long own = done.size() - foreign.size();
            String other = normalize(newest.info().systemid());
            if (own == 0) {
                return CheckResult.failed(NAME, "the newest DONE backup " + newest.id() + " is of database system "
                        + other + ", this cluster is " + cluster + ": no DONE backup restores this cluster",
                        "take a backup now: after pg_upgrade or a re-initdb the older backups restore only the old"
                                + " cluster; give the new cluster its own server name, or delete the old backups"
                                + " (cumulus-backup-delete) or keep them knowingly");
            }
            return CheckResult.failed(NAME, "the newest DONE backup " + newest.id() + " is of database system "
                    + other + ", this cluster is " + cluster + " (" + own + " older DONE backup(s) are this"
                    + " cluster's): another cluster backs up as this server name",
                    "give each cluster its own server name (archive_command, cumulus-backup and this check), then"
                            + " take a backup of this one");
        }
        long unmarked = done.stream().filter(b -> b.info().systemid() == null || b.info().systemid().isBlank())
                .count();
        return CheckResult.ok(NAME, cluster + ", as the newest DONE backup's" + (foreign.isEmpty() ? ""
                : "; " + foreign.size() + " older DONE backup(s) of database system "
                        + normalize(foreign.get(foreign.size() - 1).info().systemid()) + " restore only that cluster"
                        + " (from before a pg_upgrade or re-initdb?) and are not counted")
                + (unmarked == 0 ? "" : "; " + unmarked + " DONE backup(s) without systemid in backup.info, counted"
                        + " as this cluster's"));
    }
}
