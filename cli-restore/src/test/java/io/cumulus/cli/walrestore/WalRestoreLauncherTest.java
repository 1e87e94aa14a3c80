package io.cumulus.cli.walrestore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.wal.ArchiveSpool;
import io.cumulus.core.wal.RestoreSpool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fast path of the cumulus-wal-restore launcher: a segment the prefetch worker has spooled is
 * served without starting Java. CUMULUS_JAVA=/bin/false makes every call that misses the fast path
 * fail, so an exit 0 proves the launcher answered by itself.
 */
class WalRestoreLauncherTest {
    private static final String WAL = "000000010000000000000007";

    @TempDir
    Path dir;

    private Process launch(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", "src/main/bin/cumulus-wal-restore"));
        command.addAll(args);
        ProcessBuilder launcher = new ProcessBuilder(command).redirectErrorStream(true);
        launcher.environment().put("CUMULUS_JAVA", "/bin/false");
        return launcher.start();
    }

    private static int exit(Process process) throws Exception {
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    @Test
    void aSpooledSegmentOfItsOwnOptionsIsLinkedIntoPlaceWithoutJava() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, ArchiveSpool.keyOf(options)).open();
        byte[] content = "segment content".getBytes();
        Files.write(spool.pathOf(WAL), content);
        Files.write(dest, "an older file in the way".getBytes());

        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        assertEquals(0, exit(launch(args)));
        assertArrayEquals(content, Files.readAllBytes(dest));
        assertFalse(spool.contains(WAL), "a served segment leaves the spool");

        // served already: the next call for it misses and goes to Java
        assertTrue(exit(launch(args)) != 0);
    }

    @Test
    void aSegmentTheWorkerIsFetchingIsAwaitedInsteadOfFetchedAgain() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, ArchiveSpool.keyOf(options)).open();
        spool.markFetching(WAL);
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        Process call = launch(args);
        Thread.sleep(500);
        assertTrue(call.isAlive(), "the launcher waits while the worker fetches");
        Files.write(spool.pathOf(WAL), new byte[16]);
        spool.doneFetching(WAL);
        assertEquals(0, exit(call));
        assertEquals(16, Files.size(dest));
    }

    @Test
    void theSpoolOfOtherOptionsIsNeverServed() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        RestoreSpool other = new RestoreSpool(spoolDir, ArchiveSpool.keyOf(
                List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://elsewhere/p", "main"))).open();
        Files.write(other.pathOf(WAL), new byte[16]);
        assertTrue(exit(launch(List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main",
                WAL, dest.toString()))) != 0);
        assertFalse(Files.exists(dest));
        assertTrue(other.contains(WAL));
    }

    @Test
    void aHiddenTemporaryFileIsNotASegment() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--spool-dir=" + spoolDir, "--prefetch=4", "file:///backups", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, ArchiveSpool.keyOf(options)).open();
        Files.write(spool.directory().resolve("." + WAL + ".cumulus-tmp"), new byte[16]); // a download in progress
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        assertTrue(exit(launch(args)) != 0);
        Files.write(spool.pathOf(WAL), new byte[16]);
        assertEquals(0, exit(launch(args)), "the --opt=value forms are understood");
    }
}
