package io.cumulus.core.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryWatchTest {

    private static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    Path directory;

    @Test
    void aWaitEndsWhenAFileIsCreated() throws Exception {
        try (DirectoryWatch watch = DirectoryWatch.on(directory, StandardWatchEventKinds.ENTRY_CREATE)) {
            assumeTrue(watch.reportsChanges(), "this file system reports no changes");
            Thread creator = new Thread(() -> {
                try {
                    Thread.sleep(200);
                    Files.write(directory.resolve("000000010000000000000001.ready"), new byte[0]);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            creator.start();
            long waited = timed(() -> watch.await(LONG));
            creator.join();
            assertTrue(waited < LONG.toMillis() / 3, "waited " + waited + " ms for a file created after 200 ms");
        }
    }

    @Test
    void aFileRemovedBeforeTheWaitIsNotMissed() throws Exception {
        try (DirectoryWatch watch = DirectoryWatch.on(directory, StandardWatchEventKinds.ENTRY_DELETE)) {
            assumeTrue(watch.reportsChanges(), "this file system reports no changes");
            Path file = Files.write(directory.resolve("segment"), new byte[0]);
            Files.delete(file);
            long waited = timed(() -> watch.await(LONG));
            assertTrue(waited < LONG.toMillis() / 3, "waited " + waited + " ms after a file was removed");
        }
    }

    @Test
    void withNothingHappeningAWaitLastsTheTimeGiven() throws Exception {
        try (DirectoryWatch watch = DirectoryWatch.on(directory, StandardWatchEventKinds.ENTRY_CREATE)) {
            long waited = timed(() -> watch.await(Duration.ofMillis(300)));
            assertTrue(waited >= 250, "waited only " + waited + " ms");
        }
    }

    @Test
    void aDirectoryThatCannotBeWatchedOnlyWaits() throws Exception {
        try (DirectoryWatch watch = DirectoryWatch.on(directory.resolve("missing"),
                StandardWatchEventKinds.ENTRY_CREATE)) {
            long waited = timed(() -> watch.await(Duration.ofMillis(300)));
            assertTrue(waited >= 250, "waited only " + waited + " ms");
        }
    }

    private interface Wait {
        void run() throws InterruptedException;
    }

    private static long timed(Wait wait) throws InterruptedException {
        long start = System.nanoTime();
        wait.run();
        return (System.nanoTime() - start) / 1_000_000;
    }
}
