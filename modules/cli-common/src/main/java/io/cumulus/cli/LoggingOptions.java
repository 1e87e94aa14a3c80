package io.cumulus.cli;

import java.io.PrintWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** barman-cloud's {@code -v/--verbose} and {@code -q/--quiet}: each moves the log level by one step. */
public final class LoggingOptions {

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Verbosity verbosity = new Verbosity();

    static final class Verbosity {
        @Option(names = {"-v", "--verbose"}, description = "More output; repeat for more (-vv: debug).")
        boolean[] verbose = new boolean[0];

        @Option(names = {"-q", "--quiet"}, description = "Less output; repeat for less.")
        boolean[] quiet = new boolean[0];
    }

    /** A log writing to {@code err} at the chosen level (WARNING by default, as barman-cloud). */
    public Log log(PrintWriter err) {
        int level = Log.Level.WARNING.value - 10 * verbosity.verbose.length + 10 * verbosity.quiet.length;
        return new Log(err, Math.max(Log.Level.DEBUG.value, level));
    }
}
