package io.cumulus.core.check;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The catalog checks of {@code cumulus-check}: the newest DONE backup cumulus-restore can restore is
 * younger than a maximum age, and there are at least a minimum number of them. A backup's age runs
 * from its end_time. A DONE snapshot or incremental backup ({@link BackupInfo#unrestorableReason}) is
 * named but not counted: a monitor that counts it says a restore is possible when cumulus-restore
 * would refuse it.
 */
public final class BackupFreshness {

    private BackupFreshness() {
    }

    /** The age of the newest DONE backup cumulus-restore can restore at {@code now}, or empty when there is none. */
    public static Optional<Duration> newestAge(List<BackupInfo> backups, OffsetDateTime now) {
        return newestRestorable(backups).map(newest -> Duration.between(newest.endTime(), now));
    }

    /** The number of DONE backups cumulus-restore can restore. */
    public static long restorableDone(List<BackupInfo> backups) {
        return backups.stream().filter(BackupFreshness::restorableDone).count();
    }

    private static Optional<BackupInfo> newestRestorable(List<BackupInfo> backups) {
        return backups.stream()
                .filter(b -> restorableDone(b) && b.endTime() != null)
                .max((a, b) -> a.endTime().compareTo(b.endTime()));
    }

    private static boolean restorableDone(BackupInfo b) {
        return b.status() == BackupStatus.DONE && b.unrestorableKind().isEmpty();
    }

    /** The DONE backups cumulus-restore cannot restore, each as "&lt;reason&gt;" (ids are not in BackupInfo). */
    private static List<String> unrestorableDone(List<BackupInfo> backups) {
        List<String> reasons = new ArrayList<>();
        for (BackupInfo b : backups) {
            if (b.status() == BackupStatus.DONE) {
                b.unrestorableKind().ifPresent(reasons::add);
            }
        }
        return reasons;
    }

    /** ", N more that cumulus-restore cannot restore (a snapshot backup, ...)", or nothing. */
    private static String notCounted(List<BackupInfo> backups) {
        List<String> skipped = unrestorableDone(backups);
        return skipped.isEmpty() ? "" : ", " + skipped.size() + " more that cumulus-restore cannot restore ("
                + String.join(", ", skipped) + ")";
    }

    /** Whether the newest DONE backup cumulus-restore can restore ended less than {@code maxAge} before {@code now}. */
    public static CheckResult age(List<BackupInfo> backups, OffsetDateTime now, Duration maxAge) {
        String name = "backup age";
        Optional<Duration> age = newestAge(backups, now);
        String skipped = notCounted(backups);
        if (age.isEmpty()) {
            return CheckResult.failed(name, "no DONE backup in the catalog" + (skipped.isEmpty() ? ""
                    : " that cumulus-restore can restore (" + skipped.substring(2) + ")"),
                    "take a base backup with cumulus-backup and schedule it (cron, systemd timer)");
        }
        String newest = "the newest DONE backup" + (skipped.isEmpty() ? "" : " cumulus-restore can restore") + " is "
                + Durations.format(age.get()) + " old";
        if (age.get().compareTo(maxAge) > 0) {
            return CheckResult.failed(name, newest + ", more than --max-backup-age " + Durations.format(maxAge) + skipped,
                    "see why the scheduled cumulus-backup did not run or failed (its log, cron mail,"
                            + " cumulus-backup-list shows FAILED backups), then take a backup");
        }
        return CheckResult.ok(name, newest + " (max " + Durations.format(maxAge) + ")" + skipped);
    }

    /** Whether there are at least {@code minimum} DONE backups cumulus-restore can restore. */
    public static CheckResult count(List<BackupInfo> backups, int minimum) {
        return count(backups, 0, minimum);
    }

    /**
     * Whether there are at least {@code minimum} DONE backups cumulus-restore can restore; the message
     * also counts the DONE ones it cannot, the FAILED ones and the {@code incomplete} directories (no
     * backup.info: a backup running, or one killed before it stored any, which no listing shows), none
     * of which counts.
     */
    public static CheckResult count(List<BackupInfo> backups, int incomplete, int minimum) {
        String name = "backup count";
        long done = restorableDone(backups);
        long failed = backups.stream().filter(b -> b.status() == BackupStatus.FAILED).count();
        List<String> notes = new ArrayList<>();
        if (failed > 0) {
            notes.add(failed + " FAILED");
        }
        if (incomplete > 0) {
            notes.add(incomplete + " without backup.info: running, or killed; cumulus-backup-delete -r removes"
                    + " dead ones");
        }
        String note = notCounted(backups) + (notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")");
        if (done < minimum) {
            return CheckResult.failed(name, done + " DONE backup(s)" + note + ", fewer than --min-backups "
                    + minimum, "take backups with cumulus-backup; if old ones were deleted, check the retention policy");
        }
        return CheckResult.ok(name, done + " DONE backup(s)" + note + " (min " + minimum + ")");
    }
}
