package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-check-wal-archive against Debian's barman-cloud-check-wal-archive 3.4 on the same S3Proxy
 * prefixes (reference §8): both pass an empty prefix; without --timeline both fail on any WAL; with
 * --timeline N both accept WAL of older timelines and refuse WAL of N or later (a history file
 * counts). On a prefix holding only .zst objects 3.4 passes because it does not know the suffix
 * (reference §4.1, "a false pass"), while Cumulus fails: a cluster archiving there would clash.
 * Also cumulus-check's store probe through the S3 provider: written, read and removed, and S3Proxy found
 * to ignore create-only writes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckWalArchiveTest {

    private static final String BUCKET = "check-wal";
    private S3ArchiveStore store;
    private BarmanCloud barman;
    private Path work;

    @BeforeAll
    void startStore() {
        work = PostgresUser.createTempDir("cumulus-check-wal-");
        store = S3ArchiveStore.start(BUCKET, "pfx");
        barman = new BarmanCloud(store, work);
        put("timeline2", "wals/0000000200000000/000000020000000000000005.gz");
        put("timeline2", "wals/0000000200000000/000000020000000000000004.00000028.backup.gz");
        put("timeline2", "wals/00000002.history.gz");
        put("zst-only", "wals/0000000100000000/000000010000000000000001.zst");
        put("zst-only", "wals/0000000100000000/000000010000000000000002.zst");
        put("not-wal", "wals/README");
        put("not-wal", "base/20260101T000000/backup.info");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(store, () -> PostgresUser.deleteRecursively(work));
    }

    private void put(String server, String relativeKey) {
        store.inspector().put(BUCKET, "pfx/" + server + "/" + relativeKey, "not really WAL".getBytes(StandardCharsets.UTF_8));
    }

    private ToolResult cumulus(String server, String... options) {
        return Tools.command("cumulus-check-wal-archive", options).args(store.toolOptions()).env(store.toolEnv())
                .args(store.url(), server).run();
    }

    private ToolResult barmanCloud(String server, String... options) {
        List<String> args = new ArrayList<>(List.of(options));
        args.add(store.url());
        args.add(server);
        return barman.command("barman-cloud-check-wal-archive").args(args).run();
    }

    /** Both tools give {@code expected}. */
    private void bothAnswer(int expected, String server, String... options) {
        ToolResult ours = cumulus(server, options);
        ToolResult theirs = barmanCloud(server, options);
        assertEquals(expected, theirs.exitCode(), theirs::describe);
        assertEquals(expected, ours.exitCode(), ours::describe);
    }

    @Test
    void anEmptyPrefixPasses() {
        bothAnswer(0, "empty");
        bothAnswer(0, "empty", "--timeline", "1");
    }

    @Test
    void objectsThatAreNotWalDoNotCount() {
        bothAnswer(0, "not-wal");
    }

    @Test
    void anyWalFailsWithoutATimeline() {
        bothAnswer(1, "timeline2");
        assertTrue(cumulus("timeline2").stderr().contains("Expected empty archive"));
    }

    @Test
    void walOfAnOlderTimelinePasses() {
        bothAnswer(0, "timeline2", "--timeline", "3");
    }

    @Test
    void walOfTheSameTimelineFails() {
        bothAnswer(1, "timeline2", "--timeline", "2");
        ToolResult ours = cumulus("timeline2", "--timeline", "2");
        assertTrue(ours.stderr().contains("Found 3 file(s) in WAL archive equal to or newer than timeline 2"),
                ours::describe);
    }

    @Test
    void walOfANewerTimelineFails() {
        bothAnswer(1, "timeline2", "--timeline", "1");
    }

    @Test
    void onlyZstdObjectsFailHereWhereBarmanCloud34WronglyPasses() {
        ToolResult theirs = barmanCloud("zst-only");
        assertEquals(0, theirs.exitCode(), "barman-cloud 3.4 ignores .zst (reference §4.1, §8): " + theirs.describe());
        ToolResult ours = cumulus("zst-only");
        assertEquals(1, ours.exitCode(), ours::describe);
        assertTrue(ours.stderr().contains("000000010000000000000001.zst"), ours::describe);
        assertEquals(1, cumulus("zst-only", "--timeline", "1").exitCode());
        assertEquals(0, cumulus("zst-only", "--timeline", "2").exitCode());
    }

    @Test
    void cumulusCheckProbesAnS3StoreAndLeavesNothingBehind() {
        ToolResult result = Tools.command("cumulus-check", "-d", "host=127.0.0.1 port=1 connect_timeout=2")
                .args(store.toolOptions()).env(store.toolEnv()).args(store.url(), "timeline2").run();
        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.stdout().matches("(?s).*\\n  store permissions  OK      write, read and delete allowed.*"),
                result::describe);
        // S3Proxy 2.7.0 answers 200 to a PUT with If-None-Match: * over an existing object
        assertTrue(result.stdout().contains("; warning: the store does not honour create-only writes"
                + " (If-None-Match: * on S3;"), result::describe);
        assertTrue(result.stdout().contains("  PostgreSQL         FAILED  cannot connect"), result::describe);
        assertEquals(List.of(), store.inspector().keys(BUCKET, "pfx/timeline2/cumulus-check"));
    }

    @Test
    void testOnlyPassesAMissingBucketAsBarmanCloud34DoesAndCreatesNothing() {
        String bucket = "no-such-bucket-" + Long.toHexString(System.nanoTime());
        String url = S3ArchiveStore.url(bucket, "pfx");
        ToolResult theirs = barman.command("barman-cloud-check-wal-archive").args(List.of("-t", url, "empty")).run();
        assertEquals(0, theirs.exitCode(), "3.4 returns right after its connectivity test: " + theirs.describe());
        ToolResult ours = Tools.command("cumulus-check-wal-archive", "-t").args(store.toolOptions())
                .env(store.toolEnv()).args(url, "empty").run();
        assertEquals(0, ours.exitCode(), ours::describe);
        assertTrue(ours.stderr().contains("WARNING: the store answers, but bucket " + bucket + " does not exist"),
                ours::describe);
        assertFalse(store.inspector().bucketExists(bucket), "a check created the bucket");
    }

    @Test
    void anUnreachableStoreExitsTwoAsBarmanCloudDoes() {
        ToolResult ours = Tools.command("cumulus-check-wal-archive", "--endpoint-url", "http://127.0.0.1:1",
                "--read-timeout", "2").env(store.toolEnv()).args(store.url(), "empty").run();
        assertEquals(2, ours.exitCode(), ours::describe);
    }
}
