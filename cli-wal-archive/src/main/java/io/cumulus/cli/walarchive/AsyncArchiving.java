package io.cumulus.cli.walarchive;

import io.cumulus.cli.BackgroundProcess;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.Log;
import io.cumulus.core.wal.ArchiveSpool;
import io.cumulus.storage.FullDisk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The foreground of {@code cumulus-wal-archive --async}: answers PostgreSQL from the spool, making
 * sure one uploader runs, and waits for the mark of its own file. Loads no storage SDK: the work is
 * the uploader's, in its own process (but for a file PostgreSQL did not mark ready, and for any file
 * while the spool takes no mark, which the caller archives itself).
 */
final class AsyncArchiving {

    /** Archives the call's own segment in the call, as without --async. */
    interface ArchiveInThisCall {
        int archive() throws Exception;
    }

    private static final long POLL_MILLIS = 10;
    /** After starting an uploader, give it this long to take its lock before starting another. */
    private static final long START_GRACE_MILLIS = 5_000;
    /** While it waits, the call looks this often whether the spool still takes marks (a disk filling up). */
    private static final long WRITABLE_CHECK_MILLIS = 1_000;

    private final ArchiveSpool spool;
    private final Log log;
    private final List<String> uploaderCommand;
    private final ArchiveInThisCall archiveInThisCall;

    /**
     * @param uploaderCommand the command line that starts an uploader process
     * @param archiveInThisCall what the call does instead of waiting when the spool takes no mark
     */
    AsyncArchiving(ArchiveSpool spool, Log log, List<String> uploaderCommand, ArchiveInThisCall archiveInThisCall) {
        this.spool = spool;
        this.log = log;
        this.uploaderCommand = List.copyOf(uploaderCommand);
        this.archiveInThisCall = archiveInThisCall;
    }

    /**
     * Archives {@code wal} in this call because the spool cannot be written ({@code failure}): no uploader
     * could leave a mark there (nor its log, nor why it could not start), and waiting would only time out,
     * call after call, while pg_wal grows. One warning says where and what to do.
     */
    int archiveInThisCall(String wal, IOException failure) throws Exception {
        log.warning(spoolUnwritable(spool.spoolDirectory(), wal, failure));
        return archiveInThisCall.archive();
    }

    static String spoolUnwritable(Path spoolDirectory, String wal, IOException failure) {
        String reason = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        boolean full = FullDisk.says(reason);
        return "the --async spool " + spoolDirectory + " cannot be written (" + reason + "): archiving " + wal
                + " in this call; " + (full ? "free space in " + spoolDirectory
                        : "make " + spoolDirectory + " a directory this user can write")
                + "; archiving goes on in each call meanwhile, slower";
    }

    /** Whether the spool says that {@code walFile} is stored (an ok mark of this file, not of an older one). */
    boolean stored(String wal, Path walFile) throws IOException {
        if (spool.forgetIfStale(wal, walFile)) {
            log.warning("the spool's mark for " + wal + " is of an older file of that name (was the data directory"
                    + " put back to an earlier state?); archiving this one anew");
        }
        return reportOk(wal);
    }

    /**
     * Whether PostgreSQL marked {@code walFile} ready for archiving ({@code archive_status/NAME.ready} beside it),
     * as it does before every archive_command call: the uploader ships only such files. A file without one
     * (archived already, .done, or a copy outside pg_wal) is one an operator archives by hand.
     */
    static boolean markedReady(Path walFile) {
        Path pgWal = walFile.toAbsolutePath().getParent();
        return pgWal != null && Files.exists(pgWal.resolve("archive_status").resolve(walFile.getFileName() + ".ready"));
    }

    /**
     * Waits until {@code wal}, which PostgreSQL {@link #markedReady marked ready}, is stored (exit 0), failed (the
     * code of a synchronous call)
     * or the timeout passed (4). When the spool cannot be written, or stops being writable meanwhile, it
     * archives {@code wal} in this call instead (the exit code of a synchronous call).
     */
    int awaitStored(String wal, Path walFile, Duration timeout) throws Exception {
        if (stored(wal, walFile)) {
            return ExitCodes.OK;
        }
        // An error mark from an earlier attempt: clear it so that the uploader tries the file again.
        spool.takeError(wal);
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastStart = Long.MIN_VALUE / 2;
        long lastWritableCheck = Long.MIN_VALUE / 2;
        while (true) {
            if (reportOk(wal)) {
                return ExitCodes.OK;
            }
            Optional<ArchiveSpool.Failure> error = spool.takeError(wal);
            if (error.isPresent()) {
                log.error(error.get().reason());
                return error.get().exitCode();
            }
            Optional<ArchiveSpool.Failure> uploaderFailure = spool.takeUploaderFailure();
            if (uploaderFailure.isPresent()) {
                log.error(uploaderFailure.get().reason());
                return uploaderFailure.get().exitCode();
            }
            long now = System.nanoTime();
            if (now - lastWritableCheck > WRITABLE_CHECK_MILLIS * 1_000_000) {
                // before the first start too: an uploader on a full spool fails before it can say why
                lastWritableCheck = now;
                try {
                    spool.checkWritable();
                    spool.markCalled(); // a call that waits is a call: its uploader must not stop for lack of them
                } catch (IOException unwritable) {
                    return archiveInThisCall(wal, unwritable);
                }
            }
            if (now - lastStart > START_GRACE_MILLIS * 1_000_000 && !spool.uploaderRunning()) {
                startUploader();
                lastStart = now;
            }
            if (now > deadline) {
                log.error(timedOut(wal, timeout, spool.runningUploader(), java.time.Instant.now()));
                return ExitCodes.ERROR;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * How long an uploader may write no mark at all, uploading marks included, before a call that times out
     * suggests it hangs: one waiting on a store that accepts connections but does not answer gives up a request
     * after 4 attempts of --read-timeout (4 minutes by default) and then marks the file failed.
     */
    static final Duration HUNG_AFTER = Duration.ofMinutes(5);

    /**
     * The message of a call that waited {@code timeout} in vain: it names the uploader holding the lock, and
     * either the file it has been storing longest (it waits on the store: killing it would change nothing) or,
     * once it has written no mark for {@link #HUNG_AFTER}, how long, since a hung one (stopped, stuck in a
     * system call) is never replaced while it holds the lock, and its log says nothing about it.
     */
    String timedOut(String wal, Duration timeout, Optional<ArchiveSpool.RunningUploader> uploader,
                    java.time.Instant now) {
        String waited = "timed out after " + timeout.toSeconds() + " s waiting for the uploader to store " + wal;
        String seeLog = "; see " + spool.uploaderLog();
        Path lock = spool.directory().resolve("uploader.lock");
        if (uploader.isEmpty()) {
            return waited + "; no uploader holds " + lock + " now" + seeLog;
        }
        ArchiveSpool.RunningUploader running = uploader.get();
        long quiet = secondsBetween(running.lastMark(), now);
        String holder = waited + "; the uploader (" + running.pid().stream().mapToObj(pid -> "PID " + pid)
                .findFirst().orElse("a process") + ", holding " + lock + ") ";
        Optional<String> storing = running.oldestUpload()
                .map(u -> "storing " + u.wal() + " for " + secondsBetween(u.since(), now) + " s");
        if (quiet >= HUNG_AFTER.toSeconds()) {
            String kill = running.pid().isPresent() ? "kill " + running.pid().getAsLong()
                    : "stop the process fuser -v " + lock + " shows";
            return holder + "has written no mark for " + quiet + " s" + storing.map(s -> " (" + s + ")").orElse("")
                    + ": if it hangs, " + kill + " and the next call starts another" + seeLog;
        }
        return holder + storing.map(s -> "has been " + s + " and the store has not answered yet (each request waits"
                + " up to 4 x --read-timeout)").orElse("has written no mark for " + quiet + " s") + seeLog;
    }

    private static long secondsBetween(java.time.Instant from, java.time.Instant to) {
        return Math.max(0, Duration.between(from, to).toSeconds());
    }

    private boolean reportOk(String wal) throws IOException {
        Optional<String> note = spool.consumeOk(wal);
        note.filter(n -> !n.isEmpty()).ifPresent(log::warning);
        return note.isPresent();
    }

    private void startUploader() throws IOException {
        spool.takeUploaderFailure(); // an earlier uploader's: only this one's failure answers this call
        // each argument through ShownUrls: an --endpoint-url may carry a password
        log.debug("starting uploader for spool key " + spool.key() + ": " + String.join(" ",
                uploaderCommand.stream().map(io.cumulus.storage.ShownUrls::inText).toList()));
        BackgroundProcess.startDetached(uploaderCommand, spool.uploaderLog());
    }
}
