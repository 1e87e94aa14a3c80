package io.cumulus.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Proves the fixture: a real PostgreSQL 15 starts, takes writes, switches WAL, and leaves nothing behind. */
class PgClusterTest {

    private static PgCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = PgCluster.start(Map.of("work_mem", "7MB"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void clusterRunsAsPostgres15WithChecksumsOnALoopbackPort() {
        assertEquals(15, cluster.queryLong("SELECT current_setting('server_version_num')::int") / 10000);
        assertEquals("on", cluster.queryString("SHOW data_checksums"));
        assertEquals("127.0.0.1", cluster.queryString("SHOW listen_addresses"));
        assertEquals(cluster.port(), cluster.queryLong("SHOW port"));
        assertEquals("7MB", cluster.queryString("SHOW work_mem"));
        assertEquals(PgCluster.SUPERUSER, cluster.queryString("SELECT current_user"));
    }

    @Test
    void dataDirectoryBelongsToThePostgresUser() throws java.io.IOException {
        String expectedOwner = PostgresUser.switchesUser() ? PostgresUser.NAME : System.getProperty("user.name");

        assertEquals(expectedOwner, Files.getOwner(cluster.dataDir()).getName());
        assertEquals(expectedOwner, Files.getOwner(cluster.dataDir().resolve("PG_VERSION")).getName());
    }

    @Test
    void rowsSurviveAWalSwitchAndTheSegmentAdvances() {
        cluster.execute("CREATE TABLE fixture_rows (id int PRIMARY KEY, note text)");
        cluster.execute("INSERT INTO fixture_rows SELECT g, 'row ' || g FROM generate_series(1, 500) g");
        String closed = cluster.switchWal();
        cluster.execute("INSERT INTO fixture_rows VALUES (501, 'after the switch')");

        assertTrue(closed.matches("[0-9A-F]{24}"), closed);
        assertNotEquals(closed, cluster.currentWalFile());
        assertTrue(cluster.currentWalFile().compareTo(closed) > 0);
        assertTrue(Files.exists(cluster.dataDir().resolve("pg_wal").resolve(closed)), "closed segment kept in pg_wal");
        assertEquals(501, cluster.queryLong("SELECT count(*) FROM fixture_rows"));
        assertEquals("off", cluster.queryString("SHOW archive_mode"));
        assertEquals(0, cluster.queryLong("SELECT archived_count FROM pg_stat_archiver"));
    }

    @Test
    void pgCommandReachesTheClusterAsThePostgresUser() {
        ToolResult result = cluster.pgCommand("psql", "-XAtc", "SELECT current_user").run();

        assertEquals(0, result.exitCode(), result::describe);
        assertEquals(PgCluster.SUPERUSER, result.stdout().strip());
    }

    @Test
    void restartKeepsDataAndTheServerLogRecordsIt() {
        cluster.execute("CREATE TABLE restart_rows AS SELECT 1 AS one");
        cluster.restart();

        assertEquals(1, cluster.queryLong("SELECT one FROM restart_rows"));
        assertTrue(cluster.serverLog().contains("database system is shut down"), cluster::serverLog);
        assertTrue(cluster.isRunning());
    }

    @Test
    void closeStopsTheServerAndDeletesItsDirectory() {
        Path base;
        try (PgCluster own = PgCluster.builder().start()) {
            base = own.baseDir();
            assertTrue(own.isRunning());
        }
        assertFalse(Files.exists(base), base + " left behind");
    }

    @Test
    void aCopyOfAStoppedDataDirectoryStartsOnItsOwnPort() {
        Path backupParent = PostgresUser.createTempDir("pgcluster-copy-");
        try (PgCluster source = PgCluster.builder().start()) {
            source.execute("CREATE TABLE copied AS SELECT 42 AS answer");
            Path copy = backupParent.resolve("data");
            source.pgBasebackup(copy, PgCluster.WalMethod.FETCH);
            try (PgCluster restored = PgCluster.builder().fromDataDirectory(copy).start()) {
                assertNotEquals(source.port(), restored.port());
                assertEquals(42, restored.queryLong("SELECT answer FROM copied"));
                assertEquals("f", restored.queryString("SELECT pg_is_in_recovery()"));
            }
        } finally {
            PostgresUser.deleteRecursively(backupParent);
        }
    }

    @Test
    void aFailedStartReportsTheServerLog() {
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> PgCluster.builder().setting("shared_buffers", "not-a-size").start());

        assertTrue(failure.getMessage().contains("shared_buffers"), failure::getMessage);
    }

    @Test
    void archiveRecoveryFromABaseBackupPausesAtItsTargetAndThenPromotes() {
        Path work = PostgresUser.createTempDir("pgcluster-archive-");
        Path archive = work.resolve("archive");
        Path backup = work.resolve("backup");
        Command.of("mkdir", archive.toString()).asPostgres().runSuccessfully();
        try (PgCluster primary = PgCluster.builder()
                .archiveCommand("test ! -f " + archive + "/%f && cp %p " + archive + "/%f")
                .start()) {
            primary.execute("CREATE TABLE steps (n int)");
            primary.execute("INSERT INTO steps VALUES (1)");
            primary.switchWal();
            primary.pgBasebackup(backup);
            primary.execute("INSERT INTO steps VALUES (2)");
            primary.execute("SELECT pg_create_restore_point('before-three')");
            primary.execute("INSERT INTO steps VALUES (3)");
            primary.awaitArchived(primary.switchWal(), Duration.ofSeconds(60));

            try (PgCluster recovered = PgCluster.builder()
                    .fromDataDirectory(backup)
                    .recovery(PgCluster.Recovery.ARCHIVE)
                    .restoreCommand("cp " + archive + "/%f %p")
                    .setting("recovery_target_name", "before-three")
                    .setting("recovery_target_action", "pause")
                    .start()) {
                recovered.awaitReplayPaused(Duration.ofSeconds(60));
                assertEquals("t", recovered.queryString("SELECT pg_is_in_recovery()"));
                assertEquals("1,2", recovered.queryString("SELECT string_agg(n::text, ',' ORDER BY n) FROM steps"));

                recovered.promote();
                recovered.awaitRecoveryEnd(Duration.ofSeconds(60));
                recovered.execute("INSERT INTO steps VALUES (4)");
                assertEquals("1,2,4", recovered.queryString("SELECT string_agg(n::text, ',' ORDER BY n) FROM steps"));
            }
        } finally {
            PostgresUser.deleteRecursively(work);
        }
    }
}
