package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-backup and cumulus-restore through Google Cloud Storage's client in the packaged tools,
 * against the fake of the GCS JSON API (GcsArchiveStore): a base backup whose archive goes up as 1 MiB
 * parts in parallel composed at close, tags as object metadata, restored and verified, and the copy
 * recovering with WAL archived and restored through gs://.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcsEndToEndTest {

    private static final String SERVER = "pg-gcs";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private GcsArchiveStore gcs;
    private PgCluster source;
    private Path work;

    @BeforeAll
    void start() {
        work = PostgresUser.createTempDir("cumulus-gcs-e2e-");
        gcs = GcsArchiveStore.start("backups", "cumulus");
        source = PgCluster.builder().archiveCommand(gcs.archiveCommand(SERVER)).start();
        source.execute("CREATE TABLE before_backup AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 80000) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, gcs, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void backupInComposedPartsIsRestoredAndRecoversWithWalFromGcs() {
        int composedBefore = gcs.composeCalls();
        String id = Backups.backupSucceeds(gcs, source, SERVER, "--immediate-checkpoint", "--min-chunk-size", "1MB",
                "-J", "3", "--tag", "team,dba");
        source.execute("CREATE TABLE after_backup AS SELECT g AS n FROM generate_series(1, 555) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));

        List<String> objects = Backups.objects(gcs, SERVER, id);
        assertTrue(objects.containsAll(List.of("backup.info", "data.tar")), () -> "objects: " + objects);
        assertTrue(objects.stream().noneMatch(name -> name.contains(".cumulus-part")), () -> "parts left: " + objects);
        assertEquals("DONE", Backups.backupInfo(gcs, SERVER, id).get("status"));
        assertTrue(gcs.composeCalls() > composedBefore, "no archive went up in parts composed at close");
        assertEquals("{\"team\": \"dba\"}", gcs.metadataJson(SERVER + "/base/" + id + "/data.tar"));

        Path data = work.resolve("restored/data");
        ToolResult restore = Tools.command("cumulus-restore", "-J", "3").args(gcs.toolOptions()).env(gcs.toolEnv())
                .args(gcs.url(), SERVER, id, data.toString()).asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().contains("verified against backup_manifest"), restore::describe);

        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(gcs.restoreCommand(SERVER)).setting("recovery_target_action", "promote")
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(80000, recovered.queryLong("SELECT count(*) FROM before_backup"));
            assertEquals(555, recovered.queryLong("SELECT count(*) FROM after_backup"), recovered::serverLog);
        }
    }

    @Test
    void theWalToolsLoadTheGoogleSdkFromTheCacheTrainedOnItNotFromItsJars() throws IOException {
        ProviderStartUp.assertSdkComesFromItsCache(gcs, work, "com.google.cloud.storage.", "com.google.api.client.");
    }
}
