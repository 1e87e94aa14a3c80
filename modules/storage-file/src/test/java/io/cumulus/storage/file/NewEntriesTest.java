package io.cumulus.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NewEntriesTest {

    @TempDir
    Path temp;

    /**
     * Root that may not chown (no CAP_CHOWN: a hardened unit, a container) writing into postgres's 0700
     * store: what it creates is made as the umask alone makes it, readable by the store's owner, as
     * before the modes were narrowed, rather than private to root (postgres's tools then could not read
     * the catalog). After the first refusal, no more attempts.
     */
    @Test
    void whenRootMayNotGiveEntriesAwayTheyAreMadeAsTheUmaskAloneMakesThem() throws IOException {
        String umaskFile = PosixFilePermissions.toString(Files.getPosixFilePermissions(
                Files.createFile(temp.resolve("reference-file"))));
        String umaskDir = PosixFilePermissions.toString(Files.getPosixFilePermissions(
                Files.createDirectory(temp.resolve("reference-dir"))));
        assumeTrue(umaskFile.endsWith("r--"), "this JVM's umask leaves others nothing to keep");
        Path root = Files.createDirectory(temp.resolve("store"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        assumeTrue("root".equals(System.getProperty("user.name")), "only root may give the store to another user");
        Files.setOwner(root, root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("daemon"));
        AtomicInteger attempts = new AtomicInteger();
        NewEntries entries = NewEntries.under(root, true, (path, owner, group) -> {
            attempts.incrementAndGet();
            throw new java.nio.file.AccessDeniedException(path.toString(), null, "Operation not permitted");
        });
        entries.createDirectory(root.resolve("srv"));
        entries.createDirectory(root.resolve("srv/base"));
        try (FileChannel channel = entries.createFile(root.resolve("srv/base/data.tar"))) {
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
        }

        assertEquals(umaskDir, PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("srv"))));
        assertEquals(umaskDir, PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("srv/base"))));
        assertEquals(umaskFile, PosixFilePermissions.toString(Files.getPosixFilePermissions(
                root.resolve("srv/base/data.tar"))));
        assertEquals(1, attempts.get(), "one refusal is enough");
    }
}
