package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code cumulus-wal-archive --async} as PostgreSQL 15 drives it, against S3Proxy: a cluster with
 * 1 MB WAL segments (so a short load makes many of them) archives through a spool with four uploads
 * at a time. Under pgbench every file PostgreSQL marks done is in the bucket and a recovery replays
 * it; an uploader killed mid-batch has reported nothing it did not store and a new one takes over;
 * a store that refuses writes makes archive_command fail with the store's reason in the server log,
 * and archiving catches up when the store is back; and a changed archive_command applies to the
 * files that turn ready after the change; run by hand on a segment PostgreSQL marked done, or on a copy,
 * archive_command stores it at once.
 *
 * <p>The methods run in order on one cluster; the last two point archive_command at other buckets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AsyncArchivingTest {

    static final String SERVER = "pg-async";
    static final long SEGMENT_SIZE = Wal.SMALL_SEGMENT_SIZE;
    static final List<String> PGBENCH_TABLES =
            List.of("pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history");

    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(180);
    private static final String PGBENCH_SECONDS = "15";
    private static final String PREFETCH = "8";

    private S3ArchiveStore store;
    private Path spool;
    private Path restoreSpool;
    private PgCluster source;
    private Path backupParent;
    /** The segment being written when archiving started: those before it were finished by initdb, unarchived. */
    private String firstArchivedSegment;

    @BeforeAll
    void startAClusterArchivingAsynchronously() {
        store = S3ArchiveStore.start("e2e-async", "cluster/main");
        spool = PostgresUser.createTempDir("cumulus-e2e-archive-spool-");
        restoreSpool = PostgresUser.createTempDir("cumulus-e2e-restore-spool-");
        // no autovacuum: the WAL after the load is the load's, so the recovery has a known end
        source = PgCluster.builder().walSegmentSizeMb(1).setting("autovacuum", "off")
                .archiveCommand(asyncArchiveCommand(store)).start();
        firstArchivedSegment = source.currentWalFile();
        source.execute("CREATE TABLE filler (id int, payload text)"); // what the later tests write
    }

    @AfterAll
    void cleanUp() {
        // the server first (no more archive_command calls), then what its calls left running
        Cleanup.closeAll(source, () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, spool),
                () -> BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, restoreSpool),
                () -> PostgresUser.deleteRecursively(spool), () -> PostgresUser.deleteRecursively(restoreSpool),
                () -> PostgresUser.deleteRecursively(backupParent), store);
    }

    /** archive_command as a user would write it for {@code target}: async, this class's spool, four at a time. */
    private String asyncArchiveCommand(ArchiveStore target) {
        return target.archiveCommand(SERVER, "-v", "--async", "--spool-dir", spool.toString(), "--max-parallel", "4");
    }

    @Test
    @Order(1)
    void underPgbenchEveryFileMarkedDoneIsInTheBucketAndARecoveryReachesTheSameRows() throws IOException {
        assertEquals("1MB", source.queryString("SHOW wal_segment_size"));
        source.pgCommand("pgbench", "-i", "-s", "5", "-q").timeout(Duration.ofMinutes(3)).runSuccessfully();
        source.awaitArchived(source.switchWal(), ARCHIVE_TIMEOUT);
        backupParent = PostgresUser.createTempDir("cumulus-e2e-basebackup-");
        Path baseBackup = backupParent.resolve("data");
        source.pgBasebackup(baseBackup, PgCluster.WalMethod.NONE);

        ToolResult bench;
        ArchiverLagSampler sampler = ArchiverLagSampler.start(source, SEGMENT_SIZE, Duration.ofSeconds(1));
        try {
            bench = source.pgCommand("pgbench", "-c", "4", "-j", "2", "-T", PGBENCH_SECONDS)
                    .timeout(Duration.ofMinutes(2)).run();
        } finally {
            sampler.close();
        }
        assertTrue(bench.succeeded(), bench::describe);
        System.out.println(sampler.report("[AsyncArchivingTest] archiver lag under pgbench -c 4 -j 2 -T "
                + PGBENCH_SECONDS + " (--async --max-parallel 4, S3Proxy)"));
        System.out.println("[AsyncArchivingTest] pgbench: " + bench.stdout().lines()
                .filter(line -> line.startsWith("tps") || line.startsWith("number of transactions actually"))
                .toList());

        // Read before the checkpoint: after it, setting hint bits on every page would log a full-page
        // image of each (data checksums are on), tens of MB that the recovery would have to replay.
        Map<String, String> expected = TableContents.fingerprint(source, PGBENCH_TABLES);
        source.checkpoint();
        String last = source.switchWal();
        source.awaitArchived(last, ARCHIVE_TIMEOUT);
        Archiver.Status status = Archiver.status(source);
        assertEquals(0, status.failedCount(), () -> "archive_command failed under load: " + status);

        Set<String> done = new TreeSet<>(sampler.doneSeen());
        done.addAll(Archiver.marked(source, ".done"));
        Set<String> keys = new HashSet<>(store.keys(SERVER + "/wals/"));
        assertEquals(List.of(), notArchived(done, keys), () -> "files marked .done but not in " + store);
        List<String> upToLastArchived = Wal.segmentsFromTo(firstArchivedSegment, status.lastArchivedSegment(),
                SEGMENT_SIZE);
        assertTrue(upToLastArchived.size() > 50, () -> "too little WAL for this test: " + upToLastArchived);
        assertEquals(List.of(), notArchived(upToLastArchived, keys),
                () -> "segments up to last_archived_wal " + status.lastArchivedWal() + " missing from " + store);
        int compared = assertArchivedCopiesMatchPgWal(done);
        System.out.println("[AsyncArchivingTest] " + done.size() + " files seen marked .done, "
                + upToLastArchived.size() + " segments up to " + status.lastArchivedWal() + ", all in the bucket; "
                + compared + " still in pg_wal compared byte for byte");

        // Restored with --prefetch: without it every call pays the S3 client's start-up (over a second
        // each on this machine), and PrefetchRecoveryTest shows both reach the same end state.
        long started = System.nanoTime();
        try (PgCluster restored = PgCluster.builder()
                .fromDataDirectory(baseBackup)
                .recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(store.restoreCommand(SERVER, "--prefetch", PREFETCH, "--spool-dir",
                        restoreSpool.toString()))
                .startTimeout(RECOVERY_TIMEOUT)
                .start()) {
            restored.awaitRecoveryEnd(RECOVERY_TIMEOUT);
            assertEquals(expected, TableContents.fingerprint(restored, PGBENCH_TABLES),
                    () -> "pgbench tables after recovery\n" + restored.serverLogTail(60));
            String log = restored.serverLog();
            assertTrue(log.contains("restored log file \"" + last + "\" from archive"), () -> restored.serverLogTail(60));
            System.out.println("[AsyncArchivingTest] recovery from the base backup taken before the load replayed "
                    + countRestored(log) + " files in " + (System.nanoTime() - started) / 1_000_000 + " ms");
        }
    }

    @Test
    @Order(2)
    void anUploaderKilledMidBatchHasReportedOnlyWhatItStoredAndANewOneCatchesUp() throws Exception {
        Archiver.Status before = Archiver.status(source);
        // about 120 MB of WAL from one statement: over a hundred 1 MB segments turn .ready while the
        // uploader works through them
        CompletableFuture<Void> load = CompletableFuture.runAsync(() -> source.execute(
                "INSERT INTO filler SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, 120000) g"));
        try {
            MidBatch midBatch = awaitUploaderMidBatch(before, Duration.ofSeconds(60));
            BackgroundWorkers.Worker uploader = midBatch.uploader();
            uploader.kill();
            // the marks seen mid-batch: PostgreSQL may have had them answered, and the uploader removed
            // them, in the moment before the kill
            List<String> okBeforeKill = midBatch.okMarks();

            // right after the kill: what the spool and PostgreSQL say was stored must be in the bucket
            Set<String> okAfterKill = new TreeSet<>(okMarks());
            List<String> okMarks = Stream.concat(okBeforeKill.stream(), okAfterKill.stream()).distinct().sorted().toList();
            List<String> done = Archiver.marked(source, ".done");
            List<String> ready = Archiver.marked(source, ".ready");
            Set<String> keys = new HashSet<>(store.keys(SERVER + "/wals/"));
            List<String> leftOver = ready.stream().filter(name -> !okAfterKill.contains(name)).toList();
            System.out.println("[AsyncArchivingTest] killed uploader " + uploader.pid() + " with " + okAfterKill.size()
                    + " ok mark(s) in the spool (" + okMarks.size() + " seen around the kill), " + ready.size()
                    + " .ready (" + leftOver.size() + " not yet stored), " + done.size() + " .done");
            assertFalse(leftOver.isEmpty(), () -> "not mid-batch: nothing was left to upload (.ready " + ready + ")");
            assertFalse(okMarks.isEmpty(), "no ok mark around the kill: nothing to check");
            assertEquals(List.of(), notArchived(okMarks, keys), () -> "ok marks without an object in " + store);
            assertEquals(List.of(), notArchived(done, keys), () -> "files marked .done without an object in " + store);
            assertArchivedCopiesMatchPgWal(okMarks);

            Optional<BackgroundWorkers.Worker> successor = awaitOtherUploader(uploader.pid(), Duration.ofSeconds(30));
            assertTrue(successor.isPresent(), () -> "no new uploader after the kill\n" + source.serverLogTail(30));
        } finally {
            load.get(3, TimeUnit.MINUTES);
        }
        String last = source.switchWal();
        long started = System.nanoTime();
        source.awaitArchived(last, ARCHIVE_TIMEOUT); // fails on any archive_command failure: the kill must not show
        System.out.println("[AsyncArchivingTest] caught up with " + last + " "
                + (System.nanoTime() - started) / 1_000_000 + " ms after the load ended");

        List<String> batch = Wal.segmentsFromTo(before.currentWal(), last, SEGMENT_SIZE);
        Set<String> keys = new HashSet<>(store.keys(SERVER + "/wals/"));
        assertEquals(List.of(), notArchived(Wal.segmentsFromTo(firstArchivedSegment, last, SEGMENT_SIZE), keys),
                () -> "segments missing from " + store);
        assertTrue(assertArchivedCopiesMatchPgWal(batch) > 0, "no segment of the batch left in pg_wal to compare");
    }

    @Test
    @Order(3)
    void aFileThatTurnsReadyAfterArchiveCommandChangedGoesWhereTheNewCommandSays() {
        try (S3ArchiveStore moved = store.inBucket("e2e-async-moved")) {
            moved.createBucket();
            source.execute("INSERT INTO filler SELECT g, 'before the change' FROM generate_series(1, 1000) g");
            source.awaitArchived(source.switchWal(), ARCHIVE_TIMEOUT);
            // the uploader that stored it stays a few seconds for more work: change the command meanwhile
            boolean uploaderRunning = !BackgroundWorkers.findJvms(BackgroundWorkers.UPLOADER, spool).isEmpty();
            useArchiveCommand(asyncArchiveCommand(moved));

            source.execute("INSERT INTO filler SELECT g, 'after the change' FROM generate_series(1, 1000) g");
            String after = source.switchWal();
            source.awaitArchived(after, ARCHIVE_TIMEOUT);
            boolean inOldBucket = store.read(Wal.key(SERVER, after)).isPresent();
            System.out.println("[AsyncArchivingTest] " + after + " made .ready after archive_command changed (uploader"
                    + " of the old command " + (uploaderRunning ? "still running" : "gone") + "): in the new bucket "
                    + moved.read(Wal.key(SERVER, after)).isPresent() + ", in the old one " + inOldBucket);
            assertTrue(moved.read(Wal.key(SERVER, after)).isPresent(), () -> after + " was reported archived but is"
                    + " not in the bucket archive_command names" + (inOldBucket ? "; it is in the one it named before" : ""));
        } finally {
            // back to the class's bucket, once no uploader works with the other command's options
            if (!BackgroundWorkers.awaitNone(BackgroundWorkers.UPLOADER, spool, Duration.ofSeconds(60))) {
                BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, spool);
            }
            useArchiveCommand(asyncArchiveCommand(store));
        }
    }

    @Test
    @Order(4)
    void aStoreThatRefusesWritesFailsTheCallWithItsReasonAndArchivingCatchesUpWhenItIsBack() {
        // start from a quiet spool: no uploader of an earlier archive_command still at work
        assertTrue(BackgroundWorkers.awaitNone(BackgroundWorkers.UPLOADER, spool, Duration.ofSeconds(60)),
                "the uploader did not exit when idle");
        try (S3ArchiveStore refusing = store.inBucket("e2e-async-absent")) {
            useArchiveCommand(asyncArchiveCommand(refusing));
            source.execute("SELECT pg_stat_reset_shared('archiver')");

            source.execute("INSERT INTO filler SELECT g, 'refused' FROM generate_series(1, 1000) g");
            String refused = source.switchWal();
            Archiver.Status failed = awaitFailure(refused, Duration.ofSeconds(60));
            String reason = awaitUploaderError(refused, Duration.ofSeconds(30));
            System.out.println("[AsyncArchivingTest] store refused " + refused + ": " + reason);
            String log = source.serverLog();
            assertTrue(log.contains("ERROR: " + reason), () -> "the uploader's reason is not in the server log: "
                    + reason + "\n--- server log tail ---\n" + source.serverLogTail(40));
            assertTrue(log.contains("archive command failed with exit code 1"), source.serverLogTail(40));
            assertTrue(reason.toLowerCase(java.util.Locale.ROOT).contains("bucket"),
                    () -> "the reason does not say what the store answered: " + reason);
            assertTrue(Archiver.marked(source, ".ready").contains(refused), () -> "not left .ready: " + failed);
            assertFalse(Files.exists(marks().resolve(refused + ".ok")), "an ok mark for a refused file");

            refusing.createBucket();
            source.execute("INSERT INTO filler SELECT g, 'store is back' FROM generate_series(1, 1000) g");
            String after = source.switchWal(); // also wakes the archiver from its back-off
            long started = System.nanoTime();
            Archiver.Status caughtUp = Archiver.awaitCaughtUp(source, after, ARCHIVE_TIMEOUT);
            System.out.println("[AsyncArchivingTest] after the store came back, caught up with " + after + " in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms (" + caughtUp + ")");

            List<String> resumed = Wal.segmentsFromTo(refused, after, SEGMENT_SIZE);
            Set<String> keys = new HashSet<>(refusing.keys(SERVER + "/wals/"));
            assertEquals(List.of(), notArchived(resumed, keys), () -> "segments missing from " + refusing);
            for (String name : resumed) {
                assertArrayEquals(pgWal(name).orElseThrow(), refusing.read(Wal.key(SERVER, name)).orElseThrow(),
                        name + " differs from pg_wal");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    @Test
    @Order(5)
    void theArchiveCommandRunByHandOnASegmentAlreadyDoneOrOnACopyArchivesItAtOnce() throws IOException {
        // the class's own archive_command again, after the earlier tests pointed it elsewhere and made it fail
        assertTrue(BackgroundWorkers.awaitNone(BackgroundWorkers.UPLOADER, spool, Duration.ofSeconds(60)),
                "the uploader did not exit when idle");
        useArchiveCommand(asyncArchiveCommand(store));
        source.execute("SELECT pg_stat_reset_shared('archiver')");
        source.execute("INSERT INTO filler SELECT g, 'archived by hand' FROM generate_series(1, 1000) g");
        String done = source.switchWal();
        source.awaitArchived(done, ARCHIVE_TIMEOUT);
        Path pgWal = source.dataDir().resolve("pg_wal");
        assertTrue(Files.exists(pgWal.resolve("archive_status").resolve(done + ".done")));
        byte[] segment = Files.readAllBytes(pgWal.resolve(done));

        // the repair docs/check.md gives for a gap: the segment is still in pg_wal, run archive_command on it
        store.delete(Wal.key(SERVER, done));
        ToolResult byHand = byHand(pgWal.resolve(done));
        assertEquals(0, byHand.exitCode(), byHand::describe);
        assertTrue(byHand.stderr().contains("archiving it in this call"), byHand::describe);
        // at once, not after --async-timeout (60 s) waiting for an uploader that ships only .ready files
        assertTrue(byHand.elapsed().compareTo(Duration.ofSeconds(20)) < 0, byHand::describe);
        assertArrayEquals(segment, store.read(Wal.key(SERVER, done)).orElseThrow(), done + " is stored");

        // a copy outside pg_wal, which has no archive_status for an uploader to look into
        store.delete(Wal.key(SERVER, done));
        Path copies = PostgresUser.createTempDir("cumulus-e2e-by-hand-");
        try {
            Path copy = Files.write(copies.resolve(done), segment);
            PostgresUser.chown(copy);
            ToolResult fromCopy = byHand(copy);
            assertEquals(0, fromCopy.exitCode(), fromCopy::describe);
            assertTrue(fromCopy.elapsed().compareTo(Duration.ofSeconds(20)) < 0, fromCopy::describe);
            assertArrayEquals(segment, store.read(Wal.key(SERVER, done)).orElseThrow(), "the copy is stored");
            Path uploaderLog = marks().resolve("uploader.log");
            String log = Files.exists(uploaderLog) ? Files.readString(uploaderLog) : "";
            assertFalse(log.contains(copies.toString()), log);
        } finally {
            PostgresUser.deleteRecursively(copies);
        }
    }

    /** The class's archive_command, run by hand as the postgres user on {@code walPath}: the same spool, the same key. */
    private ToolResult byHand(Path walPath) {
        return store.walArchive(SERVER, walPath, "-v", "--async", "--spool-dir", spool.toString(), "--max-parallel", "4")
                .asPostgres().timeout(ARCHIVE_TIMEOUT).run();
    }

    private static List<String> notArchived(Collection<String> walFiles, Set<String> keys) {
        return walFiles.stream().filter(name -> !keys.contains(Wal.key(SERVER, name))).sorted().toList();
    }

    /** Compares the archived copy of every segment in {@code names} still in pg_wal; returns how many. */
    private int assertArchivedCopiesMatchPgWal(Collection<String> names) {
        int compared = 0;
        for (String name : names) {
            if (!Wal.SEGMENT_NAME.matcher(name).matches()) {
                continue;
            }
            Optional<byte[]> original = pgWal(name);
            if (original.isEmpty()) {
                continue; // removed or recycled by a checkpoint
            }
            Optional<byte[]> archived = store.read(Wal.key(SERVER, name));
            assertTrue(archived.isPresent(), () -> name + " missing from " + store);
            assertArrayEquals(original.get(), archived.get(), name + " differs from pg_wal");
            compared++;
        }
        return compared;
    }

    private Optional<byte[]> pgWal(String name) {
        try {
            return Optional.of(Files.readAllBytes(source.dataDir().resolve("pg_wal").resolve(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Where the spool keeps the marks of the archive_command in use: {@code archive-out/KEY/}, KEY
     * derived from the command's options, as the last foreground call recorded in {@code archive-out/current}.
     */
    private Path marks() {
        try {
            return spool.resolve("archive-out").resolve(Files.readString(spool.resolve("archive-out/current")).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("no current archive_command recorded in " + spool, e);
        }
    }

    /** The WAL files the spool holds an ok mark for, reported to PostgreSQL already or not. */
    private List<String> okMarks() {
        try (Stream<Path> files = Files.list(marks())) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".ok") || name.endsWith(".reported"))
                    .map(name -> name.substring(0, name.lastIndexOf('.'))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An uploader in the middle of a batch, and the ok marks its spool held then. */
    private record MidBatch(BackgroundWorkers.Worker uploader, List<String> okMarks) {
    }

    /**
     * Waits for an uploader in the middle of the batch: PostgreSQL has archived some of it, the spool
     * holds ok marks PostgreSQL has not asked for yet, and more files wait without one; returns it,
     * checked to hold the uploader lock, with those marks.
     */
    private MidBatch awaitUploaderMidBatch(Archiver.Status before, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Archiver.Status status = before;
        while (System.nanoTime() < deadline) {
            List<BackgroundWorkers.Worker> uploaders = BackgroundWorkers.findJvms(BackgroundWorkers.UPLOADER, spool);
            if (uploaders.size() > 1) {
                throw new AssertionError("more than one uploader runs: " + uploaders);
            }
            status = Archiver.status(source);
            if (uploaders.size() == 1 && status.archivedCount() - before.archivedCount() >= 5 && status.ready() >= 5) {
                List<String> ok = okMarks();
                if (ok.size() >= 2 && status.ready() - ok.size() >= 5) {
                    BackgroundWorkers.Worker uploader = uploaders.get(0);
                    assertTrue(uploader.hasOpen(marks().resolve("uploader.lock")),
                            () -> "the uploader found by its command line does not hold the lock: " + uploader);
                    return new MidBatch(uploader, ok);
                }
            }
            Archiver.sleep(Duration.ofMillis(10));
        }
        throw new AssertionError("no uploader in mid-batch within " + timeout + " (" + status + ")");
    }

    private Optional<BackgroundWorkers.Worker> awaitOtherUploader(long killedPid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<BackgroundWorkers.Worker> other = BackgroundWorkers.findJvms(BackgroundWorkers.UPLOADER, spool)
                    .stream().filter(worker -> worker.pid() != killedPid).findFirst();
            if (other.isPresent()) {
                return other;
            }
            Archiver.sleep(Duration.ofMillis(20));
        }
        return Optional.empty();
    }

    private Archiver.Status awaitFailure(String wal, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Archiver.Status status = Archiver.status(source);
            if (status.failedCount() > 0 && status.lastFailedWal().equals(wal)) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("archive_command did not fail for " + wal + " within " + timeout + " ("
                        + status + ")\n--- server log tail ---\n" + source.serverLogTail(40));
            }
            Archiver.sleep(Duration.ofMillis(100));
        }
    }

    /** The reason the uploader's log gives for not archiving {@code wal}. */
    private String awaitUploaderError(String wal, Duration timeout) {
        String prefix = "ERROR: could not archive " + wal + ": ";
        Path uploaderLog = marks().resolve("uploader.log");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Optional<String> reason = Files.exists(uploaderLog) ? Files.readAllLines(uploaderLog).stream()
                        .filter(line -> line.contains(prefix))
                        .map(line -> line.substring(line.indexOf(prefix) + prefix.length()))
                        .findFirst() : Optional.empty();
                if (reason.isPresent()) {
                    return reason.get();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no error for " + wal + " in " + uploaderLog);
            }
            Archiver.sleep(Duration.ofMillis(100));
        }
    }

    /** Sets archive_command and reloads, as an administrator would; returns once the server uses it. */
    private void useArchiveCommand(String command) {
        source.appendSettings(Map.of("archive_command", command));
        source.reload();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!command.equals(source.queryString("SHOW archive_command"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("archive_command did not change after a reload");
            }
            Archiver.sleep(Duration.ofMillis(50));
        }
    }

    static long countRestored(String serverLog) {
        return serverLog.lines().filter(line -> line.contains("restored log file \"")).count();
    }
}
