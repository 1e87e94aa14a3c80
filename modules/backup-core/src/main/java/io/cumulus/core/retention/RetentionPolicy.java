package io.cumulus.core.retention;

import io.cumulus.core.InvalidInputException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A retention policy as barman-cloud-backup-delete {@code -r} takes it (reference §6.3):
 * {@code REDUNDANCY n} or {@code RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS}, case-insensitive, with
 * flexible spaces. {@link #toString()} gives barman's canonical spelling.
 */
public sealed interface RetentionPolicy {

    /** Keep the {@code copies} newest DONE backups (kept ones included). */
    record Redundancy(int copies) implements RetentionPolicy {
        public Redundancy {
            if (copies < 0) {
                throw new InvalidInputException("redundancy must be 0 or more, not " + copies);
            }
        }

        @Override
        public String toString() {
            return "REDUNDANCY " + copies;
        }
    }

    /** Keep what a point-in-time recovery to any moment of the last {@code count} units needs. */
    record RecoveryWindow(int count, Unit unit) implements RetentionPolicy {
        public RecoveryWindow {
            if (count < 0) {
                throw new InvalidInputException("a recovery window must be 0 or more, not " + count);
            }
        }

        /**
         * Where the window starts: {@code now}'s wall-clock time in its zone minus the window's days (a
         * month is 31), as barman computes {@code datetime.now(tzlocal()) - timedelta(days=n)}. Across a
         * daylight saving change the window is therefore an hour longer or shorter than n times 24 hours;
         * counting plain hours would place the start an hour away from barman's and could delete a
         * backup barman keeps. A wall-clock time that does not exist (spring forward) takes the offset
         * after the change, one that exists twice (fall back) the earlier of its two instants, as
         * dateutil's tzlocal resolves them for barman.
         */
        public Instant start(ZonedDateTime now) {
            LocalDateTime wall = now.toLocalDateTime().minusDays((long) count * unit.days);
            ZoneOffsetTransition change = now.getZone().getRules().getTransition(wall);
            ZoneOffset offset = change == null ? now.getZone().getRules().getOffset(wall)
                    : change.isGap() ? change.getOffsetAfter() : change.getOffsetBefore();
            return wall.toInstant(offset);
        }

        @Override
        public String toString() {
            return "RECOVERY WINDOW OF " + count + " " + unit;
        }
    }

    /** The units of a recovery window. */
    enum Unit {
        DAYS(1), WEEKS(7), MONTHS(31);

        final int days;

        Unit(int days) {
            this.days = days;
        }
    }

    Pattern REDUNDANCY = Pattern.compile("^\\s*redundancy\\s+(\\d+)\\s*$", Pattern.CASE_INSENSITIVE);
    Pattern WINDOW = Pattern.compile("^\\s*recovery\\s+window\\s+of\\s+(\\d+)\\s+(day|month|week)s?\\s*$",
            Pattern.CASE_INSENSITIVE);

    /**
     * Parses a policy as barman's RetentionPolicyFactory does, except that {@code REDUNDANCY 0} is refused:
     * barman-cloud-backup-delete takes it and deletes every DONE backup that is not kept, which a typo
     * ({@code REDUNDANCY 0} for {@code REDUNDANCY 10}) should never do. {@link Redundancy} itself still
     * takes 0, so that the planner can be compared with barman's for it.
     *
     * @throws InvalidInputException (exit 3) when it is neither form, or is {@code REDUNDANCY 0}
     */
    static RetentionPolicy parse(String text) {
        Matcher m = REDUNDANCY.matcher(text);
        if (m.matches()) {
            int copies = number(text, m.group(1));
            if (copies == 0) {
                throw new InvalidInputException("REDUNDANCY 0 would delete every backup that is not kept: use"
                        + " REDUNDANCY 1 or more, or delete backups one by one with -b");
            }
            return new Redundancy(copies);
        }
        m = WINDOW.matcher(text);
        if (m.matches()) {
            Unit unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "day" -> Unit.DAYS;
                case "week" -> Unit.WEEKS;
                default -> Unit.MONTHS;
            };
            return new RecoveryWindow(number(text, m.group(1)), unit);
        }
        throw new InvalidInputException("invalid retention policy '" + text
                + "': use 'REDUNDANCY n' or 'RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS'");
    }

    private static int number(String text, String digits) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("invalid retention policy '" + text + "': " + digits + " is too large");
        }
    }
}
