package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directories of keys archive_command no longer uses are removed by the next uploader, the others kept. */
class ArchiveSpoolUnusedKeysTest {
    private static final List<String> OLD_OPTIONS = List.of("--async", "--spool-dir", "/s", "s3://old/pg", "main");
    private static final List<String> NEW_OPTIONS = List.of("--async", "--spool-dir", "/s", "s3://new/pg", "main");

    @TempDir
    Path spoolDir;

    @TempDir
    Path dataDirectory;

    @TempDir
    Path otherDataDirectory;

    private ArchiveSpool inUse(List<String> options, Path directory) throws IOException {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, ArchiveSpool.keyOf(options, directory)).create();
        spool.recordArguments(options, directory);
        spool.makeCurrent();
        spool.markCalled();
        Files.writeString(spool.directory().resolve("000000010000000000000001.ok"), "stored\n");
        return spool;
    }

    /** Makes every entry of the spool's directory, and the directory, look untouched since {@code ago} ago. */
    private static void untouchedFor(ArchiveSpool spool, java.time.Duration ago) throws IOException {
        FileTime then = FileTime.from(Instant.now().minus(ago));
        try (Stream<Path> files = Files.list(spool.directory())) {
            for (Path file : files.toList()) {
                Files.setLastModifiedTime(file, then);
            }
        }
        Files.setLastModifiedTime(spool.directory(), then);
    }

    @Test
    void aKeyReplacedByAnotherArchiveCommandIsRemovedOnceUntouchedForAWhile() throws Exception {
        ArchiveSpool old = inUse(OLD_OPTIONS, dataDirectory);
        ArchiveSpool current = inUse(NEW_OPTIONS, dataDirectory);
        untouchedFor(old, ArchiveSpool.UNUSED.plusMinutes(1));

        current.removeUnusedKeys();

        assertFalse(Files.exists(old.directory()), "the replaced key's directory is removed");
        assertTrue(Files.exists(current.directory().resolve("000000010000000000000001.ok")), "its own marks are kept");
        assertTrue(current.isCurrent());
    }

    @Test
    void aReplacedKeyTouchedRecentlyIsKept() throws Exception {
        ArchiveSpool old = inUse(OLD_OPTIONS, dataDirectory);
        ArchiveSpool current = inUse(NEW_OPTIONS, dataDirectory);
        untouchedFor(old, ArchiveSpool.UNUSED.plusMinutes(1));
        old.markCalled(); // a call of the old archive_command, moments ago (before it makes its key current again)

        current.removeUnusedKeys();

        assertTrue(Files.exists(old.directory().resolve("000000010000000000000001.ok")));
    }

    @Test
    void theCurrentKeyOfAnotherDataDirectoryIsKeptHoweverOld() throws Exception {
        ArchiveSpool theirs = inUse(OLD_OPTIONS, otherDataDirectory); // a cluster sharing the spool, stopped for a day
        ArchiveSpool mine = inUse(NEW_OPTIONS, dataDirectory);
        untouchedFor(theirs, java.time.Duration.ofDays(1));

        mine.removeUnusedKeys();

        assertTrue(Files.exists(theirs.directory().resolve("000000010000000000000001.ok")));
        assertTrue(theirs.isCurrent());
    }

    @Test
    void aReplacedKeyWhoseUploaderStillRunsIsKept() throws Exception {
        ArchiveSpool old = inUse(OLD_OPTIONS, dataDirectory);
        ArchiveSpool current = inUse(NEW_OPTIONS, dataDirectory);
        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), UploaderHolder.class.getName(), spoolDir.toString(), old.key())
                .redirectErrorStream(true).start();
        try {
            assertEquals("holding", new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine());
            untouchedFor(old, ArchiveSpool.UNUSED.plusMinutes(1));

            current.removeUnusedKeys();

            assertTrue(Files.exists(old.directory().resolve("000000010000000000000001.ok")));
            assertTrue(old.uploaderRunning());
        } finally {
            holder.destroy();
            holder.waitFor();
        }
        current.removeUnusedKeys();
        assertFalse(Files.exists(old.directory()), "removed once its uploader is gone");
    }

    /** Runs in a child JVM: takes a key's uploader lock and waits. */
    public static final class UploaderHolder {
        public static void main(String[] args) throws Exception {
            FileLock lock = new ArchiveSpool(Path.of(args[0]), args[1]).tryLockUploader().orElseThrow();
            System.out.println("holding");
            System.out.flush();
            Thread.sleep(60_000);
            lock.release();
        }
    }
}
