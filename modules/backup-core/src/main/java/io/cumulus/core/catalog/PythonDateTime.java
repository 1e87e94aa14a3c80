package io.cumulus.core.catalog;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * backup.info's timestamps: written as Python's {@code str()} of an aware datetime, read as
 * leniently as the {@code dateutil.parser} calls barman makes for the ISO-like forms a backup.info
 * holds, a naive value taking the reader's zone. {@link #isoformat} is the form barman's JSON gives.
 */
public final class PythonDateTime {

    private static final Pattern FORM = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})"
                    + "(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?)?"
                    + "\\s*(Z|UTC|GMT|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)?",
            Pattern.CASE_INSENSITIVE);

    private PythonDateTime() {}

    /**
     * {@code str(datetime)}: {@code YYYY-MM-DD HH:MM:SS[.ffffff]+HH:MM[:SS]}, microseconds only
     * when not zero.
     */
    public static String format(OffsetDateTime t) {
        return isoformat(t, ' ');
    }

    /**
     * {@code datetime.isoformat()}, as barman's JSON gives {@code begin_time_iso}: {@code
     * YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM[:SS]}, seconds always, microseconds only when not zero, and
     * UTC as {@code +00:00}, never {@code Z}.
     */
    public static String isoformat(OffsetDateTime t) {
        return isoformat(t, 'T');
    }

    private static String isoformat(OffsetDateTime t, char separator) {
        StringBuilder out = new StringBuilder(32);
        out.append(String.format(Locale.ROOT, "%04d-%02d-%02d%c%02d:%02d:%02d", t.getYear(), t.getMonthValue(),
                t.getDayOfMonth(), separator, t.getHour(), t.getMinute(), t.getSecond()));
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            out.append(String.format(Locale.ROOT, ".%06d", micros));
        }
        int offset = t.getOffset().getTotalSeconds();
        out.append(offset < 0 ? '-' : '+');
        offset = Math.abs(offset);
        out.append(String.format(Locale.ROOT, "%02d:%02d", offset / 3600, offset / 60 % 60));
        if (offset % 60 != 0) {
            out.append(String.format(Locale.ROOT, ":%02d", offset % 60));
        }
        return out.toString();
    }

    /**
     * Reads a timestamp; one without an offset is taken in {@code naiveZone}, as barman takes it in
     * the reader's local zone. Fractions beyond microseconds are dropped, as Python has none.
     */
    static OffsetDateTime parse(String text, ZoneId naiveZone) {
        Matcher m = FORM.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a timestamp: '" + text + "'");
        }
        int nanos = 0;
        if (m.group(7) != null) {
            nanos = Integer.parseInt((m.group(7) + "00000000").substring(0, 9));
        }
        LocalDateTime local = LocalDateTime.of(
                Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                m.group(4) == null ? 0 : Integer.parseInt(m.group(4)),
                m.group(5) == null ? 0 : Integer.parseInt(m.group(5)),
                m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
                nanos).truncatedTo(ChronoUnit.MICROS);
        String zone = m.group(8);
        if (zone == null) {
            return local.atZone(naiveZone).toOffsetDateTime();
        }
        return OffsetDateTime.of(local, offset(zone));
    }

    private static ZoneOffset offset(String zone) {
        String upper = zone.toUpperCase(Locale.ROOT);
        if (upper.equals("Z") || upper.equals("UTC") || upper.equals("GMT")) {
            return ZoneOffset.UTC;
        }
        String digits = zone.substring(1).replace(":", "");
        int hours = Integer.parseInt(digits.substring(0, 2));
        int minutes = digits.length() >= 4 ? Integer.parseInt(digits.substring(2, 4)) : 0;
        int seconds = digits.length() >= 6 ? Integer.parseInt(digits.substring(4, 6)) : 0;
        int sign = zone.charAt(0) == '-' ? -1 : 1;
        return ZoneOffset.ofHoursMinutesSeconds(sign * hours, sign * minutes, sign * seconds);
    }
}
