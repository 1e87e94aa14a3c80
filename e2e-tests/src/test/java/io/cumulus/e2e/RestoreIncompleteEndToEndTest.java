package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-restore against a backup that is not whole, or a disk that fills: a Cumulus backup of a
 * real PostgreSQL 15 in 4 MB parts, copied per test and then damaged as a store or a copy by hand can
 * damage it (a part or the manifest deleted, an object cut short). The restore exits 1 naming what is
 * missing, and never leaves a directory PostgreSQL starts from; a full disk is named with the fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreIncompleteEndToEndTest {

    private static final String SERVER = "pg-parts";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private FileArchiveStore file;
    private PgCluster source;
    private Path work;
    private String backupId;
    private String archivedWal;
    private int copies;

    @BeforeAll
    void backUpInSmallParts() {
        work = PostgresUser.createTempDir("cumulus-restore-incomplete-");
        file = new FileArchiveStore();
        source = PgCluster.builder().archiveCommand(file.archiveCommand(SERVER)).start();
        source.execute("CREATE TABLE filler AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 100000) g");
        archivedWal = source.switchWal();
        source.awaitArchived(archivedWal, Duration.ofSeconds(90));
        backupId = Backups.backupSucceeds(file, source, SERVER, "--immediate-checkpoint", "-S", "4MB");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, file, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void middlePartAndManifestDeletedIsExitOneAndRestoresNothing() throws IOException {
        Path backup = copyOfTheBackup();
        List<String> parts = dataParts(backup);
        assertTrue(parts.size() >= 4, parts.toString());
        Files.delete(backup.resolve(parts.get(2)));
        Files.delete(backup.resolve("backup_manifest"));
        Path data = work.resolve("middle/data");

        ToolResult restore = restore(backup, data);

        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("backup " + backupId + " is incomplete: " + parts.get(2)
                + " is missing"), restore::describe);
        assertTrue(restore.stderr().contains("nothing was restored"), restore::describe);
        assertFalse(Files.exists(data));
    }

    @Test
    void lastPartDeletedIsExitOneForWantOfBackupLabel() throws IOException {
        Path backup = copyOfTheBackup();
        List<String> parts = dataParts(backup);
        Files.delete(backup.resolve(parts.get(parts.size() - 1)));
        Files.delete(backup.resolve("backup_manifest"));
        Path data = work.resolve("last/data");

        ToolResult restore = restore(backup, data);

        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("hold no backup_label"), restore::describe);
        assertDoesNotStart(data);
    }

    @Test
    void dataTarCutAtAMemberBoundaryIsExitOneAndLeavesACopyPostgresRefuses() throws IOException {
        Path backup = copyOfTheBackup();
        Files.delete(backup.resolve("backup_manifest"));
        Path archive = backup.resolve("data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        List<Integer> members = memberOffsets(bytes);
        Files.write(archive, Arrays.copyOf(bytes, members.get(members.size() / 2)));
        Path data = work.resolve("cut/data");

        ToolResult restore = restore(backup, data);

        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("is incomplete: "), restore::describe);
        assertTrue(restore.stderr().contains("data.tar is cut short (it ends without tar's end-of-archive marker"),
                restore::describe);
        assertTrue(restore.stderr().contains("restore another backup"), restore::describe);
        assertDoesNotStart(data);
    }

    @Test
    void partCutInsideAMemberFailsMidwayAndPostgresRefusesTheCopyEvenWithRecoveryConfigured() throws IOException {
        Path backup = copyOfTheBackup();
        List<String> parts = dataParts(backup);
        Path archive = backup.resolve(parts.get(parts.size() - 2));
        byte[] bytes = Files.readAllBytes(archive);
        Files.write(archive, Arrays.copyOf(bytes, bytes.length / 2 + 100));
        Path data = work.resolve("midway/data");

        ToolResult restore = restore(backup, data, "--recovery-target", "immediate", "-J", "3");

        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains(parts.get(parts.size() - 2) + " is cut short"), restore::describe);
        assertTrue(restore.stderr().contains(data + " is incomplete (it has no global/pg_control"), restore::describe);
        assertTrue(restore.stderr().contains("empty it and re-run cumulus-restore"), restore::describe);
        assertFalse(Files.exists(data.resolve("recovery.signal")));
        // what PostgreSQL's hint suggests for a copy with backup_label: it must still refuse
        Files.write(data.resolve("recovery.signal"), new byte[0]);
        Files.writeString(data.resolve("postgresql.auto.conf"), "restore_command = '"
                + file.restoreCommand(SERVER).replace("'", "''") + "'\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);
        assertDoesNotStart(data);
    }

    @Test
    void fullDiskIsNamedWithTheFixAndLeavesACopyPostgresRefuses() throws IOException {
        Path backup = copyOfTheBackup();
        try (SmallFileSystem small = SmallFileSystem.mount(work.resolve("small"), "8m")) {
            Path data = small.directory().resolve("data");

            ToolResult restore = restore(backup, data);

            assertEquals(4, restore.exitCode(), restore::describe);
            assertTrue(restore.stderr().contains("cannot write " + data + "/"), restore::describe);
            assertTrue(restore.stderr().contains("No space left on device; free space on its file system"),
                    restore::describe);
            assertTrue(restore.stderr().contains("empty it and re-run cumulus-restore"), restore::describe);
            assertEquals(1, restore.stderr().lines().filter(l -> l.contains("No space left")).count(),
                    restore::describe);
            assertFalse(Files.exists(data.resolve("global/pg_control")));
        }
    }

    @Test
    void walRestoreIntoAFullPgWalNamesTheDirectoryAndLeavesNoFile() throws IOException {
        try (SmallFileSystem small = SmallFileSystem.mount(work.resolve("small-wal"), "1m")) {
            Path destination = small.directory().resolve("RECOVERYXLOG");

            ToolResult restore = Tools.command("cumulus-wal-restore", file.url(), SERVER, archivedWal,
                    destination.toString()).asPostgres().timeout(TIMEOUT).run();

            assertEquals(4, restore.exitCode(), restore::describe);
            assertTrue(restore.stderr().contains("cannot write " + archivedWal + " into " + small.directory()
                    + ": No space left on device; free space on its file system"), restore::describe);
            // nor a promise that PostgreSQL asks again: during archive recovery, the next line stops it
            assertFalse(restore.stderr().contains("asks for the file again"), restore::describe);
            try (Stream<Path> left = Files.list(small.directory())) {
                assertEquals(List.of(), left.toList());
            }
        }
    }

    /** PostgreSQL started on {@code data} fails: it has no global/pg_control. */
    private void assertDoesNotStart(Path data) {
        assertFalse(Files.exists(data.resolve("global/pg_control")), "global/pg_control is in place");
        assertTrue(Files.exists(data.resolve("CUMULUS_RESTORE_INCOMPLETE")), "no CUMULUS_RESTORE_INCOMPLETE");
        Path log = data.resolveSibling("start.log");
        ToolResult start = Command.of(PgCluster.PG_BIN.resolve("pg_ctl"), "-D", data.toString(), "-l",
                log.toString(), "-w", "-t", "30", "-o", "-p " + io.cumulus.testsupport.Ports.freeLoopbackPort(), "start")
                .asPostgres().timeout(Duration.ofMinutes(1)).run();
        assertNotEquals(0, start.exitCode(), start::describe);
    }

    /** A copy of the backup as the only one of a server of its own; returns its directory in the store. */
    private Path copyOfTheBackup() {
        String server = "copy-" + ++copies;
        Path copy = file.root().resolve(server + "/base/" + backupId);
        Command.of("mkdir", "-p", copy.getParent().toString()).asPostgres().runSuccessfully();
        Command.of("cp", "-r", file.root().resolve(SERVER + "/base/" + backupId).toString(),
                copy.getParent().toString()).asPostgres().runSuccessfully();
        return copy;
    }

    private ToolResult restore(Path backup, Path data, String... options) {
        Path parent = data.getParent();
        if (!Files.exists(parent) && parent.startsWith(work)) {
            Command.of("mkdir", "-p", parent.toString()).asPostgres().runSuccessfully();
        }
        String server = backup.getParent().getParent().getFileName().toString();
        return Tools.command("cumulus-restore", options).args(file.url(), server, backupId, data.toString())
                .asPostgres().timeout(TIMEOUT).run();
    }

    private static List<String> dataParts(Path backup) throws IOException {
        try (Stream<Path> entries = Files.list(backup)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.matches("data(_\\d{4})?\\.tar"))
                    .sorted().toList();
        }
    }

    /** Where each member of a plain tar archive begins (its PAX header, when it has one). */
    private static List<Integer> memberOffsets(byte[] tar) {
        return TarMembers.of(tar).stream().map(TarMembers.Member::start).toList();
    }

    /** A tmpfs of a few megabytes the PostgreSQL user owns: a disk that fills. Needs root; skipped otherwise. */
    private record SmallFileSystem(Path directory) implements AutoCloseable {

        static SmallFileSystem mount(Path directory, String size) {
            assumeTrue(PostgresUser.switchesUser(), "mounting a small file system needs root");
            try {
                Files.createDirectories(directory);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            ToolResult mount = Command.of("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", directory.toString())
                    .run();
            assumeTrue(mount.exitCode() == 0, () -> "cannot mount a tmpfs here: " + mount.describe());
            PostgresUser.chown(directory);
            return new SmallFileSystem(directory);
        }

        @Override
        public void close() {
            Command.of("umount", directory.toString()).runSuccessfully();
        }
    }
}
