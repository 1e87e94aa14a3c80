package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** barman-cloud's {@code -v/--verbose} and {@code -q/--quiet}: each moves the log level by one step. */
public final class LoggingOptions {

    // Not an exclusive ArgGroup: picocli lists the options of a group inside a mixin twice in --help.
    @Option(names = {"-v", "--verbose"}, description = "More output; repeat for more (-vv: debug).")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-q", "--quiet"}, description = "Less output; repeat for less.")
    boolean[] quiet = new boolean[0];

    /** A log writing to {@code err} at the chosen level (WARNING by default, as barman-cloud). */
    public Log log(PrintWriter err) {
        if (verbose.length > 0 && quiet.length > 0) {
            throw new InvalidInputException("-v/--verbose and -q/--quiet cannot be used together");
        }
        int level = Log.Level.WARNING.value - 10 * verbose.length + 10 * quiet.length;
        return new Log(err, Math.max(Log.Level.DEBUG.value, level));
    }
}
