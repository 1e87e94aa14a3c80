package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code cumulus-wal-restore --prefetch} replaying a couple of hundred 1 MB segments across a
 * timeline switch, against S3Proxy, reaches the state a recovery without prefetch reaches.
 *
 * <p>The archive: an origin cluster archives (asynchronously) rows written after a base backup;
 * a copy of it is promoted to timeline 2, writes more and archives into the same archive, while the
 * origin goes on writing on timeline 1 past the branch point. Recovering the origin's base backup
 * with recovery_target_timeline=latest must follow timeline 2 and end with the promoted copy's rows,
 * never the origin's later ones. With --prefetch, the worker once spooled those timeline-1 segments for
 * a while, which the spool then had not to serve; it now stops on timeline 1 at the segment of the branch
 * point, which has a .partial (the copy archived it when promoted), and leaves that segment to the call
 * PostgreSQL makes for it (at a fork, its copy depends on the timeline recovery follows).
 *
 * <p>The recovery without prefetch reads a file:// copy of the bucket (every object copied as it
 * is): through S3 each call would pay the S3 client's start-up, which would make the test several
 * times longer and prove nothing more.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrefetchRecoveryTest {

    static final String SERVER = "pg-prefetch";
    static final long SEGMENT_SIZE = Wal.SMALL_SEGMENT_SIZE;
    static final List<String> TABLES = List.of("items");

    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(5);

    private S3ArchiveStore store;
    private FileArchiveStore copy;
    private Path work;
    private Path originSpool;
    private Path targetSpool;
    private Path prefetchSpool;
    private Path baseBackup;
    private PgCluster origin;
    private PgCluster target;
    private Map<String, String> timeline2State;
    private String lastTimeline2Segment;
    private String firstTimeline2Segment;

    @BeforeAll
    void archiveTwoTimelines() {
        store = S3ArchiveStore.start("e2e-prefetch", "cluster/main");
        work = PostgresUser.createTempDir("cumulus-e2e-prefetch-");
        originSpool = work.resolve("origin-spool");
        targetSpool = work.resolve("target-spool");
        prefetchSpool = work.resolve("prefetch-spool");

        origin = PgCluster.builder().walSegmentSizeMb(1).setting("autovacuum", "off")
                .archiveCommand(asyncArchiveCommand(originSpool)).start();
        origin.execute("CREATE TABLE items (id bigint PRIMARY KEY, phase text NOT NULL, payload text NOT NULL)");
        insert(origin, "before-backup", 1, 1000);
        origin.awaitArchived(origin.switchWal(), ARCHIVE_TIMEOUT);
        baseBackup = work.resolve("base");
        origin.pgBasebackup(baseBackup, PgCluster.WalMethod.NONE);

        // about 80 segments of timeline 1 that every recovery replays
        insert(origin, "timeline-1", 1001, 170_000);
        origin.execute("UPDATE items SET payload = md5(payload) WHERE id % 5 = 0");
        origin.awaitArchived(origin.switchWal(), ARCHIVE_TIMEOUT);

        // the copy that becomes timeline 2 starts from here
        Path targetData = work.resolve("target-base");
        origin.pgBasebackup(targetData, PgCluster.WalMethod.STREAM);
        target = PgCluster.builder().fromDataDirectory(targetData).recovery(PgCluster.Recovery.STANDBY)
                .setting("autovacuum", "off").archiveCommand(asyncArchiveCommand(targetSpool)).start();
        target.promote();
        firstTimeline2Segment = target.currentWalFile();
        assertEquals(2, Wal.timeline(firstTimeline2Segment), firstTimeline2Segment);

        // the origin goes on on timeline 1, past the branch point: no recovery of timeline 2 may replay this
        insert(origin, "timeline-1-after-the-branch", 170_001, 190_000);
        origin.awaitArchived(origin.switchWal(), ARCHIVE_TIMEOUT);

        // about 40 segments of timeline 2: new rows, and changes to rows from timeline 1
        insert(target, "timeline-2", 400_001, 480_000);
        target.execute("UPDATE items SET payload = 'changed on timeline 2' WHERE id BETWEEN 1001 AND 6000");
        target.execute("DELETE FROM items WHERE id BETWEEN 6001 AND 9000");
        lastTimeline2Segment = target.switchWal();
        target.awaitArchived(lastTimeline2Segment, ARCHIVE_TIMEOUT);
        // Nothing more into the archive: reading every row sets hint bits, which logs full-page images
        // (data checksums are on) that the recoveries would replay for nothing. The uploader ships
        // whatever is .ready whether or not PostgreSQL asks, so it goes too (all it had to do is done).
        Archiver.stopArchiving(target);
        BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, targetSpool);
        timeline2State = TableContents.fingerprint(target, TABLES);
        assertEquals(0L, target.queryLong("SELECT count(*) FROM items WHERE phase = 'timeline-1-after-the-branch'"));

        // the archive is complete: free the machine for the recoveries
        Cleanup.closeAll(origin, target);
        origin = null;
        target = null;
        BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, originSpool);
        BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, targetSpool);
        copy = copyOfTheBucket();
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(origin, target,
                () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, originSpool),
                () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, targetSpool),
                () -> BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, prefetchSpool),
                () -> PostgresUser.deleteRecursively(work), copy, store);
    }

    @Test
    void recoveryWithPrefetchFollowsTheTimelineSwitchToTheSameStateAsWithout() {
        Map<String, String> latest = Map.of("recovery_target_timeline", "latest");
        try (PgCluster withoutPrefetch = recovering(copy.restoreCommand(SERVER, "-v"), latest);
             PgCluster withPrefetch = recovering(store.restoreCommand(SERVER, "-v", "--prefetch", "8",
                     "--spool-dir", prefetchSpool.toString()), latest)) {
            // both at once: each is mostly one restore_command process after another
            long started = System.nanoTime();
            CompletableFuture<Long> plain = CompletableFuture.supplyAsync(() -> recover(withoutPrefetch, started));
            CompletableFuture<Long> prefetched = CompletableFuture.supplyAsync(() -> recover(withPrefetch, started));
            CompletableFuture.allOf(plain, prefetched).exceptionally(failure -> null).join();
            long plainMillis = plain.join();
            long prefetchedMillis = prefetched.join();

            String plainLog = withoutPrefetch.serverLog();
            String prefetchedLog = withPrefetch.serverLog();
            System.out.println("[PrefetchRecoveryTest] timeline 1, then timeline 2 from " + firstTimeline2Segment
                    + " to " + lastTimeline2Segment + " (" + restoredOfTimeline(plainLog, 1) + " + "
                    + restoredOfTimeline(plainLog, 2) + " segments): without prefetch (file://) " + countRestored(plainLog) + " files restored in " + plainMillis
                    + " ms; with --prefetch 8 (S3) " + countRestored(prefetchedLog) + " files in " + prefetchedMillis
                    + " ms, " + servedFromSpool(prefetchedLog, 1) + " timeline-1 and " + servedFromSpool(prefetchedLog, 2)
                    + " timeline-2 segments from the spool");

            assertEquals(timeline2State, TableContents.fingerprint(withoutPrefetch, TABLES),
                    () -> "without prefetch\n" + withoutPrefetch.serverLogTail(60));
            assertEquals(timeline2State, TableContents.fingerprint(withPrefetch, TABLES),
                    () -> "with prefetch\n" + withPrefetch.serverLogTail(60));
            for (String log : List.of(plainLog, prefetchedLog)) {
                assertTrue(log.contains("restored log file \"00000002.history\" from archive"), log);
                assertTrue(log.contains("restored log file \"" + firstTimeline2Segment + "\" from archive"), log);
                assertTrue(log.contains("restored log file \"" + lastTimeline2Segment + "\" from archive"), log);
                assertTrue(log.contains("selected new timeline ID: 3"), log);
            }
            assertTrue(countRestored(plainLog) > 120, () -> "fewer segments than meant: " + countRestored(plainLog));
            assertEquals(0, servedFromSpool(plainLog, 1) + servedFromSpool(plainLog, 2), plainLog);
            // the spool served most of both timelines (the first segment of each comes from the store)
            assertTrue(servedFromSpool(prefetchedLog, 1) > restoredOfTimeline(prefetchedLog, 1) / 2, prefetchedLog);
            assertTrue(servedFromSpool(prefetchedLog, 2) > restoredOfTimeline(prefetchedLog, 2) / 2, prefetchedLog);

            // The origin archived timeline-1 segments from the branch point on; the workers stopped at the
            // segment of the branch point (it has a .partial: left to PostgreSQL's call), so fetched none of
            // them, and recovery restored none of them.
            String branch = Wal.segmentName(1, Wal.segmentNumber(firstTimeline2Segment, SEGMENT_SIZE), SEGMENT_SIZE);
            List<String> prefetchedPastBranch = prefetcherLog().lines()
                    .map(line -> line.replaceFirst("^.*INFO: prefetched ([0-9A-F]{24})$", "$1"))
                    .filter(name -> Wal.SEGMENT_NAME.matcher(name).matches() && name.startsWith("00000001")
                            && name.compareTo(branch) >= 0)
                    .distinct().sorted().toList();
            assertEquals(List.of(), prefetchedPastBranch, "timeline-1 segments from the branch point on prefetched");
            for (String log : List.of(plainLog, prefetchedLog)) {
                assertEquals(List.of(), log.lines().filter(line -> line.contains("restored log file \"00000001"))
                        .map(line -> line.replaceFirst("^.*restored log file \"([0-9A-F]{24})\".*$", "$1"))
                        .filter(name -> Wal.SEGMENT_NAME.matcher(name).matches() && name.compareTo(branch) >= 0)
                        .toList(), "timeline-1 segments past the branch point restored");
            }

            assertTrue(BackgroundWorkers.awaitNone(BackgroundWorkers.PREFETCHER, prefetchSpool, Duration.ofSeconds(60)),
                    "prefetch workers still running a minute after the recovery ended");
            List<String> left = spoolFiles();
            assertEquals(List.of(), left.stream().filter(name -> name.startsWith("00000001")).toList(),
                    () -> "timeline-1 segments left in the spool after recovery moved to timeline 2: " + left);
            assertEquals(List.of(), left.stream().filter(name -> name.contains(".cumulus-")).toList(),
                    () -> "temporary files left in the spool: " + left);
        }
    }

    // ---------------------------------------------------------------- helpers

    private String asyncArchiveCommand(Path spool) {
        return store.archiveCommand(SERVER, "--async", "--spool-dir", spool.toString(), "--max-parallel", "4");
    }

    private static void insert(PgCluster cluster, String phase, long from, long to) {
        cluster.execute("INSERT INTO items SELECT g, '" + phase + "', repeat(md5(g::text), 8)"
                + " FROM generate_series(" + from + ", " + to + ") g");
    }

    private PgCluster recovering(String restoreCommand, Map<String, String> settings) {
        return PgCluster.builder()
                .fromDataDirectory(baseBackup)
                .recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(restoreCommand)
                .settings(settings)
                .startTimeout(RECOVERY_TIMEOUT)
                .create();
    }

    /** Starts a created cluster and waits until it has promoted; returns the milliseconds since {@code started}. */
    private static long recover(PgCluster cluster, long started) {
        cluster.start();
        cluster.awaitRecoveryEnd(RECOVERY_TIMEOUT);
        return (System.nanoTime() - started) / 1_000_000;
    }

    /** A file:// store holding a copy of every object of the bucket, under the same keys. */
    private FileArchiveStore copyOfTheBucket() {
        FileArchiveStore files = new FileArchiveStore();
        try {
            for (String key : store.keys("")) {
                Path file = files.root().resolve(key);
                Files.createDirectories(file.getParent());
                Files.write(file, store.read(key).orElseThrow());
            }
            return files;
        } catch (IOException | RuntimeException e) {
            files.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** The prefetch workers' logs: one per restore_command set-up, in DIR/archive-in/KEY/. */
    private String prefetcherLog() {
        StringBuilder logs = new StringBuilder();
        for (Path directory : keyDirectories()) {
            Path log = directory.resolve("prefetcher.log");
            try {
                if (Files.exists(log)) {
                    logs.append(Files.readString(log));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return logs.toString();
    }

    /** The files in the spools of every restore_command set-up. */
    private List<String> spoolFiles() {
        List<String> names = new java.util.ArrayList<>();
        for (Path directory : keyDirectories()) {
            try (Stream<Path> files = Files.list(directory)) {
                files.map(file -> file.getFileName().toString()).forEach(names::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return names.stream().sorted().toList();
    }

    private List<Path> keyDirectories() {
        Path directory = prefetchSpool.resolve("archive-in");
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> keys = Files.list(directory)) {
            return keys.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long countRestored(String serverLog) {
        return AsyncArchivingTest.countRestored(serverLog);
    }

    private static long restoredOfTimeline(String serverLog, int timeline) {
        String prefix = String.format("restored log file \"%08X", timeline);
        return serverLog.lines().filter(line -> line.contains(prefix) && !line.contains(".history")).count();
    }

    /**
     * How many segments of {@code timeline} recovery restored that did not come from the store: the tool
     * (run with -v) logs each segment it fetches from the store, while one served from the spool is
     * either hard-linked by the launcher, which logs nothing, or logged as "from the prefetch spool".
     */
    private static long servedFromSpool(String serverLog, int timeline) {
        String prefix = String.format("INFO: restored %08X", timeline);
        long fromStore = serverLog.lines()
                .filter(line -> line.contains(prefix) && !line.contains(".history") && !line.endsWith("from the prefetch spool"))
                .count();
        return restoredOfTimeline(serverLog, timeline) - fromStore;
    }
}
