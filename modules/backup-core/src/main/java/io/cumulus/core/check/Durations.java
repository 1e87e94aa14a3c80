package io.cumulus.core.check;

import io.cumulus.core.InvalidInputException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the check options take and show them: {@code 90}, {@code 90s}, {@code 15m}, {@code 26h}, {@code 7d},
 * {@code 2w}; and moments as the checks show them.
 */
public final class Durations {

    private static final DateTimeFormatter MOMENT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx");

    private static final Pattern TEXT = Pattern.compile("^(\\d+)\\s*([smhdw]?)$", Pattern.CASE_INSENSITIVE);

    private Durations() {
    }

    /**
     * Parses a duration; a bare number is seconds.
     *
     * @throws InvalidInputException when the text is not a number with an optional unit s, m, h, d or w
     */
    public static Duration parse(String option, String text) {
        Matcher m = TEXT.matcher(text.strip());
        if (!m.matches()) {
            throw new InvalidInputException("invalid " + option + " '" + text + "': expected a number with an"
                    + " optional unit s, m, h, d or w, e.g. 15m or 7d");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("invalid " + option + " '" + text + "': the number is too large");
        }
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            case "w" -> Duration.ofDays(7 * n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** A short human form: {@code 42s}, {@code 5m 3s}, {@code 3h 12m}, {@code 2d 4h}. */
    public static String format(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + (s % 60 == 0 ? "" : " " + s % 60 + "s");
        }
        if (s < 86400) {
            return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : " " + s % 3600 / 60 + "m");
        }
        return s / 86400 + "d" + (s % 86400 / 3600 == 0 ? "" : " " + s % 86400 / 3600 + "h");
    }

    /** A moment as the checks show it: {@code 2026-12-07 11:45:03+00:00}, in the offset it was read with. */
    public static String moment(OffsetDateTime t) {
        return MOMENT.format(t);
    }
}
