package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-backup run against a streaming standby, as sites do to spare the primary: the backup
 * completes (without the WAL switch and restore point a standby cannot make), its backup_label says
 * it comes from a standby, and a cluster restored from it by barman-cloud-restore recovers from the
 * primary's archive to the primary's rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupFromStandbyEndToEndTest {

    private static final String SERVER = "pg-standby";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private S3ArchiveStore s3;
    private BarmanCloud barman;
    private PgCluster primary;
    private PgCluster standby;
    private Path work;

    @BeforeAll
    void startPrimaryAndStandby() {
        work = PostgresUser.createTempDir("cumulus-backup-standby-");
        s3 = S3ArchiveStore.start("standby", "cumulus");
        barman = new BarmanCloud(s3, work);
        primary = PgCluster.builder().archiveCommand(s3.archiveCommand(SERVER)).start();
        primary.execute("CREATE TABLE items AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g");
        Path copy = work.resolve("standby-data");
        primary.pgBasebackup(copy, PgCluster.WalMethod.STREAM);
        standby = PgCluster.builder().fromDataDirectory(copy).recovery(PgCluster.Recovery.STANDBY)
                .setting("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=" + PgCluster.SUPERUSER)
                .start();
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(standby, primary, s3, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void backupOfAStandbyIsRestoredAndRecoversFromThePrimarysArchive() {
        primary.execute("INSERT INTO items SELECT g, 'before' FROM generate_series(200001, 201000) g");
        primary.checkpoint(); // a standby's backup starts at a restartpoint, made from the primary's checkpoints
        awaitReplayed();

        ToolResult result = Backups.backup(s3, standby, SERVER, "-v", "-z", "--immediate-checkpoint").timeout(TIMEOUT).run();
        assertEquals(0, result.exitCode(), result::describe);
        String id = Backups.idFromSummary(result.stdout());

        // archive_mode on, not always: the primary archives the end segment once it completes it, which is
        // said as such, not as a set-up to fix (PostgreSQL's "WAL archiving is not enabled" is no warning here)
        assertTrue(result.stderr().contains("taken on a standby, it waits for the primary to complete that segment"
                + " and archive it; run SELECT pg_switch_wal() on the primary"), result::describe);
        assertFalse(result.stderr().contains("check archive_mode and archive_command"), result::describe);
        assertFalse(result.stderr().contains("WARNING: PostgreSQL: WAL archiving is not enabled"), result::describe);

        Map<String, String> info = Backups.backupInfo(s3, SERVER, id);
        assertEquals("DONE", info.get("status"));
        assertTrue(info.get("backup_label").contains("BACKUP FROM: standby"), info::toString);
        assertEquals(standby.dataDir().toString(), info.get("pgdata"));

        // the end segment is the one the quiet primary still writes: cumulus-check on the primary sees no gap
        // (archiving it by hand from pg_wal would store an incomplete copy the primary is then refused against)
        assertEquals(primary.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())"), info.get("end_wal"));
        ToolResult check = Tools.command("cumulus-check").args(s3.toolOptions()).env(s3.toolEnv())
                .args(Backups.connection(primary)).args(s3.url(), SERVER).timeout(TIMEOUT).run();
        assertTrue(check.stdout().contains(info.get("end_wal") + ", the segment the primary still writes: it is"
                + " archived once complete"), check::describe);
        assertFalse(check.stdout().contains("missing " + info.get("end_wal")), check::describe);

        // the primary archives the WAL the backup needs
        primary.execute("INSERT INTO items SELECT g, 'after' FROM generate_series(201001, 201500) g");
        primary.awaitArchived(primary.switchWal(), TIMEOUT);
        String expected = primary.queryString("SELECT count(*) || ' ' || md5(string_agg(h, ',' ORDER BY id)) FROM items");

        Path parent = work.resolve("restore");
        Path data = parent.resolve("data");
        ToolResult restore = barman.command("barman-cloud-restore", s3.url(), SERVER, id, data.toString())
                .asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data)
                .recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(s3.restoreCommand(SERVER))
                .startTimeout(TIMEOUT)
                .start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(expected, recovered.queryString(
                    "SELECT count(*) || ' ' || md5(string_agg(h, ',' ORDER BY id)) FROM items"));
        }

        // archive_mode always: the standby waits to archive the end segment itself, which it can only once the
        // quiet primary completes it; the timeout says so instead of blaming a working archive_command
        standby.appendSettings(Map.of("archive_mode", "always"));
        standby.restart();
        ToolResult waited = Backups.backup(s3, standby, SERVER, "--immediate-checkpoint", "--archive-wait-timeout", "5")
                .timeout(TIMEOUT).run();
        assertEquals(1, waited.exitCode(), waited::describe);
        assertTrue(waited.stderr().contains("on a standby the backup's last segment is archived only once the primary"
                + " completes it; run SELECT pg_switch_wal() on the primary"), waited::describe);
    }

    /** Waits until the standby has replayed everything the primary has written so far. */
    private void awaitReplayed() {
        String target = primary.queryString("SELECT pg_current_wal_lsn()");
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!"t".equals(standby.queryString("SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn"))) {
            assertTrue(System.nanoTime() < deadline, "the standby did not catch up");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
