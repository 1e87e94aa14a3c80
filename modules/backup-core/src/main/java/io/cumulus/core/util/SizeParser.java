package io.cumulus.core.util;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the size arguments of the barman-cloud commands ({@code -S}, {@code --min-chunk-size},
 * {@code --max-bandwidth}, ...) exactly as Barman's {@code check_size} does (reference §1.1).
 *
 * <p>Case does not matter. {@code kB}, {@code MB}, {@code GB}, {@code TB}, {@code PB}, {@code EB}
 * are powers of <em>1024</em>, and {@code KiB}, {@code MiB}, ... powers of <em>1000</em>: the
 * reverse of the usual convention, kept because scripts written for barman-cloud rely on it. A
 * number before a unit may have a fraction ({@code 1.5GB}); the result is truncated to whole bytes.
 * A bare integer, or one followed by {@code B} or {@code iB}, is bytes. Anything below one byte is
 * rejected.
 */
public final class SizeParser {

    private static final String PREFIXES = "KMGTPE";

    /** A number, an optional unit prefix, and either {@code B}, {@code IB} or no unit at all. */
    private static final Pattern FORM =
            Pattern.compile("([0-9]*\\.?[0-9]*(?:E[+-]?[0-9]+)?)\\s*(?:([" + PREFIXES + "]?)(I?)B)?");

    private SizeParser() {}

    /**
     * The number of bytes {@code text} stands for, e.g. {@code 100GB} = 107374182400.
     *
     * @throws IllegalArgumentException when {@code text} is not a size, is below one byte, or does
     *     not fit in a long
     */
    public static long parse(String text) {
        Objects.requireNonNull(text, "text");
        String upper = text.strip().toUpperCase(Locale.ROOT);
        // Python's int() and float() take a leading + and single underscores between digits
        if (upper.startsWith("+")) {
            upper = upper.substring(1);
        }
        upper = upper.replaceAll("(?<=[0-9])_(?=[0-9])", "");
        if (upper.contains("_")) {
            throw invalid(text);
        }
        Matcher m = FORM.matcher(upper);
        if (upper.isEmpty() || !m.matches() || m.group(1).isEmpty() || m.group(1).equals(".")) {
            throw invalid(text);
        }
        String number = m.group(1);
        String prefix = m.group(2) == null ? "" : m.group(2);
        BigInteger bytes;
        if (prefix.isEmpty()) {
            // without a multiplier Barman reads the number with int(): no fraction, no exponent
            if (!number.matches("[0-9]+")) {
                throw invalid(text);
            }
            bytes = new BigInteger(number);
        } else {
            int base = m.group(3).isEmpty() ? 1024 : 1000;
            BigInteger multiplier = BigInteger.valueOf(base).pow(PREFIXES.indexOf(prefix) + 1);
            try {
                // int(float(n) * multiplier) truncates toward zero
                bytes = new BigDecimal(number).multiply(new BigDecimal(multiplier)).toBigInteger();
            } catch (NumberFormatException e) {
                throw invalid(text);
            }
        }
        if (bytes.signum() <= 0) {
            throw invalid(text);
        }
        if (bytes.bitLength() >= 64) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
        return bytes.longValue();
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("'" + text + "' is not a valid size string");
    }
}
