package io.cumulus.cli;

import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The integers of the options (int and long), read as barman-cloud's argparse reads them ({@code type=int}, Python's
 * {@code int()}): surrounding white space, a leading {@code +} or {@code -}, and single underscores between
 * digits are taken ({@code ' 5'}, {@code +5}, {@code 1_000}); anything else is not an int, exit 3.
 */
final class PythonInt {

    private static final Pattern FORM = Pattern.compile("[+-]?[0-9]+(_[0-9]+)*");

    private PythonInt() {
    }

    /** picocli's converter for {@code int} and {@code Integer} options. */
    static Integer parse(String text) {
        String digits = digits(text);
        try {
            return Integer.valueOf(digits);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large an int");
        }
    }

    /** picocli's converter for {@code long} and {@code Long} options ({@code --timeline}). */
    static Long parseLong(String text) {
        String digits = digits(text);
        try {
            return Long.valueOf(digits);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large an int");
        }
    }

    private static String digits(String text) {
        String stripped = text.strip();
        if (!FORM.matcher(stripped).matches()) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not an int");
        }
        return stripped.replace("_", "");
    }
}
