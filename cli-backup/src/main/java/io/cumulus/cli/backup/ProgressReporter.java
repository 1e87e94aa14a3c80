package io.cumulus.cli.backup;

import io.cumulus.cli.Log;
import io.cumulus.core.backup.BackupEnd;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.backup.BackupListener;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shows a running backup to a person. On a terminal, one status line (bytes copied, estimated total,
 * rate, time left) rewritten in place every second; otherwise (cron, systemd, a pipe), a log line
 * every {@link #LOG_INTERVAL} and one per stored archive. Quiet shows nothing. The backup's thread
 * only adds to counters; a timer thread does the printing.
 */
final class ProgressReporter implements BackupListener, AutoCloseable {

    /** How often a non-terminal gets a progress line. */
    static final Duration LOG_INTERVAL = Duration.ofSeconds(30);

    private static final Duration TERMINAL_INTERVAL = Duration.ofSeconds(1);
    /** pg_backup_stop's notices that say all is well (PostgreSQL 15's texts, lc_messages C or English). */
    private static final List<String> GOOD_NEWS = List.of(
            "all required WAL segments have been archived",
            "base backup done, waiting for required WAL segments to be archived");
    /** PostgreSQL's notice at the stop when archive_mode is off (or on, on a standby). */
    private static final String ARCHIVING_OFF = "WAL archiving is not enabled";

    /** How the progress reaches the person. */
    enum Mode { TERMINAL, LOG, QUIET }

    private final PrintWriter err;
    private final Log log;
    private final Log warnings;
    private final Mode mode;
    private final OptionalLong estimatedTotal;
    private final AtomicLong copied = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService timer;
    private int lineLength;

    /**
     * @param err where the terminal line goes
     * @param log where log lines go (at INFO, whatever the tool's level, unless quiet)
     * @param warnings the tool's own log, at its level (shown unless {@code -q}), for the warnings a DBA
     *     must see whatever the progress display: PostgreSQL's notices at the stop, WAL not archived
     * @param estimatedTotal the expected bytes before compression, if known
     */
    ProgressReporter(PrintWriter err, Log log, Log warnings, Mode mode, OptionalLong estimatedTotal) {
        this.err = err;
        this.log = log;
        this.warnings = warnings;
        this.mode = mode;
        this.estimatedTotal = estimatedTotal;
        if (mode == Mode.QUIET) {
            timer = null;
        } else {
            timer = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "cumulus-backup-progress");
                thread.setDaemon(true);
                return thread;
            });
            long period = (mode == Mode.TERMINAL ? TERMINAL_INTERVAL : LOG_INTERVAL).toMillis();
            timer.scheduleAtFixedRate(this::report, period, period, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void copied(long bytes) {
        copied.addAndGet(bytes);
    }

    @Override
    public void archiveStored(String key, long storedBytes) {
        if (mode == Mode.LOG) {
            log.info("stored " + key + " (" + bytes(storedBytes) + ")");
        }
    }

    /**
     * PostgreSQL's notices at the stop are warnings, shown in every mode: "WAL archiving is not enabled"
     * means a backup that cannot be restored from WAL archived by the tools, and a cron job that logs
     * nothing else must mail it. The notice of a stop that went well ("all required WAL segments have
     * been archived", which PostgreSQL sends after every backup) is information, or every nightly job
     * would mail it; any notice not known to be good news stays a warning (so does a translated one).
     */
    @Override
    public void stopped(BackupEnd end) {
        for (String notice : end.notices()) {
            if (GOOD_NEWS.stream().anyMatch(notice::startsWith)) {
                message("PostgreSQL: " + notice);
            } else if (notice.startsWith(ARCHIVING_OFF) && BaseBackup.fromStandby(end)) {
                // a standby whose archive_mode is on, not always: the primary archives the WAL, which is the
                // usual set-up; whether the end segment is there yet is cumulus-backup's own check
                message("PostgreSQL: " + notice + " (on a standby: the primary archives the WAL this backup needs)");
            } else {
                warning("PostgreSQL: " + notice);
            }
        }
    }


    /** Prints a warning above the progress line, in every mode (the tool's level decides: {@code -q} hides it). */
    @Override
    public synchronized void warning(String text) {
        clearLine();
        warnings.warning(text);
    }

    /** Prints a message above the progress line (or as a log line), unless quiet. */
    synchronized void message(String text) {
        if (mode == Mode.QUIET) {
            return;
        }
        clearLine();
        log.info(text);
    }

    /** The status as one line: {@code 1.2 GiB of ~5.0 GiB (24%), 45.3 MiB/s, 1m30s left}. */
    String status() {
        long done = copied.get();
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        double rate = done / seconds;
        StringBuilder line = new StringBuilder("copied ").append(bytes(done));
        if (estimatedTotal.isPresent() && estimatedTotal.getAsLong() > 0) {
            long total = estimatedTotal.getAsLong();
            line.append(" of ~").append(bytes(total))
                    .append(String.format(Locale.ROOT, " (%d%%)", Math.min(100, 100 * done / total)));
        }
        line.append(", ").append(bytes((long) rate)).append("/s");
        if (estimatedTotal.isPresent() && rate > 0 && done < estimatedTotal.getAsLong()) {
            long left = (long) ((estimatedTotal.getAsLong() - done) / rate);
            line.append(", ").append(duration(Duration.ofSeconds(left))).append(" left");
        }
        return line.toString();
    }

    private synchronized void report() {
        String line = status();
        if (mode == Mode.TERMINAL) {
            // pad over the previous, longer line
            String padded = line.length() < lineLength ? line + " ".repeat(lineLength - line.length()) : line;
            err.print("\r" + padded);
            err.flush();
            lineLength = line.length();
        } else {
            log.info(line);
        }
    }

    private void clearLine() {
        if (mode == Mode.TERMINAL && lineLength > 0) {
            err.print("\r" + " ".repeat(lineLength) + "\r");
            err.flush();
            lineLength = 0;
        }
    }

    /** Stops the timer and takes the progress line off the terminal. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        clearLine();
    }

    /** A size as a person reads it: {@code 512 B}, {@code 20.5 MiB}, {@code 1.2 GiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String units = "KMGTPE";
        double value = n;
        int unit = -1;
        while (value >= 1024 && unit < units.length() - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %siB", value, units.charAt(unit));
    }

    /** A duration as a person reads it: {@code 4.2s}, {@code 45s}, {@code 3m07s}, {@code 2h05m}. */
    static String duration(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 10 && d.toMillis() % 1000 != 0) {
            return String.format(Locale.ROOT, "%.1fs", Math.max(0, d.toMillis()) / 1000.0);
        }
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60);
    }
}
