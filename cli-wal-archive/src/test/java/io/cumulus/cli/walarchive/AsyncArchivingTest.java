package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.Log;
import io.cumulus.core.wal.ArchiveSpool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the foreground logs of the uploader it starts, and when it archives its segment itself. */
class AsyncArchivingTest {

    @TempDir
    Path dir;

    /** At -vv the uploader's command line is logged, an --endpoint-url's password not. */
    @Test
    void theUploadersCommandIsLoggedWithoutAnEndpointPassword() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        StringWriter err = new StringWriter();
        Log log = new Log(new PrintWriter(err, true), 10);
        new AsyncArchiving(spool, log, List.of("/bin/true", "--endpoint-url", "http://minio:SECRET@127.0.0.1:9000",
                "--endpoint-url=http://u:SECRET@h", "s3://b/p", "main"), AsyncArchivingTest::notInThisCall)
                .awaitStored(wal.getFileName().toString(), wal, Duration.ofMillis(50));
        assertTrue(err.toString().contains("starting uploader for spool key 0123456789abcdef: /bin/true --endpoint-url"
                + " http://***@127.0.0.1:9000 --endpoint-url=http://***@h s3://b/p main"), err.toString());
        assertFalse(err.toString().contains("SECRET"), err.toString());
    }

    /**
     * A hung uploader (stopped, stuck) holds the lock, so no call replaces it, and its log says nothing:
     * the call that times out names it, and, once it has written no mark for 5 minutes, how long.
     */
    @Test
    void aCallThatTimesOutNamesTheUploaderHoldingTheLock() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        AsyncArchiving archiving = new AsyncArchiving(spool, new Log(new PrintWriter(new StringWriter(), true), 0),
                List.of("/bin/true"), AsyncArchivingTest::notInThisCall);
        java.time.Instant now = java.time.Instant.now();
        String lock = spool.directory().resolve("uploader.lock").toString();
        String hung = archiving.timedOut("000000010000000000000001", Duration.ofSeconds(20), java.util.Optional.of(
                new ArchiveSpool.RunningUploader(java.util.OptionalLong.of(20158), now.minusSeconds(400),
                        java.util.Optional.empty())), now);
        assertEquals("timed out after 20 s waiting for the uploader to store 000000010000000000000001; the uploader"
                + " (PID 20158, holding " + lock + ") has written no mark for 400 s:"
                + " if it hangs, kill 20158 and the next call starts another; see " + spool.uploaderLog(), hung);
        String none = archiving.timedOut("000000010000000000000001", Duration.ofSeconds(20), java.util.Optional.empty(),
                now);
        assertTrue(none.contains("; no uploader holds " + lock + " now; see " + spool.uploaderLog()), none);
    }

    /**
     * An uploader whose uploading marks are fresh waits on the store (one that accepts connections but does
     * not answer holds each request up to 4 attempts of --read-timeout): the call names the file it has been
     * storing longest and does not suggest killing it, which would change nothing.
     */
    @Test
    void aCallThatTimesOutWhileTheUploaderWaitsOnTheStoreSaysSoInsteadOfKill() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        AsyncArchiving archiving = new AsyncArchiving(spool, new Log(new PrintWriter(new StringWriter(), true), 0),
                List.of("/bin/true"), AsyncArchivingTest::notInThisCall);
        java.time.Instant now = java.time.Instant.now();
        String lock = spool.directory().resolve("uploader.lock").toString();
        ArchiveSpool.Upload storing = new ArchiveSpool.Upload("00000001000000000000006D", now.minusSeconds(73));

        String waiting = archiving.timedOut("00000001000000000000006F", Duration.ofSeconds(60), java.util.Optional.of(
                new ArchiveSpool.RunningUploader(java.util.OptionalLong.of(20919), now.minusSeconds(2),
                        java.util.Optional.of(storing))), now);
        assertEquals("timed out after 60 s waiting for the uploader to store 00000001000000000000006F; the uploader"
                + " (PID 20919, holding " + lock + ") has been storing 00000001000000000000006D for 73 s and the store"
                + " has not answered yet (each request waits up to 4 x --read-timeout); see " + spool.uploaderLog(),
                waiting);

        // no mark at all for over 5 minutes, uploading ones included: it may hang
        String quiet = archiving.timedOut("00000001000000000000006F", Duration.ofSeconds(60), java.util.Optional.of(
                new ArchiveSpool.RunningUploader(java.util.OptionalLong.of(20919), now.minusSeconds(301),
                        java.util.Optional.of(new ArchiveSpool.Upload("00000001000000000000006D", now.minusSeconds(310))))),
                now);
        assertTrue(quiet.contains(") has written no mark for 301 s (storing 00000001000000000000006D for 310 s): if it"
                + " hangs, kill 20919 and the next call starts another; see "), quiet);

        // a mark a minute ago and nothing in progress: no advice to kill it either
        String recent = archiving.timedOut("00000001000000000000006F", Duration.ofSeconds(60), java.util.Optional.of(
                new ArchiveSpool.RunningUploader(java.util.OptionalLong.of(20919), now.minusSeconds(61),
                        java.util.Optional.empty())), now);
        assertTrue(recent.endsWith(") has written no mark for 61 s; see " + spool.uploaderLog()), recent);
        assertFalse(recent.contains("kill"), recent);
    }

    /** A failed upload is reported with the reason its error mark holds and the exit code a synchronous call gives. */
    @Test
    void aFailedUploadExitsWithTheCodeOfASynchronousCall() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        StringWriter err = new StringWriter();
        AsyncArchiving archiving = new AsyncArchiving(spool, new Log(new PrintWriter(err, true), 0),
                List.of("/bin/sh", "-c", "sleep 0.3; printf '2\\ncannot reach s3://b: connection refused' > "
                        + spool.directory().resolve(wal.getFileName() + ".error")), AsyncArchivingTest::notInThisCall);
        int exit = archiving.awaitStored(wal.getFileName().toString(), wal, Duration.ofSeconds(30));
        assertEquals(2, exit, err.toString());
        assertTrue(err.toString().contains("ERROR: cannot reach s3://b: connection refused"), err.toString());
        assertFalse(err.toString().contains("ERROR: 2"), err.toString());
    }

    /**
     * A file the uploader holds back behind a history file that was refused: the call reports the history file's
     * failure at once, with its exit code, rather than waiting out --async-timeout for a file nobody stores.
     */
    @Test
    void aCallForAFileHeldBehindARefusedHistoryFileReportsTheHistoryFilesFailureAtOnce() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000020000000000000004"), new byte[0]);
        // as the uploader writes it (AsyncUploader.heldBack)
        String reason = "not storing 000000020000000000000004 yet: 00000002.history goes first (PostgreSQL archives a"
                + " timeline's history file before any later WAL, and --async keeps that order), and storing it failed:"
                + " WAL file 00000002.history is already archived as pg/wals/00000002.history in file:///s with"
                + " different content; refusing to overwrite it";
        StringWriter err = new StringWriter();
        AsyncArchiving archiving = new AsyncArchiving(spool, new Log(new PrintWriter(err, true), 0),
                List.of("/bin/sh", "-c", "sleep 0.3; printf '1\\n%s' \"$0\" > "
                        + spool.directory().resolve(wal.getFileName() + ".held"), reason),
                AsyncArchivingTest::notInThisCall);
        long started = System.nanoTime();
        int exit = archiving.awaitStored(wal.getFileName().toString(), wal, Duration.ofSeconds(30));
        assertEquals(1, exit, err.toString());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "not after --async-timeout");
        assertTrue(err.toString().contains("ERROR: " + reason), err.toString());
    }

    private static int notInThisCall() {
        throw new AssertionError("archived in the call, not by the uploader");
    }

    /** A spool that takes no mark (here: a directory where the check's file goes; a full disk in life). */
    private static void makeUnwritable(ArchiveSpool spool) throws IOException {
        Files.createDirectories(spool.directory().resolve("writable").resolve("in-the-way"));
    }

    /**
     * A full spool: no uploader could leave a mark, so waiting would only time out, call after call, while
     * pg_wal grows. The call archives its own segment, says so once, and starts no uploader.
     */
    @Test
    void aCallWhoseSpoolTakesNoMarkArchivesItsSegmentItselfWithOneWarning() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        makeUnwritable(spool);
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        StringWriter err = new StringWriter();
        AtomicInteger archived = new AtomicInteger();
        int exit = new AsyncArchiving(spool, new Log(new PrintWriter(err, true), 10), List.of("/bin/true"), () -> {
            archived.incrementAndGet();
            return 0;
        }).awaitStored(wal.getFileName().toString(), wal, Duration.ofSeconds(30));
        assertEquals(0, exit, err.toString());
        assertEquals(1, archived.get());
        List<String> warnings = err.toString().lines().filter(l -> l.contains("WARNING")).toList();
        assertEquals(1, warnings.size(), err.toString());
        assertTrue(warnings.get(0).contains("the --async spool " + dir.resolve("spool") + " cannot be written ("),
                warnings.get(0));
        assertTrue(warnings.get(0).endsWith("archiving 000000010000000000000001 in this call; make " + dir.resolve("spool")
                + " a directory this user can write; archiving goes on in each call meanwhile, slower"), warnings.get(0));
        assertFalse(err.toString().contains("starting uploader"), err.toString());
        try (Stream<Path> files = Files.list(spool.directory())) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().contains(".tmp-")).toList(),
                    "the check leaves no temporary file");
        }
    }

    /** A spool that fills while a call waits: the call archives its segment itself within a second or so. */
    @Test
    void aSpoolThatStopsTakingMarksWhileTheCallWaitsEndsTheWait() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        AtomicInteger archived = new AtomicInteger();
        Thread filling = new Thread(() -> {
            try {
                Thread.sleep(300);
                makeUnwritable(spool);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        filling.start();
        long started = System.nanoTime();
        int exit = new AsyncArchiving(spool, new Log(new PrintWriter(new StringWriter(), true), 10),
                List.of("/bin/true"), () -> {
                    archived.incrementAndGet();
                    return 0;
                }).awaitStored(wal.getFileName().toString(), wal, Duration.ofSeconds(30));
        filling.join();
        assertEquals(0, exit);
        assertEquals(1, archived.get());
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "not after --async-timeout");
    }

    /** A healthy spool changes nothing: the call waits for the uploader, and the check leaves no file. */
    @Test
    void aCallWhoseSpoolTakesMarksWaitsForTheUploader() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        StringWriter err = new StringWriter();
        int exit = new AsyncArchiving(spool, new Log(new PrintWriter(err, true), 10), List.of("/bin/true"),
                AsyncArchivingTest::notInThisCall).awaitStored(wal.getFileName().toString(), wal, Duration.ofMillis(300));
        assertEquals(4, exit, "no uploader (here /bin/true) stores it: timed out");
        assertTrue(err.toString().contains("timed out"), err.toString());
        try (Stream<Path> files = Files.list(spool.directory())) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                    .filter(n -> n.contains("writable")).toList());
        }
    }

    /** A full disk gets "free space there"; the reason names the file the check could not write. */
    @Test
    void aFullSpoolIsToldToBeFreed() {
        String message = AsyncArchiving.spoolUnwritable(Path.of("/var/spool/pg"), "000000010000000000000002",
                new java.nio.file.FileSystemException("/var/spool/pg/archive-out/k/.writable.tmp-1-1", null,
                        "No space left on device"));
        assertEquals("the --async spool /var/spool/pg cannot be written (/var/spool/pg/archive-out/k/.writable.tmp-1-1:"
                + " No space left on device): archiving 000000010000000000000002 in this call; free space in"
                + " /var/spool/pg; archiving goes on in each call meanwhile, slower", message);
    }
}
