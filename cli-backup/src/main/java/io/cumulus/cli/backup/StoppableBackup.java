package io.cumulus.cli.backup;

import io.cumulus.cli.Failures;
import io.cumulus.cli.Log;
import io.cumulus.core.backup.BackupFailedException;
import io.cumulus.core.backup.BackupOutcome;
import io.cumulus.core.backup.BackupSource;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.retention.IncompleteBackup;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a backup so that SIGTERM or SIGINT (Ctrl-C) stops it cleanly, and says in exactly one ERROR line
 * how a signal left it: stored as FAILED (the open upload aborted), already DONE (the signal came once the
 * data was stored, when nothing looks at it any more), or neither, when the backup did not end within the
 * shutdown hook's wait (a store that does not answer). The JVM halts once the hook returns, so a line
 * printed after that would be lost: whoever learns the state first prints it, the backup's thread or
 * the hook, and flushes it before the hook lets the JVM go. The exit code stays the signal's (130, 143).
 */
final class StoppableBackup {

    /** Recorded in the FAILED backup.info's {@code error}. */
    static final String REASON = "cumulus-backup was stopped by a signal";

    private final BaseBackup backup;
    private final BackupId id;
    /** The backup's directory under the destination URL, named by the line of a backup left without backup.info. */
    private final String directory;
    private final Duration cleanupWait;
    private final Log log;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final AtomicBoolean completed = new AtomicBoolean();
    private final AtomicBoolean reported = new AtomicBoolean();
    private final AtomicReference<String> signal = new AtomicReference<>();

    /**
     * @param cleanupWait how long a signal waits for the backup to abort its upload and store a FAILED
     *     backup.info before the JVM halts all the same
     */
    StoppableBackup(BaseBackup backup, BackupId id, String directory, Duration cleanupWait, Log log) {
        this.backup = backup;
        this.id = id;
        this.directory = directory;
        this.cleanupWait = cleanupWait;
        this.log = log;
    }

    /**
     * Takes the backup of {@code source}, a shutdown hook and the signals' handlers in place while it
     * runs.
     *
     * @throws Reported when a signal stopped it: its line is printed, the exit code is the JVM's
     */
    BackupOutcome run(BackupSource source) throws Exception {
        List<Runnable> restoreHandlers = SignalNames.record(signal, "TERM", "INT");
        Thread hook = new Thread(this::onSignal, "cumulus-backup-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runHere(source);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns now that the backup has ended
            }
            restoreHandlers.forEach(Runnable::run);
        }
    }

    /** {@link #run} without the hook and the handlers: tests call {@link #onSignal} themselves. */
    BackupOutcome runHere(BackupSource source) throws Exception {
        try {
            BackupOutcome outcome = backup.run(id, source);
            completed.set(true);
            if (stopping.get()) {
                report(doneLine());
            }
            return outcome;
        } catch (Exception | Error e) {
            if (!stopping.get()) {
                throw e;
            }
            report(failedLine(e));
            throw new Reported(e);
        } finally {
            ended.countDown();
        }
    }

    /**
     * The shutdown hook's work: cancels the backup, waits for it to end, and prints the line if the
     * backup's thread has not: the wait ran out, or the signal came just after that thread looked.
     */
    void onSignal() {
        stopping.set(true);
        backup.cancel(REASON);
        boolean endedInTime;
        try {
            endedInTime = ended.await(cleanupWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            endedInTime = false;
        }
        if (!endedInTime) {
            report(notEndedLine());
        } else if (completed.get()) {
            report(doneLine());
        }
    }

    /** Prints {@code line} unless a line was printed already: one line per signal, whichever thread is first. */
    private void report(String line) {
        if (reported.compareAndSet(false, true)) {
            log.error(line); // flushed: the JVM may halt right after
        }
    }

    private String stoppedBy() {
        String name = signal.get();
        return "stopped by a signal" + (name == null ? "" : " (" + name + ")");
    }

    private String failedLine(Throwable failure) {
        String how = failure instanceof BackupFailedException failed
                ? (failed.outcome().equals(BackupFailedException.FAILED_INFO_STORED) ? "stored as FAILED"
                        : failed.outcome())
                : Failures.describe(failure);
        return "backup " + id + " " + stoppedBy() + ": " + how;
    }

    private String doneLine() {
        return "backup " + id + " was complete (DONE) when " + stoppedBy() + ": it is usable as it is, nothing to"
                + " take again (the exit code is the signal's all the same)";
    }

    private String notEndedLine() {
        return "backup " + id + " " + stoppedBy() + ": it did not end within " + cleanupWait.toSeconds()
                + " s (the store, or PostgreSQL, did not answer), so no FAILED backup.info was stored; " + directory
                + " is left with what it stored and its " + BaseBackup.BACKUP_CLAIM + " (and possibly an unfinished"
                + " upload: a multipart upload, which the bucket's lifecycle rule aborts, or a hidden temporary file on"
                + " file://), which no tool lists: cumulus-backup-delete -r removes it once a newer backup is DONE"
                + " and nothing was written there for " + IncompleteBackup.QUIET.toHours() + " hours, -b " + id
                + " once those " + IncompleteBackup.QUIET.toHours() + " hours have passed";
    }

    /** A backup stopped by a signal, its line already printed; the exit code is the JVM's (the signal's) anyway. */
    static final class Reported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Reported(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }
}
