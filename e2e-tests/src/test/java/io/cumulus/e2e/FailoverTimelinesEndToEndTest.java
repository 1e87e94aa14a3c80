package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A failover's two timelines in one file:// prefix, with real PostgreSQL 15: the primary's backup,
 * restored and promoted to timeline 2, is the new primary and archives there; the old primary goes on
 * on timeline 1, archiving and taking a backup after the fork. cumulus-check against the new primary
 * names both; cumulus-restore {@code auto} recovers along timeline 2 from the timeline 1 backup taken
 * before the fork, never from the old primary's later one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailoverTimelinesEndToEndTest {

    private static final String SERVER = "pg-fork";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern WAL_CONTINUITY = Pattern.compile("(?m)^  WAL continuity\\s+(OK|FAILED)  (.*)$");

    private FileArchiveStore file;
    private PgCluster oldPrimary;
    private PgCluster newPrimary;
    private Path work;
    private String beforeTheFork;
    private String oldPrimarysAfterTheFork;
    private String target;

    @BeforeAll
    void failOverWhileTheOldPrimaryGoesOn() {
        work = PostgresUser.createTempDir("cumulus-failover-e2e-");
        file = new FileArchiveStore();
        oldPrimary = PgCluster.builder().archiveCommand(file.archiveCommand(SERVER)).start();
        oldPrimary.execute("CREATE TABLE t (what text)");
        oldPrimary.execute("INSERT INTO t VALUES ('before the fork')");
        oldPrimary.awaitArchived(oldPrimary.switchWal(), TIMEOUT);
        beforeTheFork = Backups.backupSucceeds(file, oldPrimary, SERVER, "--immediate-checkpoint");

        Path data = postgresDirectory("new-primary").resolve("data");
        ToolResult restore = restore(data, beforeTheFork, "--recovery-target", "immediate",
                "--recovery-target-action", "promote", "--keep-archive-mode");
        assertEquals(0, restore.exitCode(), restore::describe);
        newPrimary = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .archiveCommand(file.archiveCommand(SERVER)).startTimeout(TIMEOUT).start();
        newPrimary.awaitRecoveryEnd(TIMEOUT);
        newPrimary.execute("INSERT INTO t VALUES ('on timeline 2')");
        newPrimary.awaitArchived(newPrimary.switchWal(), TIMEOUT);
        assertTrue(Files.exists(file.root().resolve(SERVER + "/wals/00000002.history")), "no 00000002.history");

        oldPrimary.execute("INSERT INTO t VALUES ('the old primary after the fork')");
        oldPrimary.awaitArchived(oldPrimary.switchWal(), TIMEOUT);
        oldPrimarysAfterTheFork = Backups.backupSucceeds(file, oldPrimary, SERVER, "--immediate-checkpoint");

        newPrimary.execute("INSERT INTO t VALUES ('the target')");
        target = newPrimary.queryString("SELECT clock_timestamp()::text");
        newPrimary.execute("INSERT INTO t VALUES ('after the target')");
        newPrimary.awaitArchived(newPrimary.switchWal(), TIMEOUT);
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(newPrimary, oldPrimary, file, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void checkingTheNewPrimaryNamesTheOldPrimarysSegmentsAndBackupAfterTheFork() {
        ToolResult check = Tools.command("cumulus-check").args(Backups.connection(newPrimary))
                .args(file.url(), SERVER).asPostgres().run();
        Matcher verdict = WAL_CONTINUITY.matcher(check.stdout());
        assertTrue(verdict.find(), check::describe);
        assertEquals("FAILED", verdict.group(1), check::describe);
        assertTrue(verdict.group(2).startsWith("timeline 1 has segments archived past its switch point "),
                check::describe);
        assertTrue(verdict.group(2).contains("; backup " + oldPrimarysAfterTheFork + " began on timeline 1 at "),
                check::describe);
        // the new primary's last archived file, on timeline 2, is in the store: no alarm of WAL not arriving
        assertFalse(verdict.group(2).contains("PostgreSQL archived"), check::describe);
        assertEquals(1, check.exitCode(), check::describe);
    }

    @Test
    void autoAlongTimeline2ChoosesTimeline1sBackupTakenBeforeTheFork() {
        ToolResult restore = restore(postgresDirectory("along-2").resolve("data"), "auto", "--recovery-target-time",
                target, "--recovery-target-timeline", "2", "--recovery-target-action", "promote");
        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().startsWith("restored backup " + beforeTheFork + " "), restore::describe);
    }

    @Test
    void autoForTheLatestTimelineRecoversToTheTargetFromTheBackupBeforeTheFork() {
        Path data = postgresDirectory("latest").resolve("data");
        ToolResult restore = restore(data, "auto", "--recovery-target-time", target,
                "--recovery-target-action", "promote");
        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().startsWith("restored backup " + beforeTheFork + " "), restore::describe);
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(List.of("before the fork", "on timeline 2", "the target"),
                    recovered.queryColumn("SELECT what FROM t ORDER BY ctid"), recovered::serverLog);
        }
    }

    /**
     * restore.md's disaster-recovery command, `latest` with the latest timeline: the old primary's backup
     * after the fork is the newest, and PostgreSQL refused it ("requested timeline 2 is not a child of
     * this server's history") after the whole download. latest passes over it, naming it, and the
     * recovery reaches the end of timeline 2.
     */
    @Test
    void latestForTheLatestTimelinePassesOverTheOldPrimarysBackupAndRecoversTimeline2() {
        Path data = postgresDirectory("dr-latest").resolve("data");
        ToolResult restore = restore(data, "latest", "--recovery-target-timeline", "latest",
                "--recovery-target-action", "promote");
        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().startsWith("restored backup " + beforeTheFork + " "), restore::describe);
        assertTrue(restore.stderr().contains("skipping backup " + oldPrimarysAfterTheFork + " for 'latest': it is a"
                + " backup of timeline 1 that the recovery cannot start from"), restore::describe);
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(List.of("before the fork", "on timeline 2", "the target", "after the target"),
                    recovered.queryColumn("SELECT what FROM t ORDER BY ctid"), recovered::serverLog);
        }
    }

    private ToolResult restore(Path data, String id, String... options) {
        return Tools.command("cumulus-restore", options).args(file.toolOptions()).env(file.toolEnv())
                .args(file.url(), SERVER, id, data.toString()).asPostgres().timeout(TIMEOUT).run();
    }

    /** A directory under the work directory, created for the PostgreSQL user. */
    private Path postgresDirectory(String name) {
        Path directory = work.resolve(name);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PostgresUser.chown(directory);
        return directory;
    }
}
