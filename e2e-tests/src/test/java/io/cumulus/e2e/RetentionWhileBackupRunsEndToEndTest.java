package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.Tools;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Review 20 D1, on a real PostgreSQL 15 and a file:// store: a backup L still copying (its JVM paused
 * with SIGSTOP once pg_backup_start returned) while a later backup S ends DONE and a retention delete
 * runs. The delete freed the WAL before S's begin, L's begin included; L then stored DONE and
 * PostgreSQL could not start from it. Now the delete holds the WAL back while L's directory may be a
 * backup running, and L restores; and when that WAL goes all the same (here by hand, as
 * barman-cloud-backup-delete or a lifecycle rule would), L is stored FAILED, not DONE.
 */
class RetentionWhileBackupRunsEndToEndTest {

    private static final String SERVER = "pg-overlap";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private FileArchiveStore store;
    private PgCluster cluster;

    @BeforeEach
    void startArchivingCluster() {
        store = new FileArchiveStore();
        cluster = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(store.archiveCommand(SERVER)).start();
        cluster.execute("CREATE TABLE t AS SELECT g AS n FROM generate_series(1, 1000) g");
        // the PostgreSQL user creates the server's directory before this JVM's backups do
        cluster.awaitArchived(cluster.switchWal(), Duration.ofSeconds(60));
    }

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(cluster, store);
    }

    @Test
    void aDeleteWhileAnOlderBackupRunsKeepsItsWalAndTheBackupRestores() throws Exception {
        String oldest = Backups.backupSucceeds(store, cluster, SERVER, "--immediate-checkpoint");
        cluster.switchWal();
        String runningId;
        try (BackgroundTool running = pausedBackup()) {
            runningId = runningId(running);
            String later = backupOverlapping();

            ToolResult delete = Tools.command("cumulus-backup-delete", "-v").args(store.toolOptions())
                    .env(store.toolEnv()).args(store.url(), SERVER, "-r", "REDUNDANCY 1").timeout(TIMEOUT).run();
            assertEquals(0, delete.exitCode(), delete::describe);
            assertFalse(store.read(SERVER + "/base/" + oldest + "/backup.info").isPresent(), delete::describe);
            assertTrue(delete.output().contains("no WAL deleted: " + runningId + " may be a backup still running"),
                    delete::describe);

            assertEquals(0, resume(running), running::describe);
            assertEquals("DONE", Backups.backupInfo(store, SERVER, runningId).get("status"));
            assertTrue(Backups.backupInfo(store, SERVER, runningId).get("begin_wal")
                    .compareTo(Backups.backupInfo(store, SERVER, later).get("begin_wal")) < 0,
                    "the running backup began before the later one");
        }
        cluster.awaitArchived(cluster.switchWal(), Duration.ofSeconds(60));
        // consistent at the running backup's end, after the rows written while it was paused
        assertRestores(runningId, 3000);
    }

    @Test
    void aBackupWhoseWalWasDeletedWhileItRanIsStoredFailed() throws Exception {
        Backups.backupSucceeds(store, cluster, SERVER, "--immediate-checkpoint");
        cluster.switchWal();
        try (BackgroundTool running = pausedBackup()) {
            String runningId = runningId(running);
            String later = backupOverlapping();
            // what barman-cloud-backup-delete -r 'REDUNDANCY 1' deletes: the WAL before the later backup's begin
            String limit = Backups.backupInfo(store, SERVER, later).get("begin_wal");
            List<Path> deleted = deleteWalBefore(limit);
            assertFalse(deleted.isEmpty());

            assertEquals(1, resume(running), running::describe);
            Map<String, String> info = Backups.backupInfo(store, SERVER, runningId);
            assertEquals("FAILED", info.get("status"), info::toString);
            String begin = info.get("begin_wal");
            assertTrue(info.get("error").contains("WAL " + begin), info::toString);
            assertTrue(info.get("error").contains("it was deleted or never archived here"), info::toString);
            assertTrue(running.stderr().contains("ERROR: backup " + runningId + " failed: WAL " + begin),
                    running::describe);
        }
    }

    /**
     * A slow cumulus-backup, paused (SIGSTOP) once it writes its data archive (on file://, a temporary
     * file in its directory), which it opens only after pg_backup_start returned: a backup still copying.
     */
    private BackgroundTool pausedBackup() {
        BackgroundTool backup = BackgroundTool.start("cumulus-backup", Backups.backupArgs(store, cluster, SERVER,
                "-v", "--immediate-checkpoint", "--max-bandwidth", "4MB"), store.toolEnv());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!writingItsArchive()) {
            assertTrue(backup.isAlive() && System.nanoTime() < deadline, backup::describe);
            Archiver.sleep(Duration.ofMillis(20));
        }
        BackgroundTool.signal("STOP", backup.pid());
        return backup;
    }

    /** Whether the directory holding a claim holds its data archive, or the temporary file of one. */
    private boolean writingItsArchive() {
        List<String> keys = store.keys(SERVER + "/base/");
        return keys.stream().filter(k -> k.endsWith("/backup.claim"))
                .map(claim -> claim.substring(0, claim.lastIndexOf('/') + 1))
                .anyMatch(dir -> keys.stream().anyMatch(k -> k.startsWith(dir) && k.contains("data.tar")));
    }

    /** The id the paused backup claimed: the one directory holding a claim (its stderr may not be flushed). */
    private String runningId(BackgroundTool backup) {
        List<String> claims = store.keys(SERVER + "/base/").stream().filter(k -> k.endsWith("/backup.claim")).toList();
        assertEquals(1, claims.size(), () -> claims + "\n" + backup.describe());
        return claims.get(0).substring((SERVER + "/base/").length(), (SERVER + "/base/").length() + 15);
    }

    /** WAL written, then a backup that begins after the paused one and ends DONE; its id. */
    private String backupOverlapping() throws InterruptedException {
        cluster.execute("INSERT INTO t SELECT g FROM generate_series(1001, 2000) g");
        cluster.switchWal();
        cluster.execute("INSERT INTO t SELECT g FROM generate_series(2001, 3000) g");
        cluster.awaitArchived(cluster.switchWal(), Duration.ofSeconds(60));
        Thread.sleep(1100); // a later second, so a later id
        return Backups.backupSucceeds(store, cluster, SERVER, "--immediate-checkpoint");
    }

    private static int resume(BackgroundTool backup) {
        BackgroundTool.signal("CONT", backup.pid());
        return backup.awaitExit(TIMEOUT);
    }

    /** Deletes the segments (any suffix) and backup history files before {@code limit} from wals/. */
    private List<Path> deleteWalBefore(String limit) throws IOException {
        try (Stream<Path> files = Files.walk(store.root().resolve(SERVER + "/wals"))) {
            List<Path> before = files.filter(Files::isRegularFile)
                    .filter(f -> f.getFileName().toString().length() >= 24
                            && f.getFileName().toString().substring(0, 24).compareTo(limit) < 0
                            && !f.getFileName().toString().contains(".history"))
                    .toList();
            for (Path f : before) {
                Files.delete(f);
            }
            return before;
        }
    }

    /** Restores {@code id}, recovers it to consistency with WAL from the store, and checks its rows. */
    private void assertRestores(String id, long rows) {
        Path data = PostgresUser.createTempDir("cumulus-overlap-restore-").resolve("data");
        try {
            ToolResult restore = Tools.command("cumulus-restore").args(store.toolOptions()).env(store.toolEnv())
                    .args(store.url(), SERVER, id, data.toString()).asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, restore.exitCode(), restore::describe);
            try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                    .restoreCommand(store.restoreCommand(SERVER)).setting("recovery_target", "immediate")
                    .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
                recovered.awaitRecoveryEnd(TIMEOUT);
                assertTrue(recovered.serverLog().contains("consistent recovery state reached"), recovered::serverLog);
                assertEquals(rows, recovered.queryLong("SELECT count(*) FROM t"), id);
            }
        } finally {
            PostgresUser.deleteRecursively(data.getParent());
        }
    }
}
