package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code support/install.sh PREFIX} upgrades an installation on a live host: each release goes to its own
 * directory and {@code PREFIX/bin}'s launchers are switched by renames, so a tool that runs from the
 * earlier release is never disturbed (a copy over a live installation rewrote the AOT cache every running
 * JVM maps, and they crashed with SIGBUS, exit 134), and the tools run from the new one.
 */
class InstallScriptTest {

    private Path work;

    @BeforeEach
    void createWork() throws IOException {
        work = PostgresUser.createTempDir("cumulus-install-");
    }

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(() -> PostgresUser.deleteRecursively(work));
    }

    private static Path installScript() {
        return Tools.bin().getParent().resolve("support/install.sh");
    }

    private static ToolResult install(Path prefix) {
        return Command.of(Path.of("/bin/sh"), installScript().toString(), prefix.toString()).run();
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    @Test
    void anUpgradeLeavesTheRunningReleaseUntouchedAndSwitchesTheLaunchers() throws Exception {
        Path prefix = work.resolve("opt-cumulus");
        ToolResult first = install(prefix);
        assertEquals(0, first.exitCode(), first::describe);
        Path launcher = prefix.resolve("bin/cumulus-wal-restore");
        Path firstRelease = launcher.toRealPath().getParent().getParent().getParent();
        assertTrue(firstRelease.startsWith(prefix.resolve("releases")), firstRelease.toString());
        Path mapped = firstRelease.resolve("cli-restore/lib");
        Path cache = Files.exists(mapped.resolve("aot.cache")) ? mapped.resolve("aot.cache") : mapped.resolve("cds.jsa");
        Object cacheBefore = fileKey(cache);
        byte[] cacheBytes = Files.readAllBytes(cache);

        // a call that runs across the upgrade: it retries an endpoint nobody answers for 8 s, then exits 2
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CompletableFuture<ToolResult> running = CompletableFuture.supplyAsync(() -> Command.of(launcher,
                "--endpoint-url", "http://127.0.0.1:" + closedPort, "--retry-timeout", "8", "s3://bucket/pg", "main",
                "000000010000000000000001", work.resolve("restored").toString())
                .env("AWS_ACCESS_KEY_ID", "cumulus-test-access").env("AWS_SECRET_ACCESS_KEY", "secret")
                .env("AWS_DEFAULT_REGION", "us-east-1").run());
        Thread.sleep(2_000);
        ToolResult second = install(prefix);
        assertEquals(0, second.exitCode(), second::describe);
        assertTrue(second.stdout().contains("earlier installations") && second.stdout().contains(firstRelease.toString()),
                second::describe);

        ToolResult across = running.get();
        assertEquals(2, across.exitCode(), "the call running from the first release ends as it would have: "
                + across.describe());
        assertEquals(cacheBefore, fileKey(cache), "the first release's files are not replaced");
        assertArrayEquals(cacheBytes, Files.readAllBytes(cache), "nor written to");
        Path secondRelease = launcher.toRealPath().getParent().getParent().getParent();
        assertNotEquals(firstRelease, secondRelease);
        assertEquals(secondRelease, prefix.resolve("current").toRealPath());

        // the new release's tools work through PREFIX/bin
        Path wal = Wal.write(Files.createDirectories(work.resolve("pg_wal")), Wal.segmentName(1, 0x31),
                Wal.syntheticSegment(31));
        String url = "file://" + Files.createDirectories(work.resolve("store"));
        ToolResult archived = Command.of(prefix.resolve("bin/cumulus-wal-archive"), url, "main", wal.toString()).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        ToolResult restored = Command.of(launcher, url, "main", wal.getFileName().toString(),
                work.resolve("back").toString()).run();
        assertEquals(0, restored.exitCode(), restored::describe);
        assertArrayEquals(Files.readAllBytes(wal), Files.readAllBytes(work.resolve("back")));
    }

    @Test
    void anInstallationCopiedInPlaceIsTakenOverWithoutTouchingItsToolDirectories() throws Exception {
        Path prefix = work.resolve("opt-cumulus");
        Command.of(Path.of("/bin/cp"), "-a", Tools.bin().getParent().toString(), prefix.toString()).runSuccessfully();
        Path oldJar = prefix.resolve("cli-wal-archive/cli-wal-archive.jar");
        Object oldJarKey = fileKey(oldJar);

        ToolResult installed = install(prefix);

        assertEquals(0, installed.exitCode(), installed::describe);
        Path launcher = prefix.resolve("bin/cumulus-wal-archive").toRealPath();
        assertTrue(launcher.startsWith(prefix.resolve("releases")), launcher.toString());
        assertEquals(oldJarKey, fileKey(oldJar), "the copied installation's files are left for what runs from them");
        assertTrue(installed.stdout().contains(prefix.resolve("cli-wal-archive").toString()), installed::describe);
        ToolResult version = Command.of(prefix.resolve("bin/cumulus-wal-archive"), "-V").run();
        assertEquals(0, version.exitCode(), version::describe);
    }

    @Test
    void aRelativePrefixOrOneInsideTheBuildIsRefused() {
        ToolResult relative = install(Path.of("opt/cumulus"));
        assertEquals(2, relative.exitCode(), relative::describe);
        ToolResult inside = install(Tools.bin().getParent().resolve("installed"));
        assertEquals(2, inside.exitCode(), inside::describe);
        assertFalse(Files.exists(Tools.bin().getParent().resolve("installed")));
    }
}
