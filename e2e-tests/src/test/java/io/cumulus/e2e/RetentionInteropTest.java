package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Retention on real backups: one PostgreSQL 15 cluster (1 MiB WAL segments) archiving with
 * cumulus-wal-archive, five backups taken in turn by cumulus-backup and Debian's barman-cloud-backup
 * 3.4 into one bucket, the oldest kept standalone. The bucket is copied twice; cumulus-backup-delete
 * and barman-cloud-backup-delete run the same policy on one copy each and must leave the same
 * objects, but for one deliberate difference. Then every backup left in Cumulus's copy restores and
 * reaches consistency with WAL from the bucket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RetentionInteropTest {

    private static final String SERVER = "pg";
    private static final String PREFIX = "pfx";
    private static final String POLICY = "REDUNDANCY 2";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private S3ArchiveStore s3;
    private S3ArchiveStore cumulusCopy;
    private S3ArchiveStore barmanCopy;
    private BarmanCloud barman;
    private Path work;
    /** Backup id to the rows the table held when it started, oldest first. */
    private final Map<String, Integer> rowsAtBackup = new LinkedHashMap<>();
    private final List<String> ids = new ArrayList<>();
    private final Set<String> byCumulus = new TreeSet<>();

    @BeforeAll
    void fiveBackupsByBothToolsInOneBucket() throws Exception {
        work = PostgresUser.createTempDir("cumulus-retention-e2e-");
        s3 = S3ArchiveStore.start("retention", PREFIX);
        barman = new BarmanCloud(s3, work);
        try (PgCluster cluster = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(s3.archiveCommand(SERVER))
                .start()) {
            cluster.execute("CREATE TABLE t (n int)");
            cluster.execute("CREATE TABLE pad (n int)");
            for (int i = 0; i < 5; i++) {
                int rows = (i + 1) * 1000;
                cluster.execute("INSERT INTO t SELECT g FROM generate_series(" + (i * 1000 + 1) + ", " + rows + ") g");
                for (int w = 0; w < 3; w++) {
                    cluster.execute("INSERT INTO pad VALUES (" + w + ")");
                    cluster.switchWal();
                }
                Thread.sleep(1100); // barman-cloud-backup's id is the current second, and would overwrite
                String id = i % 2 == 0 ? cumulusBackup(cluster) : barmanBackup(cluster);
                ids.add(id);
                rowsAtBackup.put(id, rows);
                if (i % 2 == 0) {
                    byCumulus.add(id);
                }
            }
            cluster.execute("INSERT INTO t SELECT g FROM generate_series(1, 10) g");
            cluster.awaitArchived(cluster.switchWal(), Duration.ofSeconds(90));
        }
        ToolResult keep = Tools.command("cumulus-backup-keep").args(s3.toolOptions()).env(s3.toolEnv())
                .args(s3.url(), SERVER, ids.get(0), "--target", "standalone").run();
        assertEquals(0, keep.exitCode(), keep::describe);
        cumulusCopy = copy("cumulus-copy");
        barmanCopy = copy("barman-copy");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(cumulusCopy, barmanCopy, s3, () -> PostgresUser.deleteRecursively(work));
    }

    private String cumulusBackup(PgCluster cluster) {
        return Backups.backupSucceeds(s3, cluster, SERVER, "-z", "--immediate-checkpoint");
    }

    private String barmanBackup(PgCluster cluster) {
        List<String> before = backupIds(s3);
        ToolResult backup = barman.command("barman-cloud-backup", "-z", "--immediate-checkpoint", "-h", "127.0.0.1",
                "-p", Integer.toString(cluster.port()), "-U", PgCluster.SUPERUSER).args(s3.url(), SERVER)
                .asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, backup.exitCode(), backup::describe);
        List<String> after = backupIds(s3);
        after.removeAll(before);
        assertEquals(1, after.size(), () -> "one new backup: " + after);
        return after.get(0);
    }

    private static List<String> backupIds(ArchiveStore store) {
        return new ArrayList<>(store.keys(SERVER + "/base/").stream().filter(k -> k.endsWith("/backup.info"))
                .map(k -> k.split("/")[2]).toList());
    }

    private S3ArchiveStore copy(String bucket) {
        S3ArchiveStore copy = s3.inBucket(bucket);
        copy.createBucket();
        for (String key : s3.keys("")) {
            s3.inspector().put(bucket, PREFIX + "/" + key, s3.read(key).orElseThrow());
        }
        assertEquals(s3.keys(""), copy.keys(""));
        return copy;
    }

    @Test
    @Order(1)
    void barmanCloudReadsTheKeepAnnotationCumulusWrote() {
        ToolResult status = barman.command("barman-cloud-backup-keep", "-s").args(s3.url(), SERVER, ids.get(0)).run();
        assertEquals(0, status.exitCode(), status::describe);
        assertEquals("Keep: standalone", status.stdout().strip());
        ToolResult list = Tools.command("cumulus-backup-list").args(s3.toolOptions()).env(s3.toolEnv())
                .args(s3.url(), SERVER).run();
        assertEquals(0, list.exitCode(), list::describe);
        for (String id : ids) {
            assertTrue(list.stdout().contains(id), list::describe);
        }
        assertTrue(list.stdout().contains("KEEP:STANDALONE"), list::describe);
    }

    /**
     * REDUNDANCY 2 over [kept standalone, B, C, D, E]: E and D are the two newest, C is the third
     * DONE backup and B the fourth, both obsolete. B's WAL clean-up protects the standalone backup's
     * begin..end range and removes the WAL before it; C's removes what is left before D.
     *
     * <p>The one deliberate difference: barman-cloud deletes only the tar archives and backup.info
     * of a backup, so the {@code backup_manifest} of a deleted Cumulus backup stays behind in its
     * copy, an orphan in a directory without backup.info. Cumulus deletes the backup's whole
     * directory (the keep annotation aside, and a kept backup is never deleted).
     */
    @Test
    @Order(2)
    void cumulusAndBarmanDeleteWithTheSamePolicyLeaveTheSameObjects() {
        Set<String> before = new TreeSet<>(s3.keys(""));

        ToolResult dryRun = delete(cumulusCopy, "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun::describe);
        assertEquals(before, new TreeSet<>(cumulusCopy.keys("")), "a dry run deletes nothing");
        assertTrue(dryRun.stdout().contains(ids.get(1) + "  "), dryRun::describe);

        ToolResult cumulus = delete(cumulusCopy);
        assertEquals(0, cumulus.exitCode(), cumulus::describe);
        ToolResult barmanDelete = barman.command("barman-cloud-backup-delete", "-r", POLICY)
                .args(S3ArchiveStore.url("barman-copy", PREFIX), SERVER).run();
        assertEquals(0, barmanDelete.exitCode(), barmanDelete::describe);

        Set<String> leftByCumulus = new TreeSet<>(cumulusCopy.keys(""));
        Set<String> leftByBarman = new TreeSet<>(barmanCopy.keys(""));
        assertEquals(List.of(ids.get(0), ids.get(3), ids.get(4)), backupIds(cumulusCopy));
        Set<String> orphans = new TreeSet<>(leftByBarman);
        orphans.removeAll(leftByCumulus);
        Set<String> expectedOrphans = new TreeSet<>();
        for (String deleted : List.of(ids.get(1), ids.get(2))) {
            if (byCumulus.contains(deleted)) {
                expectedOrphans.add(SERVER + "/base/" + deleted + "/backup_manifest");
            }
        }
        assertEquals(expectedOrphans, orphans, "barman-cloud leaves only the backup_manifest of Cumulus backups");
        Set<String> barmanWithoutOrphans = new TreeSet<>(leftByBarman);
        barmanWithoutOrphans.removeAll(expectedOrphans);
        assertEquals(barmanWithoutOrphans, leftByCumulus);
        long walDeleted = before.stream().filter(k -> k.startsWith(SERVER + "/wals/"))
                .filter(k -> !leftByCumulus.contains(k)).count();
        assertTrue(walDeleted > 5, "WAL was cleaned up: " + walDeleted + " objects");
        // the standalone backup's own range stays; the WAL before it went, as barman's observed run did
        String standaloneBegin = Backups.backupInfo(s3, SERVER, ids.get(0)).get("begin_wal");
        String standaloneEnd = Backups.backupInfo(s3, SERVER, ids.get(0)).get("end_wal");
        List<String> wal = before.stream().filter(k -> k.startsWith(SERVER + "/wals/0")).toList();
        for (String key : wal) {
            String name = key.substring(key.lastIndexOf('/') + 1, key.lastIndexOf('/') + 25);
            if (name.compareTo(standaloneBegin) >= 0 && name.compareTo(standaloneEnd) <= 0) {
                assertTrue(leftByCumulus.contains(key), key + " of the standalone backup's range");
            } else if (name.compareTo(standaloneBegin) < 0) {
                assertTrue(!leftByCumulus.contains(key), key + " before the standalone backup");
            }
        }
    }

    @Test
    @Order(3)
    void everyBackupLeftRestoresAndReachesConsistencyWithWalFromTheBucket() {
        for (String id : backupIds(cumulusCopy)) {
            Path data = PostgresUser.createTempDir("cumulus-retention-restore-").resolve("data");
            ToolResult restore = Tools.command("cumulus-restore").args(cumulusCopy.toolOptions())
                    .env(cumulusCopy.toolEnv()).args(cumulusCopy.url(), SERVER, id, data.toString())
                    .asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, restore.exitCode(), restore::describe);
            try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                    .restoreCommand(cumulusCopy.restoreCommand(SERVER)).setting("recovery_target", "immediate")
                    .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
                recovered.awaitRecoveryEnd(TIMEOUT);
                assertTrue(recovered.serverLog().contains("consistent recovery state reached"), recovered::serverLog);
                assertEquals(rowsAtBackup.get(id).longValue(), recovered.queryLong("SELECT count(*) FROM t"), id);
            } finally {
                PostgresUser.deleteRecursively(data.getParent());
            }
        }
    }

    private ToolResult delete(ArchiveStore store, String... options) {
        Command command = Tools.command("cumulus-backup-delete", options).args(store.toolOptions()).env(store.toolEnv())
                .args(store.url(), SERVER, "-r", POLICY);
        return command.run();
    }
}
