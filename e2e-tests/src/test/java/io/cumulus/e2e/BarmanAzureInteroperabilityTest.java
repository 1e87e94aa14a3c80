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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Interoperability with Debian's barman-cloud 3.4 on Azure Blob Storage (Azurite, reached through
 * barman-cloud's emulator URL with AZURE_STORAGE_CONNECTION_STRING): WAL segments archived by either
 * are restored byte for byte by the other, and a base backup taken by either, with its WAL, is
 * restored by the other and the cluster recovers from it. barman-cloud's Azure provider runs on
 * Debian's python3-azure-storage (azure-storage-blob 12.15, API version 2021-12-02), which Azurite
 * 3.35 serves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarmanAzureInteroperabilityTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private AzureArchiveStore azure;
    private Path work;

    @BeforeAll
    void start() {
        work = PostgresUser.createTempDir("cumulus-azure-interop-");
        azure = AzureArchiveStore.start("interop", "pgcluster");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(azure, () -> PostgresUser.deleteRecursively(work));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-z", "-j"})
    void segmentsArchivedByBarmanAreRestoredByCumulus(String flag) {
        String server = "from-barman" + flag;
        String segment = Wal.segmentName(1, 0x20 + flag.length() + (flag.equals("-j") ? 7 : 0));
        byte[] content = Wal.syntheticSegment(segment.hashCode());
        Path wal = Wal.write(dir(server), segment, content);

        ToolResult archived = barman("barman-cloud-wal-archive", flags(flag)).args(azure.url(), server, wal.toString())
                .run();
        assertEquals(0, archived.exitCode(), archived::describe);
        Path restored = work.resolve(server + "-restored");
        ToolResult restore = azure.walRestore(server, segment, restored).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertArrayEquals(content, Wal.read(restored));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-z", "-j"})
    void segmentsArchivedByCumulusAreRestoredByBarman(String flag) {
        String server = "from-cumulus" + flag;
        String segment = Wal.segmentName(1, 0x30 + flag.length() + (flag.equals("-j") ? 7 : 0));
        byte[] content = Wal.syntheticSegment(segment.hashCode());
        Path wal = Wal.write(dir(server), segment, content);

        ToolResult archived = azure.walArchive(server, wal, flags(flag)).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        Path restored = work.resolve(server + "-restored");
        ToolResult restore = barman("barman-cloud-wal-restore").args(azure.url(), server, segment, restored.toString())
                .run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertArrayEquals(content, Wal.read(restored));
    }

    @Test
    void barmanBackupWithBarmanWalIsRestoredByCumulusAndRecovers() {
        String server = "backup-by-barman";
        String archive = barman("barman-cloud-wal-archive", "-z").args(azure.url(), server).toShellLine() + " %p";
        try (PgCluster source = PgCluster.builder().archiveCommand(archive).start()) {
            source.execute("CREATE TABLE t AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 4321) g");
            ToolResult backup = barman("barman-cloud-backup", "-z", "--immediate-checkpoint", "-h", "127.0.0.1", "-p",
                    Integer.toString(source.port()), "-U", PgCluster.SUPERUSER).args(azure.url(), server)
                    .asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, backup.exitCode(), backup::describe);
            source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        }
        Path data = dir(server).resolve("data");
        ToolResult restore = Tools.command("cumulus-restore").args(azure.toolOptions()).env(azure.toolEnv())
                .args(azure.url(), server, "latest", data.toString()).asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);

        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(azure.restoreCommand(server)).setting("recovery_target", "immediate")
                .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(4321, recovered.queryLong("SELECT count(*) FROM t"));
            assertTrue(recovered.serverLog().contains("restored log file"), recovered::serverLog);
        }
    }

    @Test
    void cumulusBackupWithCumulusWalIsRestoredByBarmanAndRecovers() {
        String server = "backup-by-cumulus";
        String id;
        try (PgCluster source = PgCluster.builder().archiveCommand(azure.archiveCommand(server, "-z")).start()) {
            source.execute("CREATE TABLE t AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 5432) g");
            source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
            // 1 MiB blocks: the data archive goes up as staged blocks, which barman reads as one blob
            id = Backups.backupSucceeds(azure, source, server, "-z", "--immediate-checkpoint", "--min-chunk-size",
                    "1MB");
            source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        }
        Path data = dir(server).resolve("data");
        ToolResult restore = barman("barman-cloud-restore").args(azure.url(), server, id, data.toString())
                .asPostgres().timeout(TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);

        String restoreCommand = barman("barman-cloud-wal-restore").args(azure.url(), server).toShellLine() + " %f %p";
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(restoreCommand).setting("recovery_target", "immediate")
                .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(5432, recovered.queryLong("SELECT count(*) FROM t"));
            assertTrue(recovered.serverLog().contains("restored log file"), recovered::serverLog);
        }
    }

    /**
     * barman-cloud takes a URL's path literally ({@code %20} stays three characters, a space is a
     * space), and so must Cumulus: a site moving between them with such a URL reads the same objects.
     */
    @Test
    void aPrefixWithAPercentAndASpaceNamesTheSameObjectsForBoth() {
        assertBothArchiveAndRestoreTheSameObjects(azure.withPrefix("my%20dir/a b"), "literal", 0x50);
    }

    /**
     * barman-cloud keeps a doubled slash of the URL's path in its blob names ({@code a//b/SERVER/...}),
     * and so must Cumulus: answering "not found" for what barman-cloud archived there would end a
     * recovery early.
     */
    @Test
    void aPrefixWithADoubledSlashNamesTheSameObjectsForBoth() {
        assertBothArchiveAndRestoreTheSameObjects(azure.withPrefix("a//b"), "doubled", 0x46);
        assertEquals(List.of(), azure.withPrefix("a/b").keys("doubled/"));
    }

    /**
     * barman-cloud archives segment {@code segment} of {@code server} under {@code store}'s URL and
     * Cumulus the next one; both land in the same directory, and each tool restores the other's.
     */
    private void assertBothArchiveAndRestoreTheSameObjects(AzureArchiveStore store, String server, int segment) {
        String fromBarman = Wal.segmentName(1, segment);
        byte[] barmans = Wal.syntheticSegment(fromBarman.hashCode());
        ToolResult archived = barman("barman-cloud-wal-archive").args(store.url(), server,
                Wal.write(dir(server), fromBarman, barmans).toString()).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        String fromCumulus = Wal.segmentName(1, segment + 1);
        byte[] cumulus = Wal.syntheticSegment(fromCumulus.hashCode());
        ToolResult archivedByCumulus = store.walArchive(server, Wal.write(dir(server), fromCumulus, cumulus)).run();
        assertEquals(0, archivedByCumulus.exitCode(), archivedByCumulus::describe);

        String hashDir = server + "/wals/" + fromBarman.substring(0, 16) + "/";
        assertEquals(List.of(hashDir + fromBarman, hashDir + fromCumulus), store.keys(server + "/"));

        Path byCumulus = work.resolve(server + "-by-cumulus");
        ToolResult restored = store.walRestore(server, fromBarman, byCumulus).run();
        assertEquals(0, restored.exitCode(), restored::describe);
        assertArrayEquals(barmans, Wal.read(byCumulus));
        Path byBarman = work.resolve(server + "-by-barman");
        ToolResult restoredByBarman = barman("barman-cloud-wal-restore").args(store.url(), server, fromCumulus,
                byBarman.toString()).run();
        assertEquals(0, restoredByBarman.exitCode(), restoredByBarman::describe);
        assertArrayEquals(cumulus, Wal.read(byBarman));
    }

    /**
     * A slash right after the container: barman-cloud keeps it for WAL ({@code /a/SERVER/wals/...})
     * but not for a backup's archives. Cumulus refuses the URL (exit 3), never answers "not found".
     */
    @Test
    void aPathStartingWithASlashAfterTheContainerIsRefusedNotAnsweredMissing() {
        AzureArchiveStore leading = azure.withPrefix("/a");
        String server = "leading";
        String segment = Wal.segmentName(1, 0x48);
        ToolResult archived = barman("barman-cloud-wal-archive").args(leading.url(), server,
                Wal.write(dir(server), segment, Wal.syntheticSegment(segment.hashCode())).toString()).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        ToolResult restored = leading.walRestore(server, segment, work.resolve("leading-by-cumulus")).run();
        assertEquals(3, restored.exitCode(), restored::describe);
        assertTrue(restored.stderr().contains("starts with a slash"), restored::describe);
    }

    /** A barman-cloud 3.4 command on the Azurite container, credentials as barman-cloud documents them. */
    private Command barman(String tool, String... options) {
        return Command.of(tool, options).args(List.of("--cloud-provider", "azure-blob-storage"))
                .env(Map.of("AZURE_STORAGE_CONNECTION_STRING", azure.connectionString()));
    }

    private static String[] flags(String flag) {
        return flag.isEmpty() ? new String[0] : new String[] {flag};
    }

    /** A directory of the work directory, owned by the PostgreSQL user. */
    private Path dir(String name) {
        try {
            Path dir = Files.createDirectories(work.resolve(name));
            PostgresUser.chown(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
