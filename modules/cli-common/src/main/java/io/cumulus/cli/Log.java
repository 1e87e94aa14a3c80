package io.cumulus.cli;

import java.io.PrintWriter;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The tools' log: one line per message on standard error, in barman-cloud's format
 * ({@code 2026-11-21 05:19:44,618 [1234] WARNING: message}), filtered by level. Deliberately tiny: a
 * logging framework would cost start-up time on the archive_command path.
 */
public final class Log {

    /** Python logging's levels, which -v and -q move in steps of ten. */
    public enum Level {
        DEBUG(10), INFO(20), WARNING(30), ERROR(40), CRITICAL(50);

        final int value;

        Level(int value) {
            this.value = value;
        }
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    private final PrintWriter err;
    private final int threshold;
    private final long pid = ProcessHandle.current().pid();

    /** A log printing messages at {@code threshold} (a Python level number) and above. */
    public Log(PrintWriter err, int threshold) {
        this.err = err;
        this.threshold = threshold;
    }

    public boolean enabled(Level level) {
        return level.value >= threshold;
    }

    public void debug(String message) {
        log(Level.DEBUG, message);
    }

    public void info(String message) {
        log(Level.INFO, message);
    }

    public void warning(String message) {
        log(Level.WARNING, message);
    }

    public void error(String message) {
        log(Level.ERROR, message);
    }

    public void log(Level level, String message) {
        if (enabled(level)) {
            err.println(LocalDateTime.now().format(TIME) + " [" + pid + "] " + level + ": " + message);
            err.flush();
        }
    }
}
