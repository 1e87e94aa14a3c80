package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spool entries are the owner's only, whatever the umask (the test JVM's is usually 022): the spools
 * hold archive_command's arguments (an endpoint password), error texts and WAL contents. Entries left
 * wider by an earlier run (a call by hand with umask 022, an earlier release) are narrowed.
 */
class SpoolPermissionsTest {

    private static final String WAL = "000000010000000000000007";

    @TempDir
    Path temp;

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    /** Every entry under {@code directory}, itself included: directories rwx------, files rw-------. */
    private static void assertPrivate(Path directory) throws IOException {
        try (Stream<Path> entries = Files.walk(directory)) {
            for (Path entry : entries.toList()) {
                assertEquals(Files.isDirectory(entry) ? "rwx------" : "rw-------", mode(entry), entry.toString());
            }
        }
    }

    @Test
    void theArchiveSpoolIsTheOwnersOnly() throws IOException {
        Path spoolDir = temp.resolve("spool");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, ArchiveSpool.keyOf(List.of("--endpoint-url",
                "http://minio:pw@host", "s3://b/p", "main"))).create();
        spool.recordArguments(List.of("--endpoint-url", "http://minio:pw@host", "s3://b/p", "main"), temp);
        spool.makeCurrent();
        spool.markCalled();
        spool.markUploaderRunning();
        spool.markUploading(WAL);
        spool.markError("000000010000000000000008", new ArchiveSpool.Failure(4, "access denied"));
        spool.markOk(WAL, "", FileTime.fromMillis(0));
        spool.markUploaderFailed(4, "cannot start");
        FileLock lock = spool.tryLockUploader().orElseThrow();
        lock.channel().close();
        assertEquals(14, countEntries(spoolDir),
                "spool, archive-out, current and its lock, KEY and its 9 files (data-directory and called too)");
        assertPrivate(spoolDir);
    }

    @Test
    void entriesLeftWiderByAnEarlierRunAreNarrowed() throws IOException {
        Path spoolDir = Files.createDirectories(temp.resolve("spool"));
        List<String> arguments = List.of("--endpoint-url", "http://minio:pw@host", "s3://b/p", "main");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, ArchiveSpool.keyOf(arguments));
        Files.createDirectories(spool.directory());
        Files.writeString(spool.directory().resolve("arguments"), String.join("\n", arguments) + "\n");
        Files.writeString(spool.directory().resolve(WAL + ".uploading"), "");
        for (Path wide : List.of(spool.directory().getParent(), spool.directory())) {
            Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (Path wide : List.of(spool.directory().resolve("arguments"), spool.directory().resolve(WAL + ".uploading"))) {
            Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rw-r--r--"));
        }
        spool.create().recordArguments(arguments, temp);
        spool.markUploading(WAL);
        assertPrivate(spool.directory().getParent());
        assertEquals("rwxr-xr-x", mode(spoolDir), "the --spool-dir given is the user's, not changed");
    }

    @Test
    void thePrefetchSpoolAndItsSegmentsAreNeverWorldReadable() throws IOException {
        RestoreSpool spool = new RestoreSpool(temp.resolve("spool"), "0123456789abcdef").open();
        spool.markFetching(WAL);
        spool.recordRequest(WAL);
        spool.tryLockPrefetcher().orElseThrow().channel().close();
        assertPrivate(temp.resolve("spool"));
        InMemoryBlobStore store = new InMemoryBlobStore();
        ObjectWrites.write(store, "pg/wals/0000000100000000/" + WAL, WriteOptions.DEFAULT,
                out -> out.write(new byte[1 << 20]));
        new WalRestorer(store, new ServerLayout("", "pg")).restore(WalName.parse(WAL), spool.pathOf(WAL), false);
        String segment = mode(spool.pathOf(WAL));
        assertTrue(segment.equals("rw-r-----") || segment.equals("rw-------"), segment);
    }

    private static long countEntries(Path directory) throws IOException {
        try (Stream<Path> entries = Files.walk(directory)) {
            return entries.count();
        }
    }
}
