package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.ToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-backup runs of one server started at once, against a real PostgreSQL 15 and a file://
 * store: each chooses its id from the clock's second, and two that chose the same one both used to
 * exit 0 with one backup left (the later one's archives over the earlier one's). Each run that exits 0
 * must now have its own backup, and each other one must say it refused an id taken.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrentBackupsEndToEndTest {

    private static final String SERVER = "pg-concurrent";
    private static final int RUNS = 3;

    private FileArchiveStore store;
    private PgCluster cluster;

    @BeforeAll
    void startArchivingCluster() {
        store = new FileArchiveStore();
        cluster = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(store.archiveCommand(SERVER)).start();
        cluster.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        cluster.awaitArchived(cluster.switchWal(), Duration.ofSeconds(60));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(cluster, store);
    }

    @Test
    void backupsStartedAtOnceEachGetTheirOwnIdOrRefuseNeverOverwrite() {
        List<CompletableFuture<ToolResult>> started = new ArrayList<>();
        for (int i = 0; i < RUNS; i++) {
            started.add(CompletableFuture.supplyAsync(
                    () -> Backups.backup(store, cluster, SERVER, "-v", "--immediate-checkpoint").run()));
        }
        List<ToolResult> results = started.stream().map(CompletableFuture::join).toList();

        List<String> done = new ArrayList<>();
        for (ToolResult result : results) {
            if (result.exitCode() == 0) {
                done.add(Backups.idFromSummary(result.stdout()));
            } else {
                assertEquals(1, result.exitCode(), result::describe);
                assertTrue(result.stderr().contains("already exists") && result.stderr().contains(
                        "not overwriting it"), result::describe);
            }
        }
        String described = results.stream().map(ToolResult::describe).collect(Collectors.joining("\n"));
        Set<String> distinct = new HashSet<>(done);
        assertEquals(done.size(), distinct.size(), () -> "two runs exited 0 with one id " + done + ":\n" + described);
        assertTrue(done.size() >= 1, described);
        for (String id : done) {
            assertEquals("DONE", Backups.backupInfo(store, SERVER, id).get("status"), id);
            assertEquals(List.of("backup.info", "backup_manifest", "data.tar"), Backups.objects(store, SERVER, id),
                    () -> id + ": its claim removed, nothing else");
        }
        Set<String> directories = store.keys(SERVER + "/base/").stream()
                .map(key -> key.substring((SERVER + "/base/").length()).split("/")[0]).collect(Collectors.toSet());
        assertEquals(distinct, directories, () -> "no directory but the backups':\n" + described);
        System.out.println("[ConcurrentBackupsEndToEndTest] " + RUNS + " runs at once: backups " + done + ", "
                + (RUNS - done.size()) + " refused");
    }
}
