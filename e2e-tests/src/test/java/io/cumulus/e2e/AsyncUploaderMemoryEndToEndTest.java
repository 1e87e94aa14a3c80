package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --async} uploader's memory bound: eight uploads at a time of 16 MiB segments to S3Proxy
 * (each buffered whole for its PUT) need 128 MiB of buffers, more than the 96 MiB heap given here. The
 * uploads share half the heap, so fewer buffer at once and every file is stored; the old uploader
 * died in "wal-upload" threads with OutOfMemoryError and left their files unmarked.
 */
class AsyncUploaderMemoryEndToEndTest {

    private static final String SERVER = "pg-async-memory";
    private static final int SEGMENTS = 24;
    private static final long SEGMENT_SIZE = 16L << 20;
    private static final String HEAP = "-Xmx96m";

    @TempDir
    Path dir;

    private S3ArchiveStore store;
    private Path spool;

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(spool == null ? null : () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, spool), store);
    }

    @Test
    void eightUploadsOf16MiBSegmentsInA96MiBHeapStoreEveryFileWithoutRunningOutOfMemory() throws IOException {
        store = S3ArchiveStore.start("e2e-async-memory", "cluster");
        spool = Files.createDirectories(dir.resolve("spool"));
        Path pgWal = Files.createDirectories(dir.resolve("pg_wal"));
        Path status = Files.createDirectories(pgWal.resolve("archive_status"));
        List<String> names = new ArrayList<>();
        for (int s = 1; s <= SEGMENTS; s++) {
            String name = String.format("0000000100000000000000%02X", s);
            try (RandomAccessFile file = new RandomAccessFile(pgWal.resolve(name).toFile(), "rw")) {
                file.setLength(SEGMENT_SIZE); // sparse: the upload still reads and buffers 16 MiB
            }
            Files.createFile(status.resolve(name + ".ready"));
            names.add(name);
        }

        ToolResult first = store.walArchive(SERVER, pgWal.resolve(names.get(0)), "--async", "--spool-dir",
                spool.toString(), "--max-parallel", "8", "--async-idle-timeout", "10")
                .env("CUMULUS_JVM_FLAGS", HEAP).timeout(Duration.ofMinutes(2)).run();
        assertEquals(0, first.exitCode(), first::describe);

        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (segments(store.keys(SERVER + "/wals/")).size() < SEGMENTS && System.nanoTime() < deadline) {
            Archiver.sleep(Duration.ofMillis(500));
        }
        List<String> stored = segments(store.keys(SERVER + "/wals/"));
        String log = uploaderLog();
        assertFalse(log.contains("OutOfMemoryError") || log.contains("out of memory"), log);
        assertEquals(SEGMENTS, stored.size(), () -> stored + "\n" + log);
        assertTrue(stored.contains(SERVER + "/wals/0000000100000000/" + names.get(SEGMENTS - 1)), stored::toString);
    }

    /**
     * The stored segments among {@code keys}: S3Proxy's filesystem backend shows an upload in progress
     * as a file named after its key and a random suffix, which counted as a segment stored.
     */
    private static List<String> segments(List<String> keys) {
        return keys.stream().filter(k -> k.matches(".*/[0-9A-F]{24}")).toList();
    }

    private String uploaderLog() throws IOException {
        try (Stream<Path> files = Files.walk(spool)) {
            List<Path> logs = files.filter(p -> p.getFileName().toString().equals("uploader.log")).toList();
            StringBuilder text = new StringBuilder();
            for (Path log : logs) {
                text.append(Files.readString(log));
            }
            return text.toString();
        }
    }
}
