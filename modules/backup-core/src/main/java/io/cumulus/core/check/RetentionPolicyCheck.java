package io.cumulus.core.check;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.retention.RetentionPolicy;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * Whether a catalog satisfies a barman retention policy (reference §6.3), parsed as
 * cumulus-backup-delete parses it ({@link RetentionPolicy}): {@code REDUNDANCY n} needs n DONE
 * backups; {@code RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS} (a month is 31 days) needs a DONE backup
 * that ended before the window's start (now's wall-clock time minus the window, as
 * {@link RetentionPolicy.RecoveryWindow#start} counts it for cumulus-backup-delete), the base for the
 * oldest point in the window.
 */
public final class RetentionPolicyCheck {

    private final RetentionPolicy policy;

    private RetentionPolicyCheck(RetentionPolicy policy) {
        this.policy = policy;
    }

    /**
     * Parses a policy as barman writes it. A policy of 0 checks nothing, so it is refused here.
     *
     * @throws InvalidInputException when it is neither form, or its number is not positive
     */
    public static RetentionPolicyCheck parse(String text) {
        RetentionPolicy policy = RetentionPolicy.parse(text);
        int number = policy instanceof RetentionPolicy.RecoveryWindow w ? w.count()
                : ((RetentionPolicy.Redundancy) policy).copies();
        if (number == 0) {
            throw new InvalidInputException("invalid retention policy '" + text + "': the number must be positive");
        }
        return new RetentionPolicyCheck(policy);
    }

    /**
     * Checks the backups (any status; only DONE ones count) at {@code now}, a recovery window counted
     * on the wall clock of {@code now}'s zone.
     */
    public CheckResult check(List<BackupInfo> backups, ZonedDateTime now) {
        List<BackupInfo> done = backups.stream().filter(b -> b.status() == BackupStatus.DONE).toList();
        String name = "retention policy";
        if (policy instanceof RetentionPolicy.Redundancy redundancy) {
            if (done.size() >= redundancy.copies()) {
                return CheckResult.ok(name, policy + ": " + done.size() + " DONE backup(s)");
            }
            return CheckResult.failed(name, policy + " is not met: " + done.size() + " DONE backup(s)",
                    "take backups until " + redundancy.copies() + " are DONE (cumulus-backup)");
        }
        Instant start = ((RetentionPolicy.RecoveryWindow) policy).start(now);
        OffsetDateTime point = start.atZone(now.getZone()).toOffsetDateTime();
        boolean covered = done.stream()
                .anyMatch(b -> b.endTime() != null && b.endTime().toInstant().isBefore(start));
        if (covered) {
            return CheckResult.ok(name, policy + ": a DONE backup ended before " + point.withNano(0));
        }
        return CheckResult.failed(name, policy + " is not met: no DONE backup ended before " + point.withNano(0)
                + ", so recovery cannot reach the start of the window", "keep backups for longer than the window"
                + " (the window fills as backups age; check cumulus-backup-delete's policy)");
    }
}
