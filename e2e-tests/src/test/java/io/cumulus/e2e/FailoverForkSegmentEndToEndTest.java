package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The segment holding a failover's switch point, archived twice, with real PostgreSQL 15: whole by the old
 * primary, which went on writing on timeline 1 after the fork (a split brain), and as {@code .partial} by the
 * promoted standby, which has not filled its own copy of that segment on timeline 2 yet. A recovery to the
 * latest timeline from a backup taken before the fork finds no timeline 2 copy of that segment and asks for
 * timeline 1's: given the old primary's full copy, PostgreSQL replayed its row written after the fork and
 * promoted, exit 0 everywhere. It must get the {@code .partial}, which ends at the switch point, with
 * {@code --prefetch} too. Segments of 1 MiB: the segment holding the switch point is counted in pg_control's
 * segment size, not the default 16 MiB.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailoverForkSegmentEndToEndTest {

    private static final String SERVER = "pg-fork-segment";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final List<String> TIMELINE_2 = List.of("before the backup", "before the fork");

    private FileArchiveStore file;
    private Path work;
    private Path baseBackup;
    private Path prefetchSpool;
    private String forkSegment;

    @BeforeAll
    void failOverWhileTheOldPrimaryGoesOn() throws Exception {
        work = PostgresUser.createTempDir("cumulus-fork-segment-e2e-");
        file = new FileArchiveStore();
        prefetchSpool = work.resolve("prefetch-spool");
        try (PgCluster oldPrimary = PgCluster.builder().walSegmentSizeMb(1)
                .archiveCommand(file.archiveCommand(SERVER)).start()) {
            oldPrimary.execute("CREATE TABLE t (what text)");
            oldPrimary.execute("INSERT INTO t VALUES ('before the backup')");
            oldPrimary.awaitArchived(oldPrimary.switchWal(), TIMEOUT);
            baseBackup = work.resolve("base");
            oldPrimary.pgBasebackup(baseBackup, PgCluster.WalMethod.NONE);

            Path standbyData = work.resolve("standby");
            oldPrimary.pgBasebackup(standbyData, PgCluster.WalMethod.STREAM);
            try (PgCluster newPrimary = PgCluster.builder().fromDataDirectory(standbyData)
                    .recovery(PgCluster.Recovery.STANDBY).archiveCommand(file.archiveCommand(SERVER))
                    .setting("primary_conninfo", "host=127.0.0.1 port=" + oldPrimary.port() + " user=" + PgCluster.SUPERUSER)
                    .startTimeout(TIMEOUT).start()) {
                oldPrimary.execute("INSERT INTO t VALUES ('before the fork')");
                String written = oldPrimary.queryString("SELECT pg_current_wal_lsn()::text");
                awaitQuery(newPrimary, "SELECT pg_last_wal_replay_lsn() >= '" + written + "'::pg_lsn");
                forkSegment = oldPrimary.currentWalFile();
                newPrimary.promote();
                // the promoted standby archives the new timeline's history and the segment it left as .partial
                awaitStored(Wal.key(SERVER, "00000002.history"));
                awaitStored(Wal.key(SERVER, forkSegment + ".partial"));
                // a shutdown with archiving on would complete and archive the new primary's own copy of the
                // segment: the window this test is about is before it has filled that copy
                Archiver.stopArchiving(newPrimary);

                // split brain: the old primary goes on in the same segment, and archives it whole
                assertEquals(forkSegment, oldPrimary.currentWalFile(), "the old primary is still in the segment of the fork");
                oldPrimary.execute("INSERT INTO t VALUES ('the old primary after the fork')");
                oldPrimary.awaitArchived(oldPrimary.switchWal(), TIMEOUT);
                assertTrue(Files.exists(file.root().resolve(Wal.key(SERVER, forkSegment))), "the old primary's full copy");
            }
        }
        // the new primary never filled its own copy of that segment on timeline 2
        assertFalse(Files.exists(file.root().resolve(Wal.key(SERVER, "00000002" + forkSegment.substring(8)))),
                () -> file.keys(SERVER).toString());
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(file, () -> BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, prefetchSpool),
                () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void recoveryToTheLatestTimelineStopsAtTheForkWithoutTheOldPrimarysRowAfterIt() {
        recoversTimeline2(file.restoreCommand(SERVER));
    }

    @Test
    void recoveryWithPrefetchStopsAtTheForkToo() {
        recoversTimeline2(file.restoreCommand(SERVER, "--prefetch", "4", "--spool-dir", prefetchSpool.toString()));
    }

    private void recoversTimeline2(String restoreCommand) {
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(baseBackup).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(restoreCommand).setting("recovery_target_timeline", "latest")
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(TIMELINE_2, recovered.queryColumn("SELECT what FROM t ORDER BY ctid"), recovered::serverLog);
            assertTrue(recovered.serverLog().contains("WAL file " + forkSegment + " holds the switch point where"
                    + " timeline 2 (00000002.history in pg_wal), which this recovery follows, left timeline 1 at "),
                    recovered::serverLog);
        }
    }

    private void awaitStored(String key) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(file.root().resolve(key))) {
            assertTrue(System.nanoTime() < deadline, key + " was not archived");
            Thread.sleep(100);
        }
    }

    private static void awaitQuery(PgCluster cluster, String condition) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!"t".equals(cluster.queryString(condition))) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + condition);
            Thread.sleep(100);
        }
    }
}
