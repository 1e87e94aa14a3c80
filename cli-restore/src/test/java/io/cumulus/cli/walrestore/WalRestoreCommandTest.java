package io.cumulus.cli.walrestore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ToolCommand;
import io.cumulus.core.wal.ArchiveSpool;
import io.cumulus.core.wal.RestoreSpool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cumulus-wal-restore --prefetch run in-process against a file:// store, during archive recovery
 * (recovery.signal), with the prefetch worker's start recorded instead of run.
 */
class WalRestoreCommandTest {
    private static final String WAL = "000000010000000000000007";
    private static final String NEXT = "000000010000000000000008";

    @TempDir
    Path dir;

    private String store;
    private Path spoolDir;
    private Path pgdata;
    private Path dest;
    private final List<List<String>> started = new ArrayList<>();
    private WalRestoreCommand.WorkerStarter starter = (command, log) -> started.add(command);

    private record Result(int exitCode, String err) {
    }

    @BeforeEach
    void archiveAndRecovery() throws IOException {
        Path wals = Files.createDirectories(dir.resolve("store/main/wals/0000000100000000"));
        Files.write(wals.resolve(WAL), segment(1));
        store = "file://" + dir.resolve("store");
        spoolDir = dir.resolve("spool");
        pgdata = Files.createDirectories(dir.resolve("pgdata"));
        Files.createFile(pgdata.resolve("recovery.signal"));
        dest = Files.createDirectories(pgdata.resolve("pg_wal")).resolve("RECOVERYXLOG");
    }

    private static byte[] segment(int fill) {
        byte[] content = new byte[1 << 20];
        Arrays.fill(content, (byte) fill);
        return content;
    }

    private Result run(String... args) {
        StringWriter err = new StringWriter();
        WalRestoreCommand command = WalRestoreCommand.withArguments(args);
        command.workers = starter;
        command.dataDirectory = pgdata;
        int code = ToolCommand.run(command, new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
        return new Result(code, err.toString());
    }

    /** The spool key of {@code options} for a recovery in {@link #pgdata}. */
    private String keyOf(List<String> options) {
        return RestoreSpool.keyOf(options, java.util.Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(pgdata)));
    }

    private List<Path> keyDirectories() throws IOException {
        try (Stream<Path> keys = Files.list(spoolDir.resolve(RestoreSpool.DIRECTORY))) {
            return keys.filter(Files::isDirectory).toList();
        }
    }

    @Test
    void optionsAfterTheWalArgumentsKeepOneSpoolKeyAcrossCalls() throws IOException {
        Result first = run(store, "main", WAL, dest.toString(), "--prefetch", "8", "--spool-dir", spoolDir.toString());
        assertEquals(0, first.exitCode(), first.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest));
        String key = keyOf(List.of(store, "main", "--prefetch", "8", "--spool-dir", spoolDir.toString()));
        assertEquals(List.of(spoolDir.resolve("archive-in").resolve(key).toAbsolutePath()), keyDirectories());

        // what the worker would have fetched: NEXT is not in the store, so only the spool can serve it
        Files.write(new RestoreSpool(spoolDir, key).pathOf(NEXT), segment(2));
        Result second = run(store, "main", NEXT, dest.toString(), "--prefetch", "8", "--spool-dir", spoolDir.toString());
        assertEquals(0, second.exitCode(), second.err());
        assertArrayEquals(segment(2), Files.readAllBytes(dest));
        assertEquals(1, keyDirectories().size());
        assertTrue(started.stream().allMatch(command -> command.contains("--spool-key=" + key)), started.toString());
    }

    @Test
    void aSegmentSpooledForAnotherDatabaseSystemIsNotServed() throws IOException {
        // the same restore_command, but the spool was filled by the recovery of another database system, or
        // by a release whose key did not hold the recovery's scope: PostgreSQL would refuse the segment
        java.nio.ByteBuffer control = java.nio.ByteBuffer.allocate(8192).order(java.nio.ByteOrder.nativeOrder());
        Files.write(Files.createDirectories(pgdata.resolve("global")).resolve("pg_control"), control.putLong(0, 2).array());
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main");
        for (String key : List.of(ArchiveSpool.keyOf(options),
                RestoreSpool.keyOf(options, java.util.Map.of(RestoreSpool.SCOPE, "1:" + pgdata.toRealPath())))) {
            Files.write(new RestoreSpool(spoolDir, key).create().pathOf(WAL), segment(9));
        }
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        Result result = run(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest), "the store's copy");
        assertTrue(started.stream().allMatch(command -> command.contains("--spool-key=" + keyOf(options))), started.toString());
    }

    @Test
    void theUsualOrderKeepsTheKeyTheLauncherComputes() {
        String[] args = {"--prefetch", "8", "--spool-dir", "/s", "s3://b/p", "main", WAL, "pg_wal/RECOVERYXLOG"};
        assertEquals(List.of(args).subList(0, args.length - 2),
                WalRestoreCommand.optionsOf(args, WAL, Path.of("pg_wal/RECOVERYXLOG")));
        String[] trailing = {"s3://b/p", "main", WAL, "pg_wal/RECOVERYXLOG", "--prefetch", "8", "-v"};
        assertEquals(List.of("s3://b/p", "main", "--prefetch", "8", "-v"),
                WalRestoreCommand.optionsOf(trailing, WAL, Path.of("pg_wal/RECOVERYXLOG")));
    }

    @Test
    void aPrefetchWorkerThatCannotStartLeavesTheRestoredSegmentAndExitZero() throws IOException {
        starter = (command, log) -> {
            throw new IOException("No space left on device");
        };
        Result result = run("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main", WAL, dest.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest));
        assertTrue(result.err().contains("could not start prefetching: No space left on device"), result.err());
    }

    @Test
    void aWorkerLockThatCannotBeTakenAfterTheRestoreIsLoggedNotFatal() throws IOException {
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, keyOf(options)).create();
        Files.createDirectories(spool.directory().resolve("prefetcher.lock")); // the lock file cannot be opened
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        Result result = run(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest));
        assertTrue(result.err().contains("could not start prefetching"), result.err());
        assertEquals(List.of(), started);
    }

    @Test
    void aSpoolThatCannotBeSetUpFallsBackToTheStore() throws IOException {
        Files.write(spoolDir, new byte[0]); // a file where the spool directory should be
        Result result = run("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main", WAL, dest.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest));
        assertTrue(result.err().contains("fetching " + WAL + " from the store without prefetching"), result.err());
        assertEquals(List.of(), started);
    }

    /**
     * Timeline 2 left timeline 1 at 0/7000100, inside WAL; the old primary archived WAL whole, and the promoted
     * standby its .partial. A recovery along timeline 2 (00000002.history restored into pg_wal) gets the
     * .partial, with a warning; without that history file, the full copy.
     */
    @Test
    void aRecoveryAlongTheNewTimelineGetsThePartialOfTheSegmentHoldingItsSwitchPoint() throws IOException {
        Files.write(dir.resolve("store/main/wals/0000000100000000").resolve(WAL + ".partial"), segment(3));
        Result stays = run(store, "main", WAL, dest.toString());
        assertEquals(0, stays.exitCode(), stays.err());
        assertArrayEquals(segment(1), Files.readAllBytes(dest), "no history file in pg_wal: the full copy");

        Files.writeString(pgdata.resolve("pg_wal/00000002.history"), "1\t0/7000100\tno recovery target specified\n");
        Result along = run(store, "main", WAL, dest.toString());
        assertEquals(0, along.exitCode(), along.err());
        assertArrayEquals(segment(3), Files.readAllBytes(dest));
        assertTrue(along.err().contains("WAL file " + WAL + " holds the switch point where timeline 2 (00000002.history"
                + " in pg_wal), which this recovery follows, left timeline 1 at 0/7000100: restoring its .partial"),
                along.err());
    }

    /**
     * The worker spooled WAL's full copy before the history file of the timeline that left timeline 1 inside it
     * reached pg_wal (a standby that learned of the promotion later): the call chooses again, from the store,
     * and drops the spooled copy.
     */
    @Test
    void aSegmentSpooledBeforeAHistoryFileSaidATimelineLeftItsOwnInsideItIsChosenAgain() throws IOException {
        Files.write(dir.resolve("store/main/wals/0000000100000000").resolve(WAL + ".partial"), segment(3));
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, keyOf(options)).create();
        Files.write(spool.pathOf(WAL), segment(1));
        Files.writeString(pgdata.resolve("pg_wal/00000002.history"), "1\t0/7000100\tno recovery target specified\n");
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        Result result = run(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.err());
        assertArrayEquals(segment(3), Files.readAllBytes(dest), "the .partial, from the store");
        assertTrue(!spool.contains(WAL), "the spooled copy is dropped");
        assertEquals(java.util.Optional.of(WAL), spool.lastRequest(), "the worker is told where recovery is");
    }

    @Test
    void aSegmentMissingFromTheStoreIsTheEndOfTheArchive() throws IOException {
        Result result = run("--prefetch", "8", "--spool-dir", spoolDir.toString(), store, "main", NEXT, dest.toString());
        assertEquals(1, result.exitCode(), result.err());
    }

    @Test
    void aSegmentOfAnotherSegmentSizeThanPgControlsStopsArchiveRecovery() throws IOException {
        // pg_control as PostgreSQL 15 writes it: floatFormat at 208, then blcksz, relseg_size, xlog_blcksz,
        // xlog_seg_size (16 MB); the store holds a 1 MB segment under the name
        java.nio.ByteBuffer control = java.nio.ByteBuffer.allocate(8192).order(java.nio.ByteOrder.nativeOrder());
        control.putLong(0, 7716536663683337326L).putDouble(208, 1234567.0).putInt(224, 8192).putInt(228, 16 << 20);
        Files.write(Files.createDirectories(pgdata.resolve("global")).resolve("pg_control"), control.array());
        Result result = run(store, "main", WAL, dest.toString());
        assertEquals(128, result.exitCode(), result.err());
        assertTrue(result.err().contains("main/wals/0000000100000000/" + WAL + " holds 1048576 bytes, but this cluster's"
                + " segments have 16777216 (global/pg_control)"), result.err());
        assertTrue(Files.notExists(dest));
    }

    @Test
    void aStandbyDoesNotRetryAnUnavailableStoreUnlessTold() throws IOException {
        Path standby = Files.createDirectories(dir.resolve("standby"));
        Files.createFile(standby.resolve("standby.signal"));
        assertEquals(WalRestoreCommand.RecoveryMode.STANDBY, WalRestoreCommand.recoveryMode(standby));
        assertEquals(Duration.ZERO, parsed(store, "main", WAL, "x").retryTimeout(WalRestoreCommand.RecoveryMode.STANDBY));
        assertEquals(Duration.ofSeconds(7),
                parsed("--retry-timeout", "7", store, "main", WAL, "x").retryTimeout(WalRestoreCommand.RecoveryMode.STANDBY));
        // standby.signal wins over recovery.signal, as in PostgreSQL
        Files.createFile(standby.resolve("recovery.signal"));
        assertEquals(WalRestoreCommand.RecoveryMode.STANDBY, WalRestoreCommand.recoveryMode(standby));
    }

    @Test
    void archiveRecoveryAndARunByHandKeepTheLongRetry() {
        assertEquals(WalRestoreCommand.RecoveryMode.ARCHIVE, WalRestoreCommand.recoveryMode(pgdata));
        assertEquals(WalRestoreCommand.RecoveryMode.NONE, WalRestoreCommand.recoveryMode(dir));
        assertEquals(Duration.ofSeconds(60), parsed(store, "main", WAL, "x").retryTimeout(WalRestoreCommand.RecoveryMode.ARCHIVE));
        assertEquals(Duration.ofSeconds(60), parsed(store, "main", WAL, "x").retryTimeout(WalRestoreCommand.RecoveryMode.NONE));
        assertEquals(Duration.ZERO,
                parsed("--retry-timeout=0", store, "main", WAL, "x").retryTimeout(WalRestoreCommand.RecoveryMode.ARCHIVE));
    }

    /**
     * A store that accepts connections but never answers (a stopped S3 server, a dead backend behind a load
     * balancer): a call that retries nothing (a standby's, or --retry-timeout 0) makes one attempt, so it
     * gives up after one --read-timeout instead of the client's four; one that retries keeps all four.
     */
    @Test
    void aStoreThatNeverAnswersCostsACallThatRetriesNothingOneReadTimeout() throws Exception {
        Path standby = Files.createDirectories(dir.resolve("standby"));
        Files.createFile(standby.resolve("standby.signal"));
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch closing = new java.util.concurrent.CountDownLatch(1);
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            try {
                closing.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        // keys, so that the store is asked (without any, the call fails before its first request)
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        try {
            String endpoint = "--endpoint-url=http://127.0.0.1:" + server.getAddress().getPort();
            String[] args = {"--read-timeout", "1", endpoint, "s3://bucket/pfx", "main", WAL, dest.toString()};

            pgdata = standby;
            long started = System.nanoTime();
            Result onStandby = run(args);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertEquals(2, onStandby.exitCode(), onStandby.err());
            assertTrue(onStandby.err().contains("Read timed out"), onStandby.err());
            assertEquals(1, requests.getAndSet(0), onStandby.err());
            assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, took.toString());

            pgdata = dir.resolve("pgdata"); // archive recovery, told not to retry
            assertEquals(128, run(concat("--retry-timeout=0", args)).exitCode());
            assertEquals(1, requests.getAndSet(0));

            // by hand, retrying for 1 s: the client's four attempts, then no time is left for another call
            pgdata = dir;
            Result byHand = run(concat("--retry-timeout=1", args));
            assertEquals(2, byHand.exitCode(), byHand.err());
            assertEquals(4, requests.get(), byHand.err());
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
            closing.countDown();
            server.stop(0);
        }
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static WalRestoreCommand parsed(String... args) {
        WalRestoreCommand command = WalRestoreCommand.withArguments(args);
        new picocli.CommandLine(command).parseArgs(args);
        return command;
    }
}
