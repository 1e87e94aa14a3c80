package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Ports;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the WAL tools do with input that is wrong or a store that misbehaves: the exit code barman-cloud
 * uses for it (0 ok, 1 operation failed, 2 store unreachable, 3 invalid input, 4 other), a message
 * that names the culprit, no stack trace and no secret; and where Cumulus differs from barman-cloud on
 * purpose (an archived WAL is never overwritten, the full segment beats its .partial).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WalToolsBadInputTest {

    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w$.]+\\(.*\\)$");

    private FileArchiveStore fileStore;
    private S3ArchiveStore s3Store;
    private Path work;
    private Path segmentFile;

    @BeforeAll
    void startStores() {
        work = PostgresUser.createTempDir("cumulus-bad-input-");
        fileStore = new FileArchiveStore();
        s3Store = S3ArchiveStore.start("bad-input", "pfx");
        segmentFile = Wal.write(dir("valid"), Wal.segmentName(1, 0x42), Wal.syntheticSegment(42));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(s3Store, fileStore, () -> PostgresUser.deleteRecursively(work));
    }

    /**
     * The stores a parameterized case runs against. Parameters are the kind, not the store itself:
     * JUnit closes AutoCloseable arguments after each invocation, and the stores live for the class.
     */
    enum StoreKind {
        FILE, S3
    }

    private ArchiveStore store(StoreKind kind) {
        return kind == StoreKind.FILE ? fileStore : s3Store;
    }

    // ---------------------------------------------------------------- invalid input: 3

    @Test
    void archiveRejectsAFileWhoseNameIsNotAWalNameWithExitCode3(TestInfo test) {
        String server = serverFor(fileStore, test);
        Path notWal = Wal.write(dir("not-wal"), "not-a-wal-name", new byte[1024]);

        ToolResult result = fileStore.walArchive(server, notWal).run();

        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("not-a-wal-name"), result::describe);
        assertNoStackTrace(result);
        assertEquals(List.of(), fileStore.keys(server + "/"), "nothing archived");
    }

    @Test
    void restoreRejectsAWalNameThatIsNotOneWithExitCode3(TestInfo test) {
        Path destination = work.resolve("restored-not-wal");

        ToolResult result = fileStore.walRestore(serverFor(fileStore, test), "0000000100000000000000ZZ", destination)
                .run();

        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("0000000100000000000000ZZ"), result::describe);
        assertNoStackTrace(result);
        assertFalse(Files.exists(destination));
    }

    @Test
    void archiveRejectsAnUnknownOptionWithExitCode3(TestInfo test) {
        String server = serverFor(fileStore, test);

        ToolResult result = fileStore.walArchive(server, segmentFile, "--no-such-option").run();

        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("--no-such-option"), result::describe);
        assertEquals(List.of(), fileStore.keys(server + "/"), "nothing archived");
    }

    /**
     * picocli quotes the argument it refuses: a misspelt --endpoint-url= with a password is masked
     * ({@code --endpoint=} itself is a unique prefix of --endpoint-url, taken as argparse takes it).
     */
    @Test
    void anUnknownOptionCarryingAPasswordIsQuotedWithoutIt(TestInfo test) {
        String server = serverFor(fileStore, test);

        ToolResult result = fileStore.walArchive(server, segmentFile,
                "--endpoint-adress=http://minio:SECRET-PW@127.0.0.1:9000").run();

        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("'--endpoint-adress=http://***@127.0.0.1:9000'"), result::describe);
        assertFalse(result.stderr().contains("SECRET-PW"), result::describe);
    }

    @Test
    void archiveOfAWalPathThatDoesNotExistFailsNamingThePath(TestInfo test) {
        Path missing = work.resolve("missing").resolve(Wal.segmentName(1, 0x43));

        ToolResult result = fileStore.walArchive(serverFor(fileStore, test), missing).run();

        assertNotEquals(0, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains(missing.toString()), result::describe);
        assertNoStackTrace(result);
    }

    // ---------------------------------------------------------------- the store: 1, 2 or 4

    @Test
    void anUnreachableEndpointExits2Or4NamingItWithoutAStackTrace(TestInfo test) {
        String server = serverFor(s3Store, test);
        String endpoint = "http://127.0.0.1:" + Ports.freeLoopbackPort();
        Map<String, String> env = S3ArchiveStore.credentialsEnv(s3Store.accessKey(), s3Store.secretKey());
        String url = s3Store.url();
        String endpointHost = endpoint.substring("http://".length());

        ToolResult archive = Tools.command("cumulus-wal-archive", "--endpoint-url", endpoint)
                .env(env).args(url, server, segmentFile.toString()).run();
        // cumulus-wal-restore keeps retrying an unreachable store (60 s by default) before it gives up
        ToolResult restore = Tools.command("cumulus-wal-restore", "--retry-timeout", "3", "--endpoint-url", endpoint)
                .env(env)
                .args(url, server, segmentFile.getFileName().toString(), work.resolve("unreachable").toString())
                .run();

        for (ToolResult result : List.of(archive, restore)) {
            assertTrue(result.exitCode() == 2 || result.exitCode() == 4, result::describe);
            assertTrue(result.stderr().contains(endpointHost), result::describe);
            assertNoStackTrace(result);
        }
        assertFalse(Files.exists(work.resolve("unreachable")));
    }

    @Test
    void wrongCredentialsFailWithoutPrintingTheSecret(TestInfo test) {
        String server = serverFor(s3Store, test);
        String wrongSecret = "wrong-secret-" + UUID.randomUUID();
        Map<String, String> env = S3ArchiveStore.credentialsEnv(s3Store.accessKey(), wrongSecret);

        for (String verbosity : List.of("-q", "-v")) {
            ToolResult archive = Tools.command("cumulus-wal-archive", verbosity).args(s3Store.toolOptions()).env(env)
                    .args(s3Store.url(), server, segmentFile.toString()).run();
            ToolResult restore = Tools.command("cumulus-wal-restore", verbosity).args(s3Store.toolOptions()).env(env)
                    .args(s3Store.url(), server, segmentFile.getFileName().toString(),
                            work.resolve("wrong-credentials").toString())
                    .run();

            for (ToolResult result : List.of(archive, restore)) {
                assertNotEquals(0, result.exitCode(), result::describe);
                assertFalse(result.output().contains(wrongSecret), () -> "secret printed\n" + result.describe());
                assertNoStackTrace(result);
            }
        }
        assertEquals(List.of(), s3Store.keys(server + "/"), "nothing archived");
    }

    @Test
    void aMissingBucketExits1NamingTheBucketAndIsNotCreated(TestInfo test) {
        String server = serverFor(s3Store, test);
        String bucket = "no-such-bucket-" + Long.toHexString(System.nanoTime());
        String url = S3ArchiveStore.url(bucket, "pfx");

        ToolResult archive = Tools.command("cumulus-wal-archive").args(s3Store.toolOptions()).env(s3Store.toolEnv())
                .args(url, server, segmentFile.toString()).run();
        ToolResult restore = Tools.command("cumulus-wal-restore").args(s3Store.toolOptions()).env(s3Store.toolEnv())
                .args(url, server, segmentFile.getFileName().toString(), work.resolve("no-bucket").toString()).run();

        for (ToolResult result : List.of(archive, restore)) {
            assertEquals(1, result.exitCode(), result::describe);
            assertTrue(result.stderr().contains(bucket), result::describe);
            assertNoStackTrace(result);
        }
        assertFalse(s3Store.inspector().bucketExists(bucket), "the tool created the bucket");
    }

    @ParameterizedTest
    @EnumSource(StoreKind.class)
    void restoringASegmentThatIsNotArchivedExits1(StoreKind kind, TestInfo test) {
        ArchiveStore store = store(kind);
        Path destination = work.resolve("not-archived-" + kind(store));

        ToolResult result = store.walRestore(serverFor(store, test), Wal.segmentName(1, 0x44), destination).run();

        assertEquals(1, result.exitCode(), result::describe);
        assertNoStackTrace(result);
        assertFalse(Files.exists(destination));
    }

    // ---------------------------------------------------------------- duplicates and partials

    @ParameterizedTest
    @EnumSource(StoreKind.class)
    void archivingOtherContentUnderAnArchivedNameExits1AndKeepsTheStoredObject(StoreKind kind, TestInfo test) {
        ArchiveStore store = store(kind);
        String server = serverFor(store, test);
        String segment = Wal.segmentName(1, 0x50);
        byte[] first = Wal.syntheticSegment(50);

        ToolResult duplicate = archiveTwice(store, server, segment, first, Wal.syntheticSegment(51));

        assertEquals(1, duplicate.exitCode(), duplicate::describe);
        assertTrue(duplicate.stderr().contains(segment), duplicate::describe);
        assertNoStackTrace(duplicate);
        assertEquals(List.of(segmentKey(server, segment)), store.keys(server + "/"));
        assertArrayEquals(first, store.read(segmentKey(server, segment)).orElseThrow(), "stored object changed");
    }

    @ParameterizedTest
    @EnumSource(StoreKind.class)
    void archivingTheSameContentAgainSucceedsWithAWarning(StoreKind kind, TestInfo test) {
        ArchiveStore store = store(kind);
        String server = serverFor(store, test);
        String segment = Wal.segmentName(1, 0x60);
        byte[] content = Wal.syntheticSegment(60);

        ToolResult duplicate = archiveTwice(store, server, segment, content, content.clone());

        assertEquals(0, duplicate.exitCode(), duplicate::describe);
        assertTrue(duplicate.stderr().contains(segment) && duplicate.stderr().contains("WARNING"),
                () -> "no warning naming the segment\n" + duplicate.describe());
        assertArrayEquals(content, store.read(segmentKey(server, segment)).orElseThrow());
    }

    @ParameterizedTest
    @EnumSource(StoreKind.class)
    void restorePrefersTheFullSegmentOverItsPartial(StoreKind kind, TestInfo test) {
        ArchiveStore store = store(kind);
        String server = serverFor(store, test);
        String segment = Wal.segmentName(1, 0x70);
        byte[] full = Wal.syntheticSegment(70);
        byte[] partial = Wal.syntheticSegment(71);
        // the .partial is archived last, so "newest wins" or "last listed wins" would pick it
        assertEquals(0, store.walArchive(server, Wal.write(dir(server), segment, full)).run().exitCode());
        ToolResult archivedPartial =
                store.walArchive(server, Wal.write(dir(server), segment + ".partial", partial)).run();
        assertEquals(0, archivedPartial.exitCode(), archivedPartial::describe);
        assertEquals(List.of(segmentKey(server, segment), segmentKey(server, segment) + ".partial"),
                store.keys(server + "/"));

        Path destination = work.resolve(server + "-restored");
        ToolResult restored = store.walRestore(server, segment, destination).run();

        assertEquals(0, restored.exitCode(), restored::describe);
        assertArrayEquals(full, Wal.read(destination), "restored the .partial instead of the full segment");
    }

    @ParameterizedTest
    @EnumSource(StoreKind.class)
    void restoreFallsBackToAPartialUnlessToldNoPartial(StoreKind kind, TestInfo test) {
        ArchiveStore store = store(kind);
        String server = serverFor(store, test);
        String segment = Wal.segmentName(1, 0x80);
        byte[] partial = Wal.syntheticSegment(80);
        ToolResult archived = store.walArchive(server, Wal.write(dir(server), segment + ".partial", partial)).run();
        assertEquals(0, archived.exitCode(), archived::describe);

        Path destination = work.resolve(server + "-restored");
        ToolResult restored = store.walRestore(server, segment, destination).run();
        assertEquals(0, restored.exitCode(), restored::describe);
        assertArrayEquals(partial, Wal.read(destination));

        Path ignoringPartials = work.resolve(server + "-no-partial");
        ToolResult noPartial = store.walRestore(server, segment, ignoringPartials, "--no-partial").run();
        assertEquals(1, noPartial.exitCode(), noPartial::describe);
        assertFalse(Files.exists(ignoringPartials));
    }

    // ---------------------------------------------------------------- helpers

    /** Archives {@code first} as {@code segment} (must succeed), then {@code second} from another directory. */
    private ToolResult archiveTwice(ArchiveStore store, String server, String segment, byte[] first, byte[] second) {
        ToolResult archived = store.walArchive(server, Wal.write(dir(server + "-first"), segment, first)).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        return store.walArchive(server, Wal.write(dir(server + "-second"), segment, second)).run();
    }

    private static void assertNoStackTrace(ToolResult result) {
        assertFalse(STACK_FRAME.matcher(result.output()).find(), () -> "stack trace printed\n" + result.describe());
        assertFalse(result.output().contains("Exception in thread"), () -> "uncaught exception\n" + result.describe());
    }

    private static String segmentKey(String server, String segment) {
        return server + "/wals/" + Wal.hashDir(segment) + "/" + segment;
    }

    private String kind(ArchiveStore store) {
        return store == fileStore ? "file" : "s3";
    }

    /** A server name of its own per test and store, so cases never see each other's objects. */
    private String serverFor(ArchiveStore store, TestInfo test) {
        return test.getTestMethod().orElseThrow().getName() + "-" + kind(store);
    }

    private Path dir(String name) {
        try {
            return Files.createDirectories(work.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
