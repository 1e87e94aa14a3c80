package io.cumulus.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The tools' log: one line per message on standard error, in barman-cloud's format
 * ({@code 2026-11-21 05:19:44,618 [1234] WARNING: message}), filtered by level. Deliberately tiny: a
 * logging framework would cost start-up time on the archive_command path.
 *
 * <p>Logging never fails the tool. The time zone comes from {@code lib/tzdb.dat}, which the JDK opens
 * on first use: with no file descriptor free at that moment its time-zone classes fail for the rest of
 * the process, and every later call to the clock throws. A tool that may run out of descriptors resolves
 * the zone at start-up ({@link #resolveTime}); a line whose time cannot be had is printed without it.
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
    private final Supplier<ZoneId> systemZone;
    /** The zone once resolved: it reads a file the first time, never again. */
    private volatile ZoneId zone;

    /** A log printing messages at {@code threshold} (a Python level number) and above. */
    public Log(PrintWriter err, int threshold) {
        this(err, threshold, ZoneId::systemDefault);
    }

    /** As {@link #Log(PrintWriter, int)}, the zone from {@code systemZone} (tests make it fail). */
    Log(PrintWriter err, int threshold, Supplier<ZoneId> systemZone) {
        this.err = err;
        this.threshold = threshold;
        this.systemZone = Objects.requireNonNull(systemZone, "systemZone");
    }

    /**
     * Resolves the time zone now, while a file descriptor is surely free, for a tool that will log or may
     * run out of descriptors. It reads {@code lib/tzdb.dat} (some milliseconds), which the per-segment
     * calls spare themselves unless they log. A zone that cannot be resolved is tried again at each line.
     */
    public Log resolveTime() {
        timestamp();
        return this;
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
            err.println(timestamp() + "[" + pid + "] " + level + ": " + message);
            err.flush();
        }
    }

    /** The line's time and a space, or nothing when the clock fails (see the class's Javadoc). */
    private String timestamp() {
        try {
            ZoneId known = zone;
            if (known == null) {
                known = systemZone.get();
                known.getRules(); // a region's rules are read from tzdb.dat on first use too
                zone = known;
            }
            return LocalDateTime.ofInstant(Instant.now(), known).format(TIME) + " ";
        } catch (RuntimeException | Error e) {
            // ZoneInfoFile's class initialisation failed (tzdb.dat: Too many open files), or thereafter
            // NoClassDefFoundError: the message matters more than its time
            return "";
        }
    }
}
