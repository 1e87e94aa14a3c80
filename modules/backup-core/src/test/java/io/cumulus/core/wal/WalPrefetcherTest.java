package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.List;
import java.util.Random;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalPrefetcherTest {
    private static final long SEGMENT = 1L << 20;
    private static final ServerLayout LAYOUT = new ServerLayout("", "pg");

    @TempDir
    Path spoolDir;

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final List<String> failures = new CopyOnWriteArrayList<>();

    private byte[] archive(String name) throws IOException {
        byte[] content = new byte[(int) SEGMENT];
        new Random(name.hashCode()).nextBytes(content);
        WalName wal = WalName.parse(name);
        ObjectWrites.write(store, LAYOUT.walKey(wal, io.cumulus.core.compress.Compression.NONE), WriteOptions.DEFAULT,
                out -> out.write(content));
        return content;
    }

    private WalPrefetcher prefetcher(RestoreSpool spool, int window) {
        return prefetcher(new WalRestorer(store, LAYOUT), spool, window);
    }

    private WalPrefetcher prefetcher(WalRestorer restorer, RestoreSpool spool, int window) {
        return new WalPrefetcher(restorer, spool, window, 3, new WalPrefetcher.Listener() {
            @Override
            public void fetched(String wal) {
            }

            @Override
            public void failed(String wal, Exception failure) {
                failures.add(wal);
            }
        });
    }

    private RestoreSpool spool(String key) throws IOException {
        return new RestoreSpool(spoolDir, key).open();
    }

    /** Runs the worker in the background until it ends by itself (idle) or the test ends. */
    private Thread follow(RestoreSpool spool, int window, String start, Duration idle) {
        return follow(prefetcher(spool, window), start, idle);
    }

    private Thread follow(WalPrefetcher prefetcher, String start, Duration idle) {
        Thread worker = new Thread(() -> {
            try {
                prefetcher.follow(WalName.parse(start), SEGMENT, idle);
            } catch (Exception e) {
                failures.add(e.toString());
            }
        });
        worker.setDaemon(true);
        worker.start();
        return worker;
    }

    private static void await(String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static String seg(int timeline, int segment) {
        return String.format("%08X%08X%08X", timeline, 0, segment);
    }

    @Test
    void keepsAWindowOfSegmentsAheadAndRefillsItAsRecoveryConsumes() throws Exception {
        for (int i = 1; i <= 9; i++) {
            archive(seg(1, i));
        }
        RestoreSpool spool = spool("a1");
        Thread worker = follow(spool, 3, seg(1, 1), Duration.ofSeconds(30));
        await("three segments are ahead", () -> spool.segments().size() == 3);
        assertEquals(List.of(seg(1, 2), seg(1, 3), seg(1, 4)), spool.segments());
        Thread.sleep(300);
        assertEquals(3, spool.segments().size(), "the window is the bound");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertTrue(spool.take(seg(1, 2), dest));
        assertTrue(spool.take(seg(1, 3), dest));
        await("the window is refilled", () -> spool.segments().equals(List.of(seg(1, 4), seg(1, 5), seg(1, 6))));
        for (int i = 4; i <= 9; i++) {
            int n = i;
            await(seg(1, n) + " is spooled", () -> spool.contains(seg(1, n)));
            assertTrue(spool.take(seg(1, n), dest));
        }
        Thread.sleep(300);
        assertEquals(List.of(), spool.segments(), "nothing past the end of the archive");
        archive(seg(1, 10));
        await("a segment archived later is fetched (a standby)", () -> spool.contains(seg(1, 10)));
        assertEquals(List.of(), failures);
        worker.interrupt();
    }

    @Test
    void withAFullWindowTheWorkerWaitsForRecoveryInsteadOfLookingEveryFewMilliseconds() throws Exception {
        for (int i = 1; i <= 6; i++) {
            archive(seg(1, i));
        }
        RestoreSpool spool = spool("a7");
        WalPrefetcher prefetcher = prefetcher(spool, 2);
        Thread worker = follow(prefetcher, seg(1, 1), Duration.ofSeconds(30));
        await("the window is full", () -> spool.segments().size() == 2);
        Thread.sleep(200); // the last fetch is seen done
        long before = prefetcher.scans();
        Thread.sleep(1500);
        long scans = prefetcher.scans() - before;
        // every 10 ms, as the worker once did, is 150; waiting on the spool, a handful
        assertTrue(scans <= 12, scans + " looks at the spool in 1.5 s with nothing to fetch");
        assertTrue(spool.take(seg(1, 2), pgWal.resolve("RECOVERYXLOG")));
        await("the window is refilled", () -> spool.segments().equals(List.of(seg(1, 3), seg(1, 4))));
        assertEquals(List.of(), failures);
        worker.interrupt();
    }

    @Test
    void followsRecoveryToAnotherTimelineAndDropsWhatItPassed() throws Exception {
        for (int i = 1; i <= 8; i++) {
            archive(seg(1, i));
        }
        for (int i = 5; i <= 8; i++) {
            archive(seg(2, i));
        }
        RestoreSpool spool = spool("b2");
        Thread worker = follow(spool, 3, seg(1, 1), Duration.ofSeconds(30));
        await("timeline 1 is ahead", () -> spool.segments().size() == 3);
        // recovery switched to timeline 2 at segment 5; the tool fetched that one and says so
        spool.recordRequest(seg(2, 5));
        await("timeline 2 follows", () -> spool.segments().equals(List.of(seg(2, 6), seg(2, 7), seg(2, 8))));
        assertEquals(List.of(), failures);
        worker.interrupt();
    }

    @Test
    void aStartingWorkerDiscardsWhatAnEarlierOneLeftOutsideItsWindow() throws Exception {
        // an earlier recovery stopped at its target with 11..14 spooled; started again from an earlier
        // backup, recovery asks for 2: the leftovers filled the window, and nothing after 2 was prefetched
        for (int i = 1; i <= 6; i++) {
            archive(seg(1, i));
        }
        RestoreSpool spool = spool("a9");
        for (String leftover : List.of(seg(1, 1), seg(1, 0x11), seg(1, 0x12), seg(1, 0x13), seg(1, 0x14), seg(2, 3))) {
            Files.write(spool.pathOf(leftover), new byte[1]);
        }
        byte[] ahead = "spooled before, still ahead".getBytes();
        Files.write(spool.pathOf(seg(1, 3)), ahead);
        Thread worker = follow(spool, 4, seg(1, 2), Duration.ofSeconds(30));
        await("the window after 2 is filled", () -> spool.segments().equals(List.of(seg(1, 3), seg(1, 4), seg(1, 5), seg(1, 6))));
        assertArrayEquals(ahead, Files.readAllBytes(spool.pathOf(seg(1, 3))), "a segment within the window is kept");
        assertEquals(List.of(), failures);
        worker.interrupt();
    }

    @Test
    void endsWhenRecoveryAsksForNothingDuringTheIdleTime() throws Exception {
        archive(seg(1, 2));
        RestoreSpool spool = spool("c3");
        Thread worker = follow(spool, 4, seg(1, 1), Duration.ofMillis(500));
        worker.join(10_000);
        assertFalse(worker.isAlive());
        assertEquals(List.of(seg(1, 2)), spool.segments());
    }

    @Test
    void aSpooledSegmentIsMovedIntoPlaceWithItsContent() throws Exception {
        byte[] second = archive(seg(1, 2));
        RestoreSpool spool = spool("d4");
        follow(spool, 2, seg(1, 1), Duration.ofMillis(300)).join(10_000);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertTrue(spool.take(seg(1, 2), dest));
        assertArrayEquals(second, Files.readAllBytes(dest));
        assertFalse(spool.contains(seg(1, 2)));
        assertFalse(spool.take(seg(1, 3), dest));
    }

    @Test
    void discardsWhatRecoveryNoLongerNeedsIncludingOlderTimelines() throws Exception {
        RestoreSpool spool = spool("e5");
        for (String name : List.of(seg(1, 7), seg(1, 8), seg(2, 8), seg(2, 9))) {
            Files.write(spool.pathOf(name), new byte[1]);
        }
        spool.discardBefore(seg(2, 9));
        assertEquals(List.of(seg(2, 9)), spool.segments());
    }

    @Test
    void theSpoolOfAnotherRestoreCommandIsNeverServedAndIsCleanedUp() throws Exception {
        RestoreSpool one = spool("0001");
        Files.write(one.pathOf(seg(1, 7)), new byte[1]);
        assertEquals(1, spool("0001").segments().size());
        FileTime idle = FileTime.from(Instant.now().minus(RestoreSpool.IN_USE).minusSeconds(5));
        Files.setLastModifiedTime(one.pathOf(seg(1, 7)), idle);
        Files.setLastModifiedTime(one.directory(), idle);
        RestoreSpool two = spool("0002");
        assertEquals(List.of(), two.segments());
        assertFalse(Files.exists(one.directory()), "the other set-up's spool is removed when no worker uses it");
    }

    @Test
    void theSpoolOfAnotherRestoreCommandWithAFileChangedInPlaceJustNowIsSpared() throws Exception {
        RestoreSpool one = spool("0001");
        Files.write(one.pathOf(seg(1, 7)), new byte[1]);
        Files.setLastModifiedTime(one.directory(), FileTime.from(Instant.now().minus(RestoreSpool.IN_USE).minusSeconds(5)));
        spool("0002");
        assertTrue(Files.exists(one.pathOf(seg(1, 7))));
    }

    @Test
    void theSpoolACallOfAnotherRestoreCommandHasJustCreatedIsSpared() throws Exception {
        // a call of set-up 0001 created its spool and recorded its request, and is fetching the segment
        // into %p; once done it starts its worker, whose lock lives in that directory
        RestoreSpool inUse = new RestoreSpool(spoolDir, "0001").create();
        inUse.recordRequest(seg(1, 7));
        spool("0002");
        assertEquals(Optional.of(seg(1, 7)), inUse.lastRequest());
        Optional<FileLock> lock = inUse.tryLockPrefetcher();
        assertTrue(lock.isPresent(), "its worker can still start");
        lock.get().channel().close();
    }

    @Test
    void neverLeavesAPartialDownloadUnderASegmentName() throws Exception {
        // A truncated object (not a segment size) is refused by the restorer: nothing appears in the spool.
        ObjectWrites.write(store, "pg/wals/0000000100000000/000000010000000000000002", WriteOptions.DEFAULT,
                out -> out.write(new byte[1000]));
        RestoreSpool spool = spool("f6");
        follow(spool, 1, seg(1, 1), Duration.ofMillis(300)).join(10_000);
        assertEquals(List.of(), spool.segments());
        assertTrue(failures.contains(seg(1, 2)), failures.toString());
        try (var files = Files.list(spool.directory())) {
            assertEquals(List.of(), files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList(),
                    "no temporary file left");
        }
    }

    @Test
    void aSegmentOfAnotherSegmentSizeThanPgControlsIsNeverSpooled() throws Exception {
        // 1 MB segments under the server name of a cluster whose pg_control says 16 MB: the launcher's fast
        // path would hand them to PostgreSQL unchecked, so the worker must not spool them
        archive(seg(1, 2));
        archive(seg(1, 3));
        RestoreSpool spool = spool("a7");
        WalRestorer sixteen = new WalRestorer(store, LAYOUT, warning -> { },
                new PgControl(java.util.OptionalLong.empty(), java.util.OptionalLong.of(16L << 20)));
        follow(prefetcher(sixteen, spool, 2), seg(1, 1), Duration.ofMillis(300)).join(10_000);
        assertEquals(List.of(), spool.segments());
        assertTrue(failures.containsAll(List.of(seg(1, 2), seg(1, 3))), failures.toString());
    }

    /**
     * A segment that has a .partial too (a timeline left its own there) is never spooled: which copy recovery
     * must get depends on the timeline it follows when it asks, and a spooled copy would be served unchosen.
     * The worker waits there until recovery asks for it (the tool fetches it), then goes on, without looking
     * for that segment again.
     */
    @Test
    void aSegmentWithAPartialIsLeftToTheCallAndPrefetchingGoesOnOnceRecoveryAsksForIt() throws Exception {
        for (int i = 1; i <= 8; i++) {
            archive(seg(1, i));
        }
        archive(seg(1, 4) + ".partial");
        java.util.concurrent.atomic.AtomicInteger lookedFor4 = new java.util.concurrent.atomic.AtomicInteger();
        WalRestorer restorer = new WalRestorer(new io.cumulus.storage.testkit.ForwardingBlobStore(store) {
            @Override
            public io.cumulus.storage.BlobIterator list(String prefix) throws IOException {
                if (prefix.endsWith(seg(1, 4))) {
                    lookedFor4.incrementAndGet();
                }
                return super.list(prefix);
            }
        }, LAYOUT);
        RestoreSpool spool = spool("f7");
        Thread worker = follow(prefetcher(restorer, spool, 3), seg(1, 1), Duration.ofSeconds(30));
        await("2 and 3 are spooled", () -> spool.segments().equals(List.of(seg(1, 2), seg(1, 3))));
        Thread.sleep(1500); // a retry of 4 or two
        assertEquals(List.of(seg(1, 2), seg(1, 3)), spool.segments(), "4 is left to the call");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertTrue(spool.take(seg(1, 2), dest));
        assertTrue(spool.take(seg(1, 3), dest));
        spool.recordRequest(seg(1, 4)); // the tool fetches 4 itself
        await("prefetching goes on after 4", () -> spool.segments().equals(List.of(seg(1, 5), seg(1, 6), seg(1, 7))));
        int looked = lookedFor4.get();
        assertTrue(spool.take(seg(1, 5), dest));
        await("the window is refilled", () -> spool.segments().equals(List.of(seg(1, 6), seg(1, 7), seg(1, 8))));
        Thread.sleep(1500);
        assertEquals(looked, lookedFor4.get(), "4 is not looked for again once recovery asked for it");
        assertEquals(List.of(seg(1, 6), seg(1, 7), seg(1, 8)), spool.segments(), "5 is not fetched again");
        assertEquals(List.of(), failures);
        worker.interrupt();
    }
}
