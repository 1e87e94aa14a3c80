package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Every tool through Azure Blob Storage on Azurite, as a user runs them: a real PostgreSQL 15
 * archiving with cumulus-wal-archive, a base backup by cumulus-backup whose archives go up as staged
 * blocks in parallel, cumulus-restore bringing it back (verified against its manifest), and the copy
 * recovering through cumulus-wal-restore to the last archived WAL. Credentials are barman-cloud's
 * AZURE_STORAGE_CONNECTION_STRING; the URL is barman-cloud's emulator form.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureEndToEndTest {

    private static final String SERVER = "pg-azure";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private AzureArchiveStore azure;
    private PgCluster source;
    private Path work;

    @BeforeAll
    void startClusterArchivingToAzure() {
        work = PostgresUser.createTempDir("cumulus-azure-e2e-");
        azure = AzureArchiveStore.start("backups", "cumulus");
        source = PgCluster.builder().archiveCommand(azure.archiveCommand(SERVER)).start();
        source.execute("CREATE TABLE before_backup AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 100000) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, azure, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void backupToAzureIsRestoredAndRecoversWithWalFromAzure() throws IOException {
        // 1 MiB blocks, 4 at a time: every archive above the 4 MiB single-put size goes up as staged blocks
        String id = Backups.backupSucceeds(azure, source, SERVER, "--immediate-checkpoint", "--min-chunk-size", "1MB",
                "-J", "4");
        source.execute("CREATE TABLE after_backup AS SELECT g AS n FROM generate_series(1, 777) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));

        List<String> objects = Backups.objects(azure, SERVER, id);
        assertTrue(objects.containsAll(List.of("backup.info", "data.tar")), () -> "objects: " + objects);
        assertEquals("DONE", Backups.backupInfo(azure, SERVER, id).get("status"));
        int blocks = azure.committedBlocks(SERVER + "/base/" + id + "/data.tar");
        assertTrue(blocks > 4, "data.tar should be committed from staged 1 MiB blocks, has " + blocks);

        Path data = work.resolve("restored/data");
        Files.createDirectories(data.getParent());
        PostgresUser.chown(data.getParent());
        ToolResult restore = Tools.command("cumulus-restore", "-J", "3").args(azure.toolOptions()).env(azure.toolEnv())
                .args(azure.url(), SERVER, id, data.toString()).asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().contains("verified against backup_manifest"), restore::describe);

        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(azure.restoreCommand(SERVER)).setting("recovery_target_action", "promote")
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(100000, recovered.queryLong("SELECT count(*) FROM before_backup"));
            assertEquals(777, recovered.queryLong("SELECT count(*) FROM after_backup"),
                    () -> "WAL archived after the backup was not replayed\n" + recovered.serverLogTail(40));
            assertTrue(recovered.serverLog().contains("restored log file"), recovered::serverLog);
        }
    }

    @Test
    void walObjectsCarryTheirTagsAsBlobIndexTagsAndComeBackByteForByte() throws IOException {
        String server = "tagged";
        String segment = Wal.segmentName(1, 0x42);
        byte[] content = Wal.syntheticSegment(42);
        Path wal = Wal.write(Files.createDirectories(work.resolve("tagged")), segment, content);
        Path history = Wal.write(work.resolve("tagged"), "00000002.history", "1\t0/3000060\tno target\n".getBytes());

        for (Path file : List.of(wal, history)) {
            ToolResult archived = azure.walArchive(server, file, "--tag", "team,dba", "--history-tag", "kind,history")
                    .run();
            assertEquals(0, archived.exitCode(), archived::describe);
        }

        assertEquals(Map.of("team", "dba"), azure.tags(Wal.key(server, segment)));
        assertEquals(Map.of("kind", "history"), azure.tags(server + "/wals/00000002.history"));
        Path restored = work.resolve("tagged-restored");
        ToolResult restore = azure.walRestore(server, segment, restored).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertArrayEquals(content, Files.readAllBytes(restored));
    }

    @Test
    void asyncArchivingAndPrefetchingRestoreWorkThroughAzure() {
        String server = "async";
        Path archiveSpool = work.resolve("archive-spool");
        Path prefetchSpool = work.resolve("prefetch-spool");
        String archive = azure.archiveCommand(server, "--async", "--spool-dir", archiveSpool.toString(),
                "--max-parallel", "4");
        try {
            String id;
            try (PgCluster async = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(archive).start()) {
                async.execute("CREATE TABLE t AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 60000) g");
                async.awaitArchived(async.switchWal(), Duration.ofSeconds(90));
                id = Backups.backupSucceeds(azure, async, server, "--immediate-checkpoint");
                async.execute("CREATE TABLE later AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 60000) g");
                async.awaitArchived(async.switchWal(), Duration.ofSeconds(90));
            }
            assertTrue(azure.keys(server + "/wals/").size() > 8, () -> "WAL in Azure: " + azure.keys(server + "/wals/"));

            Path data = work.resolve("async-restored/data");
            ToolResult restore = Tools.command("cumulus-restore").args(azure.toolOptions()).env(azure.toolEnv())
                    .args(azure.url(), server, id, data.toString()).asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, restore.exitCode(), restore::describe);
            try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data)
                    .recovery(PgCluster.Recovery.ARCHIVE).setting("recovery_target_action", "promote")
                    .restoreCommand(azure.restoreCommand(server, "--prefetch", "4", "--spool-dir",
                            prefetchSpool.toString()))
                    .startTimeout(TIMEOUT).start()) {
                recovered.awaitRecoveryEnd(TIMEOUT);
                assertEquals(60000, recovered.queryLong("SELECT count(*) FROM later"), recovered::serverLog);
            }
        } finally {
            BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, archiveSpool);
            BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, prefetchSpool);
        }
    }

    @Test
    void theWalToolsLoadTheAzureSdkFromTheCacheTrainedOnItNotFromItsJars() throws IOException {
        ProviderStartUp.assertSdkComesFromItsCache(azure, work, "com.azure.", "reactor.core.");
    }

    @Test
    void testOptionOfEveryToolAnswersZeroOnAnExistingContainer() {
        for (String tool : List.of("cumulus-wal-archive", "cumulus-wal-restore", "cumulus-backup")) {
            Command command = Tools.command(tool, "-t").args(azure.toolOptions()).env(azure.toolEnv())
                    .args(azure.url(), SERVER);
            if (tool.equals("cumulus-wal-restore")) {
                command.args("000000010000000000000001", work.resolve("unused").toString());
            }
            ToolResult result = command.run();
            assertEquals(0, result.exitCode(), result::describe);
        }
    }
}
