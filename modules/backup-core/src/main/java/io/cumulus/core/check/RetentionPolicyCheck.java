package io.cumulus.core.check;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a catalog satisfies a barman retention policy (reference §6.3): {@code REDUNDANCY n} needs
 * n DONE backups; {@code RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS} (a month is 31 days) needs a DONE
 * backup that ended before now minus the window, the base for the oldest point in the window.
 * A stand-in small enough to be replaced by the retention engine when it lands.
 */
public final class RetentionPolicyCheck {

    private static final Pattern REDUNDANCY = Pattern.compile("^\\s*REDUNDANCY\\s+(\\d+)\\s*$", Pattern.CASE_INSENSITIVE);
    private static final Pattern WINDOW = Pattern.compile(
            "^\\s*RECOVERY\\s+WINDOW\\s+OF\\s+(\\d+)\\s+(DAY|WEEK|MONTH)S?\\s*$", Pattern.CASE_INSENSITIVE);

    private final String policy;
    private final int redundancy;
    private final Duration window;

    private RetentionPolicyCheck(String policy, int redundancy, Duration window) {
        this.policy = policy;
        this.redundancy = redundancy;
        this.window = window;
    }

    /**
     * Parses a policy as barman writes it.
     *
     * @throws InvalidInputException when it is neither form, or its number is not positive
     */
    public static RetentionPolicyCheck parse(String policy) {
        Matcher m = REDUNDANCY.matcher(policy);
        if (m.matches()) {
            return new RetentionPolicyCheck(policy.strip(), positive(m.group(1), policy), null);
        }
        m = WINDOW.matcher(policy);
        if (m.matches()) {
            int n = positive(m.group(1), policy);
            int days = switch (m.group(2).toUpperCase(Locale.ROOT)) {
                case "DAY" -> 1;
                case "WEEK" -> 7;
                default -> 31;
            };
            return new RetentionPolicyCheck(policy.strip(), 0, Duration.ofDays((long) n * days));
        }
        throw new InvalidInputException("invalid retention policy '" + policy + "': expected 'REDUNDANCY n' or"
                + " 'RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS'");
    }

    private static int positive(String digits, String policy) {
        try {
            int n = Integer.parseInt(digits);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidInputException("invalid retention policy '" + policy + "': the number must be positive");
    }

    /** Checks the backups (any status; only DONE ones count) at {@code now}. */
    public CheckResult check(List<BackupInfo> backups, OffsetDateTime now) {
        List<BackupInfo> done = backups.stream().filter(b -> b.status() == BackupStatus.DONE).toList();
        String name = "retention policy";
        if (window == null) {
            if (done.size() >= redundancy) {
                return CheckResult.ok(name, policy + ": " + done.size() + " DONE backup(s)");
            }
            return CheckResult.failed(name, policy + " is not met: " + done.size() + " DONE backup(s)",
                    "take backups until " + redundancy + " are DONE (cumulus-backup)");
        }
        OffsetDateTime point = now.minus(window);
        boolean covered = done.stream().anyMatch(b -> b.endTime() != null && b.endTime().isBefore(point));
        if (covered) {
            return CheckResult.ok(name, policy + ": a DONE backup ended before " + point.withNano(0));
        }
        return CheckResult.failed(name, policy + " is not met: no DONE backup ended before " + point.withNano(0)
                + ", so recovery cannot reach the start of the window", "keep backups for longer than the window"
                + " (the window fills as backups age; check cumulus-backup-delete's policy)");
    }
}
