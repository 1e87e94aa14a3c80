package io.cumulus.core.check;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The catalog checks of {@code cumulus-check}: the newest DONE backup is younger than a maximum age,
 * and there are at least a minimum number of DONE backups. A backup's age runs from its end_time.
 */
public final class BackupFreshness {

    private BackupFreshness() {
    }

    /** The age of the newest DONE backup at {@code now}, or empty when there is none. */
    public static Optional<Duration> newestAge(List<BackupInfo> backups, OffsetDateTime now) {
        return backups.stream()
                .filter(b -> b.status() == BackupStatus.DONE && b.endTime() != null)
                .map(BackupInfo::endTime)
                .max(OffsetDateTime::compareTo)
                .map(end -> Duration.between(end, now));
    }

    /** Whether the newest DONE backup ended less than {@code maxAge} before {@code now}. */
    public static CheckResult age(List<BackupInfo> backups, OffsetDateTime now, Duration maxAge) {
        String name = "backup age";
        Optional<Duration> age = newestAge(backups, now);
        if (age.isEmpty()) {
            return CheckResult.failed(name, "no DONE backup in the catalog",
                    "take a base backup with cumulus-backup and schedule it (cron, systemd timer)");
        }
        if (age.get().compareTo(maxAge) > 0) {
            return CheckResult.failed(name, "the newest DONE backup is " + Durations.format(age.get())
                    + " old, more than --max-backup-age " + Durations.format(maxAge),
                    "see why the scheduled cumulus-backup did not run or failed (its log, cron mail,"
                            + " cumulus-backup-list shows FAILED backups), then take a backup");
        }
        return CheckResult.ok(name, "the newest DONE backup is " + Durations.format(age.get()) + " old (max "
                + Durations.format(maxAge) + ")");
    }

    /** Whether there are at least {@code minimum} DONE backups. */
    public static CheckResult count(List<BackupInfo> backups, int minimum) {
        return count(backups, 0, minimum);
    }

    /**
     * Whether there are at least {@code minimum} DONE backups; the message also counts the FAILED ones
     * and the {@code incomplete} directories (no backup.info: a backup running, or one killed before it
     * stored any, which no listing shows), neither of which counts.
     */
    public static CheckResult count(List<BackupInfo> backups, int incomplete, int minimum) {
        String name = "backup count";
        long done = backups.stream().filter(b -> b.status() == BackupStatus.DONE).count();
        long failed = backups.stream().filter(b -> b.status() == BackupStatus.FAILED).count();
        List<String> notes = new ArrayList<>();
        if (failed > 0) {
            notes.add(failed + " FAILED");
        }
        if (incomplete > 0) {
            notes.add(incomplete + " without backup.info: running, or killed; cumulus-backup-delete -r removes"
                    + " dead ones");
        }
        String note = notes.isEmpty() ? "" : " (" + String.join(", ", notes) + ")";
        if (done < minimum) {
            return CheckResult.failed(name, done + " DONE backup(s)" + note + ", fewer than --min-backups "
                    + minimum, "take backups with cumulus-backup; if old ones were deleted, check the retention policy");
        }
        return CheckResult.ok(name, done + " DONE backup(s)" + note + " (min " + minimum + ")");
    }
}
