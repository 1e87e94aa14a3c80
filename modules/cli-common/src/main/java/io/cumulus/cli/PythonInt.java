package io.cumulus.cli;

import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The integers of the options, read as barman-cloud's argparse reads them ({@code type=int}, Python's
 * {@code int()}): surrounding white space, a leading {@code +} or {@code -}, and single underscores between
 * digits are taken ({@code ' 5'}, {@code +5}, {@code 1_000}); anything else is not an int, exit 3.
 */
final class PythonInt {

    private static final Pattern FORM = Pattern.compile("[+-]?[0-9]+(_[0-9]+)*");

    private PythonInt() {
    }

    /** picocli's converter for {@code int} and {@code Integer} options. */
    static Integer parse(String text) {
        String stripped = text.strip();
        if (!FORM.matcher(stripped).matches()) {
            throw new CommandLine.TypeConversionException("'" + text + "' is not an int");
        }
        try {
            return Integer.valueOf(stripped.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + text + "' is too large an int");
        }
    }
}
