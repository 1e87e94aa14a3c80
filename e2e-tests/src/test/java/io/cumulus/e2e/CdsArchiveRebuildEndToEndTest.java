package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * support/cds-archive.sh as installing.md has the DBA run it, on a live host: as root, under a hardened
 * umask, on an installed copy, while PostgreSQL's restore_command calls go on as the postgres user with no
 * java on PATH (the server's environment where Java lives under /opt or /usr/lib/jvm only). Those calls
 * run on the packaged Java 25 of lib/aot.java: the script removed it first, and every call of the next
 * two seconds failed ("exec: java: not found", stopping archive recovery); written under umask 077 it
 * was unreadable to postgres, and every call logged "Permission denied".
 */
class CdsArchiveRebuildEndToEndTest {

    private final Path work = PostgresUser.createTempDir("cumulus-cds-rebuild-");
    private final FileArchiveStore store = new FileArchiveStore();

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(store, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void restoreCallsDuringARebuildByRootUnderUmask077AllSucceedAndStaySilent() throws Exception {
        Path dist = Tools.bin().getParent();
        Assumptions.assumeTrue(Files.exists(dist.resolve("cli-restore/lib/aot.java")),
                "the tools were packaged with a Java 25, the runtime PostgreSQL's calls run on");
        Path installed = Files.createDirectories(work.resolve("opt-cumulus"));
        for (String part : List.of("cli-restore", "support")) {
            Command.of(Path.of("/bin/cp"), "-a", dist.resolve(part).toString(), installed.toString()).runSuccessfully();
        }
        Path tool = installed.resolve("cli-restore");
        Path walRestore = tool.resolve("bin/cumulus-wal-restore");
        Path noJava = pathWithoutJava();

        // a segment in a file:// store, and a data directory in archive recovery, where a failure is exit 128
        String segment = Wal.segmentName(1, 0x31);
        Path pgWal = Files.createDirectories(work.resolve("data/pg_wal"));
        Path wal = Wal.write(pgWal, segment, Wal.syntheticSegment(31));
        Files.writeString(work.resolve("data/recovery.signal"), "");
        try (Stream<Path> files = Files.walk(work.resolve("data"))) {
            files.forEach(PostgresUser::chown);
        }
        ToolResult archived = Tools.command("cumulus-wal-archive", store.url(), "main", wal.toString()).asPostgres().run();
        assertEquals(0, archived.exitCode(), archived::describe);

        AtomicBoolean rebuilding = new AtomicBoolean(true);
        List<ToolResult> calls = new ArrayList<>();
        CompletableFuture<Void> postgres = CompletableFuture.runAsync(() -> {
            while (rebuilding.get()) {
                calls.add(Command.of(Path.of("/usr/bin/env"), "-i", "PATH=" + noJava, walRestore.toString(), store.url(), "main",
                        segment, "pg_wal/RECOVERYXLOG").asPostgres().directory(work.resolve("data")).run());
            }
        });
        ToolResult rebuilt;
        try {
            rebuilt = Command.of(Path.of("/bin/sh"), "-c", "umask 077; exec sh \"$0\" \"$1\"",
                    installed.resolve("support/cds-archive.sh").toString(), tool.toString()).run();
        } finally {
            rebuilding.set(false);
            postgres.get();
        }
        assertEquals(0, rebuilt.exitCode(), rebuilt::describe);
        assertTrue(calls.size() >= 3, "calls made during the rebuild: " + calls.size());
        for (ToolResult call : calls) {
            assertEquals(0, call.exitCode(), call::describe);
            assertEquals("", call.stderr(), call::describe);
        }

        // after it, as before: every file it wrote is readable by postgres, and a call says nothing
        for (String file : List.of("aot.java", "aot.cache", "cds.jsa", "cds.jsa.size", "azure/aot.cache", "gcs/aot.cache")) {
            Path written = tool.resolve("lib").resolve(file);
            if (Files.exists(written)) {
                assertTrue(Files.getPosixFilePermissions(written).contains(PosixFilePermission.OTHERS_READ), written::toString);
            }
        }
        Files.deleteIfExists(pgWal.resolve("RECOVERYXLOG"));
        ToolResult after = Command.of(Path.of("/usr/bin/env"), "-i", "PATH=" + noJava, walRestore.toString(), store.url(), "main",
                segment, "pg_wal/RECOVERYXLOG").asPostgres().directory(work.resolve("data")).run();
        assertEquals(0, after.exitCode(), after::describe);
        assertEquals("", after.stderr(), after::describe);
        assertArrayEquals(Files.readAllBytes(wal), Files.readAllBytes(pgWal.resolve("RECOVERYXLOG")));
    }

    /** A directory of links to everything in /usr/bin but java: PostgreSQL's PATH on a host without java on it. */
    private Path pathWithoutJava() throws IOException {
        Path bin = Files.createDirectories(work.resolve("no-java-bin"));
        try (Stream<Path> commands = Files.list(Path.of("/usr/bin"))) {
            for (Path command : commands.toList()) {
                if (!command.getFileName().toString().equals("java")) {
                    Files.createSymbolicLink(bin.resolve(command.getFileName()), command);
                }
            }
        }
        return bin;
    }
}
