package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.Ports;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A streaming standby whose restore_command points at a store that cannot be reached (a closed port): each
 * call gives up at once, so that the standby goes back to streaming after its primary restarts instead of
 * waiting a minute per call; archive recovery keeps retrying such a store (60 s by default). (With the
 * 60 s of every call, the standby did not even start: pg_ctl gave up after the 3 minutes of startTimeout.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandbyRestoreCommandTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String SEGMENT = "000000010000000000000042";

    private PgCluster primary;
    private PgCluster standby;
    private Path work;
    private String endpoint;

    @BeforeAll
    void startPrimaryAndStandby() {
        work = PostgresUser.createTempDir("cumulus-standby-restore-");
        endpoint = "http://127.0.0.1:" + Ports.freeLoopbackPort();
        primary = PgCluster.builder().start();
        primary.execute("CREATE TABLE items (id int)");
        Path copy = work.resolve("standby-data");
        primary.pgBasebackup(copy, PgCluster.WalMethod.STREAM);
        standby = PgCluster.builder().fromDataDirectory(copy).recovery(PgCluster.Recovery.STANDBY)
                .setting("primary_conninfo", "host=127.0.0.1 port=" + primary.port() + " user=" + PgCluster.SUPERUSER)
                .restoreCommand(unreachableRestore().toShellLine() + " %f %p")
                .startTimeout(TIMEOUT)
                .start();
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(standby, primary, () -> PostgresUser.deleteRecursively(work));
    }

    /** cumulus-wal-restore with credentials (without them it fails at once anyway) and a closed port. */
    private Command unreachableRestore(String... options) {
        return Tools.command("cumulus-wal-restore", options).args("--endpoint-url", endpoint)
                .env(S3ArchiveStore.credentialsEnv("standby-key", "standby-secret"))
                .args("s3://unreachable/x", "pg");
    }

    @Test
    void aStandbyGoesBackToStreamingSoonAfterItsPrimaryRestarts() {
        int logBefore = standby.serverLog().length();
        primary.restart();
        primary.execute("INSERT INTO items VALUES (1)");
        // with a minute per restore_command call (a history file, then the segment) it took over two
        long deadline = System.nanoTime() + Duration.ofSeconds(50).toNanos();
        while (!"1".equals(standby.queryString("SELECT count(*) FROM items"))) {
            assertTrue(System.nanoTime() < deadline, () -> "the standby did not replay the row within 50 s\n"
                    + standby.serverLogTail(40));
            sleep(Duration.ofMillis(200));
        }
        // streaming broke: the standby asked the archive (restore_command's error is in its log) and moved on
        String since = standby.serverLog().substring(logBefore);
        assertTrue(since.contains("cannot reach s3://unreachable"), since);
    }

    @Test
    void aCallOnTheStandbyGivesUpOnAnUnreachableStoreAtOnce() {
        ToolResult result = unreachableRestore().args(SEGMENT, work.resolve("never").toString())
                .asPostgres().directory(standby.dataDir()).timeout(TIMEOUT).run();
        assertTrue(result.exitCode() == 2 || result.exitCode() == 4, result::describe);
        assertTrue(result.stderr().contains(endpoint.substring("http://".length())), result::describe);
        // without retrying: a JVM's start and the SDK's own few attempts, on a loaded machine
        assertTrue(result.elapsed().compareTo(Duration.ofSeconds(20)) < 0, result::describe);
        assertTrue(!Files.exists(work.resolve("never")));
    }

    /**
     * A store that accepts connections but never answers (a stopped server, a dead backend behind a load
     * balancer; here a socket nobody accepts from, whose connections the kernel completes): the standby's call
     * makes one attempt, so it gives up after one --read-timeout, not after the client's four.
     */
    @Test
    void aCallOnTheStandbyGivesUpOnAStoreThatNeverAnswersAfterOneReadTimeout() throws IOException {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            ToolResult result = Tools.command("cumulus-wal-restore", "--read-timeout", "5")
                    .args("--endpoint-url", "http://127.0.0.1:" + silent.getLocalPort())
                    .env(S3ArchiveStore.credentialsEnv("standby-key", "standby-secret"))
                    .args("s3://silent/x", "pg", SEGMENT, work.resolve("never").toString())
                    .asPostgres().directory(standby.dataDir()).timeout(TIMEOUT).run();
            assertEquals(2, result.exitCode(), result::describe);
            assertTrue(result.stderr().contains("Read timed out (SDK Attempt Count: 1)"), result::describe);
            // one read timeout and a JVM's start on a loaded machine; four attempts took over 20 s
            assertTrue(result.elapsed().compareTo(Duration.ofSeconds(18)) < 0, result::describe);
            assertTrue(!Files.exists(work.resolve("never")));
        }
    }

    @Test
    void archiveRecoveryStillRetriesAnUnreachableStore() throws IOException {
        Path archiveRecovery = Files.createDirectories(work.resolve("archive-recovery"));
        Files.createFile(archiveRecovery.resolve("recovery.signal"));
        PostgresUser.chown(archiveRecovery);
        // the default (60 s) outlasts this wait; a retry the test bounds ends in the code that stops recovery
        IllegalStateException stillRetrying = assertThrows(IllegalStateException.class,
                () -> unreachableRestore().args(SEGMENT, work.resolve("never").toString())
                        .asPostgres().directory(archiveRecovery).timeout(Duration.ofSeconds(15)).run());
        assertTrue(stillRetrying.getMessage().contains("timed out"), stillRetrying::getMessage);
        assertTrue(stillRetrying.getMessage().contains("retrying in"), stillRetrying::getMessage);

        ToolResult bounded = unreachableRestore("--retry-timeout", "2").args(SEGMENT, work.resolve("never").toString())
                .asPostgres().directory(archiveRecovery).timeout(TIMEOUT).run();
        assertEquals(128, bounded.exitCode(), bounded::describe);
        assertTrue(bounded.stderr().contains("retrying in"), bounded::describe);
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
