package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Review 22 (ddl) 1, on a real PostgreSQL 15: cumulus-backup read the tablespaces with the server's
 * facts, before pg_backup_start. A tablespace created in between (while the size was summed, the id
 * claimed, or pg_backup_start waited for its checkpoint) precedes the backup's start location, so WAL
 * replay does not create it, and it was in no archive nor in backup.info: the backup was DONE, its
 * restore verified, and the restored cluster lacked the tablespace's tables. Now the tablespaces are
 * read once pg_backup_start returned, and the tablespace is archived and restored.
 *
 * <p>The window is held open deterministically: PostgreSQL's checkpointer is paused (SIGSTOP), so
 * pg_backup_start waits for its checkpoint to begin (wait event CheckpointStart) until it is resumed;
 * the checkpoint's redo point, the backup's start, then follows the tablespace's creation.
 */
class TablespaceCreatedWhileBackupStartsEndToEndTest {

    private static final String SERVER = "pg-tblspc-race";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int ROWS = 4000;

    private FileArchiveStore store;
    private PgCluster source;
    private Path work;

    @BeforeEach
    void startArchivingCluster() {
        work = PostgresUser.createTempDir("cumulus-tblspc-race-");
        store = new FileArchiveStore();
        source = PgCluster.builder().archiveCommand(store.archiveCommand(SERVER)).start();
        source.execute("CREATE TABLE in_base AS SELECT g AS n FROM generate_series(1, 500) g");
        // the PostgreSQL user creates the server's directory in the store before this JVM's backup does
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(source, store, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void aTablespaceCreatedWhilePgBackupStartWaitsForItsCheckpointIsArchivedAndRestored() throws IOException {
        Path location = Files.createDirectory(work.resolve("source-ts_race"));
        PostgresUser.chown(location);
        long checkpointer = source.queryLong("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'");
        String id;
        long oid;
        BackgroundTool.signal("STOP", checkpointer);
        try (BackgroundTool backup = BackgroundTool.start("cumulus-backup",
                Backups.backupArgs(store, source, SERVER, "-v", "--immediate-checkpoint"), store.toolEnv())) {
            try {
                awaitPgBackupStartWaitingForTheCheckpoint(backup);
                source.execute("CREATE TABLESPACE ts_race LOCATION '" + location + "'");
                source.execute("CREATE TABLE race_t TABLESPACE ts_race AS SELECT g AS n, md5(g::text) AS h"
                        + " FROM generate_series(1, " + ROWS + ") g");
                oid = source.queryLong("SELECT oid FROM pg_tablespace WHERE spcname = 'ts_race'");
            } finally {
                BackgroundTool.signal("CONT", checkpointer);
            }
            assertEquals(0, backup.awaitExit(TIMEOUT), backup::describe);
            id = Backups.idFromSummary(backup.stdout());
        }

        Map<String, String> info = Backups.backupInfo(store, SERVER, id);
        assertEquals("DONE", info.get("status"));
        assertEquals("[('ts_race', " + oid + ", '" + location + "')]", info.get("tablespaces"));
        assertTrue(Backups.objects(store, SERVER, id).contains(oid + ".tar"), Backups.objects(store, SERVER, id)::toString);

        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        source.stop();
        // as on a new host: nothing of the source's tablespace is left for the restored cluster to find
        Files.move(location, work.resolve("source-ts_race.moved-aside"));
        Path tablespace = work.resolve("ts_race");
        try (PgCluster restored = restoreAndRecover(id, work.resolve("data"), "--tablespace", "ts_race:" + tablespace)) {
            assertEquals(ROWS, restored.queryLong("SELECT count(*) FROM race_t"), restored::serverLog);
            assertEquals(tablespace.toString(), restored.queryString(
                    "SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'ts_race'"));
            assertEquals(500, restored.queryLong("SELECT count(*) FROM in_base"));
        }
    }

    /**
     * Review 22 (diff22) F1: an in-place tablespace (allow_in_place_tablespaces, a directory pg_tblspc/OID
     * whose location PostgreSQL gives relative to the data directory) was read against the tool's working
     * directory: its archive came out empty, data.tar left pg_tblspc/OID out, the backup was DONE and the
     * restore verified, and the restored cluster failed on the table's file. It is the data directory's own.
     */
    @Test
    void anInPlaceTablespaceIsBackedUpWithTheDataDirectoryAndRestored() throws Exception {
        source.execute("ALTER SYSTEM SET allow_in_place_tablespaces = on");
        source.execute("SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!"on".equals(source.queryString("SHOW allow_in_place_tablespaces"))) {
            assertTrue(System.nanoTime() < deadline, "allow_in_place_tablespaces never took effect");
            Archiver.sleep(Duration.ofMillis(50));
        }
        source.execute("CREATE TABLESPACE in_place LOCATION ''");
        source.execute("CREATE TABLE in_place_t TABLESPACE in_place AS SELECT g AS n FROM generate_series(1, "
                + ROWS + ") g");
        ToolResult backup = Tools.command("cumulus-backup").args(Backups.backupArgs(store, source, SERVER,
                "-v", "--immediate-checkpoint")).env(store.toolEnv()).timeout(TIMEOUT).run();
        assertEquals(0, backup.exitCode(), backup::describe);
        String id = Backups.idFromSummary(backup.stdout());
        assertEquals("DONE", Backups.backupInfo(store, SERVER, id).get("status"));

        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        source.stop();
        try (PgCluster restored = restoreAndRecover(id, work.resolve("data-in-place"))) {
            assertEquals(ROWS, restored.queryLong("SELECT count(*) FROM in_place_t"), restored::serverLog);
        }
    }

    /** Restores backup {@code id} into {@code data} as the PostgreSQL user, to its end, and starts it once recovered. */
    private PgCluster restoreAndRecover(String id, Path data, String... options) {
        ToolResult restore = Tools.command("cumulus-restore", options).args("--recovery-target-name", "barman_" + id,
                        "--recovery-target-action", "promote")
                .args(store.toolOptions()).env(store.toolEnv()).args(store.url(), SERVER, id, data.toString())
                .asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        PgCluster restored = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .startTimeout(TIMEOUT).start();
        restored.awaitRecoveryEnd(TIMEOUT);
        return restored;
    }

    /** Waits until the backup's session runs pg_backup_start and waits for the paused checkpointer. */
    private void awaitPgBackupStartWaitingForTheCheckpoint(BackgroundTool backup) {
        String sql = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_backup_start(%'"
                + " AND wait_event = 'CheckpointStart' AND pid <> pg_backend_pid()";
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (source.queryLong(sql) == 0) {
            assertTrue(backup.isAlive() && System.nanoTime() < deadline, backup::describe);
            Archiver.sleep(Duration.ofMillis(50));
        }
    }
}
