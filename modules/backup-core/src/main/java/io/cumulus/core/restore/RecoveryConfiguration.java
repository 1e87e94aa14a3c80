package io.cumulus.core.restore;

import io.cumulus.core.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The archive recovery a restored data directory is to run (PostgreSQL 12 and later): a signal file
 * ({@code recovery.signal}, or {@code standby.signal}) and the settings appended to {@code
 * postgresql.auto.conf}, which PostgreSQL reads last so they win over the copied configuration.
 *
 * @param restoreCommand PostgreSQL's {@code restore_command}
 * @param targets the {@code recovery_target*} settings, in the order they are written
 * @param standby whether to start as a standby instead of recovering and stopping at a target
 * @param disableArchiving whether to write {@code archive_mode = off}, so the copy never archives
 *     into the prefix of the cluster it came from
 */
public record RecoveryConfiguration(String restoreCommand, Map<String, String> targets, boolean standby,
        boolean disableArchiving) {

    // The block's bounds, so that it can be removed whole once the recovery is over (docs/restore.md step 5):
    // PostgreSQL never removes these settings, and every later backup of the promoted cluster copies them.
    private static final String BLOCK_START = "# Added by cumulus-restore for one recovery: once it is over, delete"
            + " this block down to its end line\n# (or ALTER SYSTEM RESET each setting of it), else every later backup"
            + " of this cluster carries it along\n";
    private static final String BLOCK_END = "# End of the block added by cumulus-restore\n";

    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final Pattern XID = Pattern.compile("[0-9]+");
    /** A POSIX TZ named GMT with an offset, hh[:mm], which Java reads as its own id with the other sign. */
    private static final Pattern POSIX_GMT = Pattern.compile("GMT([+-])([0-9]{1,2})(?::([0-9]{2}))?");
    /** A POSIX TZ with a daylight-saving part: std name (or <...>), offset, dst name (or <...>), anything. */
    private static final Pattern POSIX_DST = Pattern.compile(
            "(?:[A-Za-z]{3,}|<[^>]+>)[+-]?[0-9]{1,2}(?::[0-9]{2}){0,2}(?:[A-Za-z]{3,}|<[^>]+>).*");
    private static final Pattern TIMELINE = Pattern.compile("current|latest|[0-9]{1,10}");

    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral(' ').optionalEnd()
            .optionalStart().appendLiteral('T').optionalEnd()
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:mm", "Z").optionalEnd()
            .toFormatter(Locale.ROOT);

    /**
     * How {@code recovery_target_time} is written: always with its offset (seconds too when the offset
     * has them), as PostgreSQL reads a time without one in the restored server's {@code timezone}
     * setting, which need not be the zone the backup was chosen in.
     */
    private static final DateTimeFormatter WRITTEN_TIME = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral(' ')
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .appendOffset("+HH:MM:ss", "+00:00")
            .toFormatter(Locale.ROOT);

    public RecoveryConfiguration {
        Objects.requireNonNull(restoreCommand, "restoreCommand");
        targets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targets));
    }

    /**
     * Builds the targets from the command line's values (each null when not given), checking them as
     * far as can be done before PostgreSQL reads them. {@code time} is written with its offset
     * ({@link #parseTime} gave it one), so PostgreSQL stops at the instant the backup was chosen for.
     *
     * @throws InvalidInputException when a value is malformed or more than one target is given
     */
    public static Map<String, String> targets(OffsetDateTime time, String lsn, String xid, String name, String immediate,
            String action, String timeline) {
        Map<String, String> targets = new LinkedHashMap<>();
        int count = 0;
        if (time != null) {
            targets.put("recovery_target_time", WRITTEN_TIME.format(time));
            count++;
        }
        if (lsn != null) {
            targets.put("recovery_target_lsn", require(lsn, LSN, "--recovery-target-lsn", "an LSN such as 0/3000060"));
            count++;
        }
        if (xid != null) {
            targets.put("recovery_target_xid", requireXid(xid));
            count++;
        }
        if (name != null) {
            targets.put("recovery_target_name", requireNonBlank(name, "--recovery-target-name"));
            count++;
        }
        if (immediate != null) {
            if (!immediate.equals("immediate")) {
                throw new InvalidInputException("invalid --recovery-target '" + immediate + "': only 'immediate'");
            }
            targets.put("recovery_target", "immediate");
            count++;
        }
        if (count > 1) {
            throw new InvalidInputException("give at most one recovery target (time, LSN, xid, name or immediate)");
        }
        if (action != null) {
            if (!action.equals("pause") && !action.equals("promote") && !action.equals("shutdown")) {
                throw new InvalidInputException("invalid --recovery-target-action '" + action
                        + "': pause, promote or shutdown");
            }
            targets.put("recovery_target_action", action);
        }
        if (timeline != null) {
            require(timeline, TIMELINE, "--recovery-target-timeline", "current, latest or a timeline number");
            if (Character.isDigit(timeline.charAt(0))
                    && (Long.parseLong(timeline) < 1 || Long.parseLong(timeline) > 0xFFFF_FFFFL)) {
                throw new InvalidInputException("invalid --recovery-target-timeline '" + timeline + "': a timeline is"
                        + " 1 to 4294967295");
            }
            targets.put("recovery_target_timeline", timeline);
        }
        return targets;
    }

    /**
     * A recovery target time as PostgreSQL takes it ({@code 2026-11-21 09:12:00[.123456][+00[:00]]},
     * or with a {@code T}); one without an offset is in {@code zone} (the tool's, so that {@code auto}
     * and the written {@code recovery_target_time} mean the same instant).
     *
     * @param option the option that gave it, for the message
     * @throws InvalidInputException when it is not in that form
     */
    public static OffsetDateTime parseTime(String text, ZoneId zone, String option) {
        try {
            TemporalAccessor parsed = TIME.parseBest(text.strip(), OffsetDateTime::from, LocalDateTime::from);
            checkDayExists(text, option);
            if (parsed instanceof OffsetDateTime offset) {
                return offset;
            }
            if (zone == null) {
                throw new InvalidInputException("invalid " + option + " '" + text + "': a time without an offset is"
                        + " read in this machine's time zone, and TZ='" + System.getenv("TZ") + "' is a POSIX rule"
                        + " with daylight saving, which cumulus-restore cannot read (Java takes its standard time"
                        + " only); give the offset, e.g. '" + text.strip() + "+02', or set TZ to a zone name such as"
                        + " Europe/Berlin");
            }
            return ((LocalDateTime) parsed).atZone(zone).toOffsetDateTime();
        } catch (DateTimeParseException e) {
            throw new InvalidInputException("invalid " + option + " '" + text
                    + "': expected a time such as '2026-11-21 09:12:00+00' (YYYY-MM-DD HH:MM[:SS[.FFFFFF]][+HH[:MM]];"
                    + " without an offset, in this machine's time zone)");
        }
    }

    /**
     * Refuses a day its month does not have ({@code 2027-02-29}, {@code 2027-04-31}), which the resolver of
     * {@link #TIME} would move to the month's last day, a recovery target a day or more early; PostgreSQL
     * refuses it too ("date/time field value out of range"). The resolver stays lenient for {@code 24:00:00},
     * which PostgreSQL reads as the next day's midnight.
     */
    private static void checkDayExists(String text, String option) {
        TemporalAccessor fields = TIME.parseUnresolved(text.strip(), new java.text.ParsePosition(0));
        int year = fields.get(java.time.temporal.ChronoField.YEAR);
        int month = fields.get(java.time.temporal.ChronoField.MONTH_OF_YEAR);
        int day = fields.get(java.time.temporal.ChronoField.DAY_OF_MONTH);
        if (day > java.time.YearMonth.of(year, month).lengthOfMonth()) {
            throw new InvalidInputException("invalid " + option + " '" + text + "': " + java.time.YearMonth.of(year, month)
                    + " has no day " + day + "; give a date that exists");
        }
    }

    /**
     * The time zone a time without an offset is read in: the JVM's, unless {@code tz} (the {@code TZ}
     * variable) is one Java reads otherwise than the C library and barman: {@code GMT+3} (POSIX: three
     * hours west; Java: its custom id, east), read as POSIX reads it; a POSIX rule with daylight saving
     * ({@code CET-1CEST,M3.5.0,M10.5.0/3}), which Java reads without its summer time: then null, which
     * {@link #parseTime} refuses for such a time.
     */
    public static ZoneId localZone(String tz, ZoneId jvmDefault) {
        if (tz == null || tz.isEmpty() || tz.startsWith(":")) {
            return jvmDefault;
        }
        java.util.regex.Matcher gmt = POSIX_GMT.matcher(tz);
        if (gmt.matches()) {
            // Java takes GMT+3 for its own custom id, three hours east; POSIX (the C library, barman) west
            int seconds = (Integer.parseInt(gmt.group(2)) * 60 + (gmt.group(3) == null ? 0
                    : Integer.parseInt(gmt.group(3)))) * 60;
            return java.time.ZoneOffset.ofTotalSeconds(gmt.group(1).equals("+") ? -seconds : seconds);
        }
        try {
            ZoneId.of(tz);
            return jvmDefault;
        } catch (java.time.DateTimeException e) {
            // std offset dst[offset][,rule]: a second name after the offset is daylight saving
            return POSIX_DST.matcher(tz).matches() ? null : jvmDefault;
        }
    }

    /**
     * Writes the signal file and appends the settings to postgresql.auto.conf as one marked block,
     * after commenting out the recovery settings the restored file already holds ({@link
     * InheritedRecoverySettings}).
     *
     * @return warnings for the user: each earlier setting commented out, each one the data directory's
     *     postgresql.conf still sets, and for a standby each primary_conninfo or primary_slot_name it
     *     inherits
     */
    public List<String> writeTo(Path dataDirectory) throws IOException {
        List<String> warnings = new ArrayList<>(InheritedRecoverySettings.disableForNewRecovery(dataDirectory,
                settingNames()));
        if (standby) {
            warnings.addAll(InheritedRecoverySettings.standbyStreamingWarnings(dataDirectory));
        }
        StringBuilder conf = new StringBuilder("\n").append(BLOCK_START);
        conf.append("restore_command = ").append(quote(restoreCommand)).append('\n');
        targets.forEach((key, value) -> conf.append(key).append(" = ").append(quote(value)).append('\n'));
        if (disableArchiving) {
            conf.append("archive_mode = 'off'\n");
        }
        conf.append(BLOCK_END);
        Files.writeString(dataDirectory.resolve("postgresql.auto.conf"), conf, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        Files.write(dataDirectory.resolve(standby ? "standby.signal" : "recovery.signal"), new byte[0]);
        return warnings;
    }

    /** The names {@link #writeTo} sets. */
    private Set<String> settingNames() {
        Set<String> names = new HashSet<>(targets.keySet());
        names.add("restore_command");
        if (disableArchiving) {
            names.add("archive_mode");
        }
        return names;
    }

    /** A postgresql.conf string literal: single quotes, with quotes doubled and backslashes escaped. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static String require(String value, Pattern pattern, String option, String expected) {
        if (!pattern.matcher(value).matches()) {
            throw new InvalidInputException("invalid " + option + " '" + value + "': expected " + expected);
        }
        return value;
    }

    /**
     * A transaction id as PostgreSQL reads recovery_target_xid: digits, at most 2^64 - 1 (an epoch and an
     * xid, as txid_current() gives them); a larger one would stop PostgreSQL at start ("configuration
     * file contains errors") after the whole download.
     */
    private static String requireXid(String xid) {
        require(xid, XID, "--recovery-target-xid", "a transaction id");
        try {
            Long.parseUnsignedLong(xid);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("invalid --recovery-target-xid '" + xid + "': a transaction id is at most"
                    + " 18446744073709551615");
        }
        return xid;
    }

    private static String requireNonBlank(String value, String option) {
        if (value.isBlank() || value.indexOf('\n') >= 0) {
            throw new InvalidInputException("invalid " + option + " '" + value + "'");
        }
        return value;
    }
}
