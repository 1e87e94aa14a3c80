package io.cumulus.core.compress;

import io.cumulus.core.InvalidInputException;
import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * barman-cloud's {@code --compression-level}: {@code low}, {@code medium}, {@code high} or an
 * integer, mapped per algorithm and clamped to its range (reference §4.1).
 *
 * <table>
 *   <caption>What each level means per algorithm</caption>
 *   <tr><th>algorithm</th><th>low</th><th>medium</th><th>high</th><th>integers clamped to</th></tr>
 *   <tr><td>gzip</td><td>1</td><td>6</td><td>9</td><td>1..9</td></tr>
 *   <tr><td>bzip2</td><td>1</td><td>5</td><td>9</td><td>1..9</td></tr>
 *   <tr><td>xz</td><td>1</td><td>3</td><td>5</td><td>0..9</td></tr>
 *   <tr><td>zstd</td><td>1</td><td>4</td><td>9</td><td>-22..22</td></tr>
 *   <tr><td>lz4</td><td>0</td><td>6</td><td>10</td><td>0..16</td></tr>
 *   <tr><td>snappy, none</td><td colspan="4">no levels</td></tr>
 * </table>
 *
 * <p>The gzip, bzip2 and xz ranges are what their libraries accept, except gzip level 0, which
 * would store data uncompressed under a {@code .gz} name.
 *
 * @param value {@code low}, {@code medium}, {@code high} (any case) or a decimal integer, kept in
 *     canonical form (lower case, no leading zeros)
 */
public record CompressionLevel(String value) {

    /**
     * An optional minus sign and ASCII digits, as barman's {@code value.lstrip("-").isdigit()}.
     * Declared first: the constants below are built with it.
     */
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

    public static final CompressionLevel LOW = new CompressionLevel("low");
    public static final CompressionLevel MEDIUM = new CompressionLevel("medium");
    public static final CompressionLevel HIGH = new CompressionLevel("high");

    /**
     * The level used when none is given: {@code medium}, as barman-cloud ≥ 3.12 does for WAL (gzip 6,
     * bzip2 5, xz 3, zstd 4, lz4 6). barman-cloud 3.4 wrote WAL gzip and bzip2 at 9, and both
     * versions write base backup tars at 9; {@link #HIGH} reproduces that. The level is not part of
     * any format: every reader decodes every level.
     */
    public static final CompressionLevel DEFAULT = MEDIUM;

    public CompressionLevel {
        Objects.requireNonNull(value, "value");
        String word = value.strip().toLowerCase(Locale.ROOT);
        if (INTEGER.matcher(word).matches()) {
            value = new BigInteger(word).toString();
        } else if (word.equals("low") || word.equals("medium") || word.equals("high")) {
            value = word;
        } else {
            // invalid input (exit 3), not a programming error (exit 4)
            throw new InvalidInputException(
                    "invalid --compression-level '" + value + "': must be low, medium, high or an integer");
        }
    }

    /** Parses a {@code --compression-level} argument; same as the constructor, named for picocli. */
    public static CompressionLevel parse(String text) {
        return new CompressionLevel(text);
    }

    /** A numeric level, mapped per algorithm only by clamping. */
    public static CompressionLevel of(int level) {
        return new CompressionLevel(Integer.toString(level));
    }

    /**
     * The algorithm's own level for this setting, clamped to its range; empty for {@link
     * Compression#NONE} and {@link Compression#SNAPPY}, which have no levels.
     */
    public OptionalInt levelFor(Compression compression) {
        Scale scale = Scale.of(compression);
        if (scale == null) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(switch (value) {
            case "low" -> scale.low;
            case "medium" -> scale.medium;
            case "high" -> scale.high;
            default -> clamp(new BigInteger(value), scale.min, scale.max);
        });
    }

    private static int clamp(BigInteger n, int min, int max) {
        return n.max(BigInteger.valueOf(min)).min(BigInteger.valueOf(max)).intValueExact();
    }

    @Override
    public String toString() {
        return value;
    }

    /** One algorithm's named levels and accepted range. */
    private enum Scale {
        GZIP(1, 6, 9, 1, 9),
        BZIP2(1, 5, 9, 1, 9),
        XZ(1, 3, 5, 0, 9),
        ZSTD(1, 4, 9, -22, 22),
        LZ4(0, 6, 10, 0, 16);

        final int low;
        final int medium;
        final int high;
        final int min;
        final int max;

        Scale(int low, int medium, int high, int min, int max) {
            this.low = low;
            this.medium = medium;
            this.high = high;
            this.min = min;
            this.max = max;
        }

        static Scale of(Compression compression) {
            return switch (compression) {
                case GZIP -> GZIP;
                case BZIP2 -> BZIP2;
                case XZ -> XZ;
                case ZSTD -> ZSTD;
                case LZ4 -> LZ4;
                case NONE, SNAPPY -> null;
            };
        }
    }
}
