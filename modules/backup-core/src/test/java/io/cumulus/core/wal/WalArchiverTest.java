package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobOutputStream;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalArchiverTest {
    private static final ServerLayout LAYOUT = new ServerLayout("pfx/sub", "pg");

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final ExecutorService racers = Executors.newCachedThreadPool();

    private WalArchiver archiver(Compression compression) {
        return new WalArchiver(store, LAYOUT, new WalArchiver.Options(compression, CompressionLevel.DEFAULT,
                Map.of("kind", "wal"), Map.of("kind", "history")));
    }

    private Path segment(String name, long seed) throws IOException {
        byte[] content = new byte[1 << 20];
        new Random(seed).nextBytes(content);
        Path file = pgWal.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.write(file, content);
    }

    private byte[] stored(String key) throws IOException {
        try (InputStream in = Compression.ofSuffix(key).orElse(Compression.NONE).decompress(store.openRead(key))) {
            return in.readAllBytes();
        }
    }

    @Test
    void storesASegmentAtBarmanCloudsKeyWithTheChosenCompression() throws IOException {
        Path wal = segment("000000010000000000000004", 1);
        assertEquals(WalArchiver.Outcome.STORED, archiver(Compression.GZIP).archive(wal));
        String key = "pfx/sub/pg/wals/0000000100000000/000000010000000000000004.gz";
        assertArrayEquals(Files.readAllBytes(wal), stored(key));
        assertEquals(Map.of("kind", "wal"), store.tags(key).orElseThrow());
    }

    @Test
    void writesIfAbsentTellingTheStoreItsListingFoundNoCopy() throws IOException {
        List<WriteOptions> writes = new ArrayList<>();
        BlobStore recording = intercepting((method, args) -> {
            if (method.getName().equals("openWrite")) {
                writes.add((WriteOptions) args[1]);
            }
        });
        WalArchiver archiver = new WalArchiver(recording, LAYOUT, new WalArchiver.Options(Compression.NONE,
                CompressionLevel.DEFAULT, Map.of(), Map.of()));
        archiver.archive(segment("000000010000000000000005", 2));
        assertEquals(1, writes.size());
        assertTrue(writes.get(0).ifAbsent() && writes.get(0).absenceChecked(), writes.toString());
    }

    @Test
    void commitsTheWriteOnlyAfterTheListingFoundNoCopy() throws Exception {
        CountDownLatch listingMayAnswer = new CountDownLatch(1);
        CountDownLatch listingStarted = new CountDownLatch(1);
        BlobStore slowListing = intercepting((method, args) -> {
            if (method.getName().equals("list")) {
                listingStarted.countDown();
                listingMayAnswer.await();
            }
        });
        WalArchiver archiver = new WalArchiver(slowListing, LAYOUT, new WalArchiver.Options(Compression.NONE,
                CompressionLevel.DEFAULT, Map.of(), Map.of()));
        Path wal = segment("000000010000000000000006", 3);
        String key = "pfx/sub/pg/wals/0000000100000000/000000010000000000000006";
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<WalArchiver.Outcome> outcome = caller.submit(() -> archiver.archive(wal));
            assertTrue(listingStarted.await(10, TimeUnit.SECONDS));
            Thread.sleep(300); // time enough to read the file into the writer and commit, were it not waiting
            assertTrue(store.stat(key).isEmpty(), "nothing is committed while the listing has not answered");
            assertFalse(outcome.isDone());
            listingMayAnswer.countDown();
            assertEquals(WalArchiver.Outcome.STORED, outcome.get(10, TimeUnit.SECONDS));
            assertArrayEquals(Files.readAllBytes(wal), stored(key));
        } finally {
            listingMayAnswer.countDown();
            caller.shutdownNow();
        }
    }

    @Test
    void aListingThatFailsFailsTheCallWithItsReasonAndWritesNothing() throws IOException {
        BlobStore refusing = intercepting((method, args) -> {
            if (method.getName().equals("list")) {
                throw new java.nio.file.AccessDeniedException("s3://bucket/pfx: access denied to list");
            }
        });
        WalArchiver archiver = new WalArchiver(refusing, LAYOUT, new WalArchiver.Options(Compression.NONE,
                CompressionLevel.DEFAULT, Map.of(), Map.of()));
        IOException e = assertThrows(IOException.class, () -> archiver.archive(segment("000000010000000000000007", 4)));
        assertTrue(e.getMessage().contains("access denied to list"), e.getMessage());
        assertTrue(store.stat("pfx/sub/pg/wals/0000000100000000/000000010000000000000007").isEmpty());
    }

    /** What {@link #intercepting} runs before each call of the store. */
    @FunctionalInterface
    private interface BeforeCall {
        void run(java.lang.reflect.Method method, Object[] args) throws Exception;
    }

    /** {@link #store}, with {@code before} run ahead of each call (it may block or throw). */
    private BlobStore intercepting(BeforeCall before) {
        return (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(),
                new Class<?>[] {BlobStore.class}, (proxy, method, args) -> {
                    before.run(method, args);
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aCallWithNoRacerListsTheNameOnceMoreAfterItsWrite() throws IOException {
        List<String> listings = new ArrayList<>();
        BlobStore recording = intercepting((method, args) -> {
            if (method.getName().equals("list")) {
                listings.add((String) args[0]);
            }
        });
        WalArchiver archiver = new WalArchiver(recording, LAYOUT, new WalArchiver.Options(Compression.NONE,
                CompressionLevel.DEFAULT, Map.of(), Map.of()));
        assertEquals(WalArchiver.Outcome.STORED, archiver.archive(segment("000000010000000000000005", 2)));
        String name = "pfx/sub/pg/wals/0000000100000000/000000010000000000000005";
        assertEquals(List.of(name, name), listings, "the look-up, then one listing for a racer's copy");
    }

    private static final String RACED = "000000010000000000000004";
    private static final String RACED_PLAIN = "pfx/sub/pg/wals/0000000100000000/" + RACED;
    private static final String RACED_GZ = RACED_PLAIN + ".gz";

    /**
     * Two clusters archive different segments under one name at once, one plain and one gzipped: both
     * look-ups find nothing and both create-only writes succeed, under two keys. Here both look again
     * after both writes: the plain copy, first in key order (the one cumulus-wal-restore serves), wins;
     * the gzipped one is removed and its call fails, so its PostgreSQL keeps the segment.
     */
    @Test
    void ofTwoRacersWhoSeeEachOthersCopyTheFirstInKeyOrderWins() throws Exception {
        Racer plain = new Racer(Compression.NONE, Duration.ofSeconds(10));
        Racer gzip = new Racer(Compression.GZIP, Duration.ofSeconds(10));
        Racer.seeEachOther(plain, gzip);
        Path plainFile = segment("x/" + RACED, 1);
        Path gzipFile = segment("y/" + RACED, 2);
        Future<WalArchiver.Outcome> plainCall = plain.archive(plainFile);
        Future<WalArchiver.Outcome> gzipCall = gzip.archive(gzipFile);
        assertEquals(WalArchiver.Outcome.STORED, plainCall.get(20, TimeUnit.SECONDS));
        OperationFailedException lost = lostWith(gzipCall);
        assertTrue(lost.getMessage().contains("already archived as " + RACED_PLAIN + " in memory: with different"
                + " content"), lost.getMessage());
        assertArrayEquals(Files.readAllBytes(plainFile), stored(RACED_PLAIN));
        assertTrue(store.stat(RACED_GZ).isEmpty(), "the losing copy is removed");
    }

    /**
     * The racer whose copy is later in key order stored it and looked again before the other's write
     * landed, found no other copy and succeeded: PostgreSQL was told its segment is archived. The copy
     * first in key order then loses: its archiver waits for the other copy to go, it stays, so it
     * removes its own and fails.
     */
    @Test
    void aRacerThatFinishedBeforeTheOthersWriteWinsEvenWhenItsCopyIsLaterInKeyOrder() throws Exception {
        finishesFirstAndWins(Compression.GZIP, Compression.NONE);
    }

    /** The same race the other way round: the copy first in key order was stored and checked first. */
    @Test
    void aRacerThatFinishedBeforeTheOthersWriteWinsWhenItsCopyIsFirstInKeyOrder() throws Exception {
        finishesFirstAndWins(Compression.NONE, Compression.GZIP);
    }

    /**
     * Two racers whose look-ups both found nothing; one stores its segment and finishes before the
     * other's write lands: it succeeds, and the other fails, leaving only the first one's copy.
     */
    private void finishesFirstAndWins(Compression first, Compression second) throws Exception {
        Racer finisher = new Racer(first, Duration.ofMillis(300));
        Racer other = new Racer(second, Duration.ofMillis(300));
        finisher.commitsAfter(other.lookedUp);
        other.commitsAfter(finisher.done);
        Path finisherFile = segment("x/" + RACED, 1);
        Future<WalArchiver.Outcome> finisherCall = finisher.archive(finisherFile);
        Future<WalArchiver.Outcome> otherCall = other.archive(segment("y/" + RACED, 2));
        assertEquals(WalArchiver.Outcome.STORED, finisherCall.get(20, TimeUnit.SECONDS));
        String winner = LAYOUT.walKey(WalName.parse(RACED), first);
        OperationFailedException lost = lostWith(otherCall);
        assertTrue(lost.getMessage().contains("already archived as " + winner + " in memory: with different content"),
                lost.getMessage());
        assertTrue(store.stat(LAYOUT.walKey(WalName.parse(RACED), second)).isEmpty(), "the losing copy is removed");
        assertArrayEquals(Files.readAllBytes(finisherFile), stored(winner));
    }

    /** Racers with the same segment both succeed and both copies stay: either serves the same bytes. */
    @Test
    void racersWithTheSameContentUnderTwoCompressionsBothSucceed() throws Exception {
        Racer plain = new Racer(Compression.NONE, Duration.ofSeconds(10));
        Racer gzip = new Racer(Compression.GZIP, Duration.ofSeconds(10));
        Racer.seeEachOther(plain, gzip);
        Path plainFile = segment("x/" + RACED, 1);
        Path gzipFile = segment("y/" + RACED, 1);
        Future<WalArchiver.Outcome> plainCall = plain.archive(plainFile);
        Future<WalArchiver.Outcome> gzipCall = gzip.archive(gzipFile);
        assertEquals(WalArchiver.Outcome.STORED, plainCall.get(20, TimeUnit.SECONDS));
        assertEquals(WalArchiver.Outcome.STORED, gzipCall.get(20, TimeUnit.SECONDS));
        assertArrayEquals(Files.readAllBytes(plainFile), stored(RACED_PLAIN));
        assertArrayEquals(Files.readAllBytes(plainFile), stored(RACED_GZ));
    }

    private static OperationFailedException lostWith(Future<WalArchiver.Outcome> call) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(20, TimeUnit.SECONDS));
        return assertInstanceOf(OperationFailedException.class, e.getCause());
    }

    /**
     * One archiver of a race, on its own view of {@link #store} that holds its write's commit and its
     * second listing until the latches the test names have opened, and reads each listing whole when it
     * is asked for, so that what it sees is the store at that moment.
     */
    private final class Racer extends ForwardingBlobStore {
        final CountDownLatch lookedUp = new CountDownLatch(1);
        final CountDownLatch committed = new CountDownLatch(1);
        final CountDownLatch done = new CountDownLatch(1);
        private final AtomicInteger listings = new AtomicInteger();
        private final WalArchiver archiver;
        private List<CountDownLatch> beforeCommit = List.of();
        private List<CountDownLatch> beforeSecondListing = List.of();

        Racer(Compression compression, Duration raceWait) {
            super(store);
            archiver = new WalArchiver(this, LAYOUT, new WalArchiver.Options(compression, CompressionLevel.DEFAULT,
                    Map.of(), Map.of()), raceWait);
        }

        void commitsAfter(CountDownLatch latch) {
            beforeCommit = List.of(latch);
        }

        /** Both look up before either writes, and look again after both have written. */
        static void seeEachOther(Racer a, Racer b) {
            for (Racer racer : List.of(a, b)) {
                racer.beforeCommit = List.of(a.lookedUp, b.lookedUp);
                racer.beforeSecondListing = List.of(a.committed, b.committed);
            }
        }

        Future<WalArchiver.Outcome> archive(Path file) {
            return racers.submit(() -> {
                try {
                    return archiver.archive(file);
                } finally {
                    done.countDown();
                }
            });
        }

        @Override
        public BlobIterator list(String prefix) throws IOException {
            int listing = listings.incrementAndGet();
            if (listing == 2) {
                await(beforeSecondListing);
            }
            List<BlobInfo> entries = new ArrayList<>();
            BlobIterator all = super.list(prefix);
            while (all.hasNext()) {
                entries.add(all.next());
            }
            if (listing == 1) {
                lookedUp.countDown();
            }
            java.util.Iterator<BlobInfo> next = entries.iterator();
            return BlobIterator.from(() -> next.hasNext() ? next.next() : null);
        }

        @Override
        public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
            return new ForwardingBlobOutputStream(super.openWrite(key, options)) {
                @Override
                public void close() throws IOException {
                    await(beforeCommit);
                    super.close();
                    committed.countDown();
                }
            };
        }

        private static void await(List<CountDownLatch> latches) throws IOException {
            try {
                for (CountDownLatch latch : latches) {
                    if (!latch.await(20, TimeUnit.SECONDS)) {
                        throw new IOException("the race's order was not met in time");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }
    }

    @AfterEach
    void stopRacers() {
        racers.shutdownNow();
    }

    @Test
    void storesHistoryFilesWithoutHashDirectoryAndWithHistoryTags() throws IOException {
        Path history = Files.writeString(pgWal.resolve("00000002.history"), "1\t0/3000000\tno recovery target\n");
        archiver(Compression.NONE).archive(history);
        assertEquals(Map.of("kind", "history"), store.tags("pfx/sub/pg/wals/00000002.history").orElseThrow());
    }

    @Test
    void succeedsWithoutWritingWhenTheSameContentIsArchived() throws IOException {
        Path wal = segment("000000010000000000000004", 1);
        archiver(Compression.NONE).archive(wal);
        assertEquals(WalArchiver.Outcome.ALREADY_ARCHIVED, archiver(Compression.NONE).archive(wal));
    }

    @Test
    void recognisesTheSameContentArchivedUnderAnotherCompression() throws IOException {
        Path wal = segment("000000010000000000000004", 1);
        archiver(Compression.BZIP2).archive(wal);
        assertEquals(WalArchiver.Outcome.ALREADY_ARCHIVED, archiver(Compression.GZIP).archive(wal));
        assertTrue(store.stat("pfx/sub/pg/wals/0000000100000000/000000010000000000000004.gz").isEmpty(),
                "no second copy is written");
    }

    @Test
    void refusesToOverwriteDifferentContentAndLeavesTheStoredObjectUntouched() throws IOException {
        Path first = segment("000000010000000000000004", 1);
        archiver(Compression.NONE).archive(first);
        byte[] original = Files.readAllBytes(first);
        Path other = pgWal.resolve("other");
        Files.createDirectories(other);
        Path second = Files.write(other.resolve("000000010000000000000004"), new byte[1 << 20]);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> archiver(Compression.NONE).archive(second));
        assertTrue(e.getMessage().contains("000000010000000000000004"), e.getMessage());
        assertArrayEquals(original, stored("pfx/sub/pg/wals/0000000100000000/000000010000000000000004"));
    }

    @Test
    void aPartialOrBackupFileIsNotTakenForItsSegment() throws IOException {
        Path partial = segment("000000010000000000000004.partial", 1);
        archiver(Compression.NONE).archive(partial);
        Path wal = segment("000000010000000000000004", 2);
        assertEquals(WalArchiver.Outcome.STORED, archiver(Compression.NONE).archive(wal));
    }

    @Test
    void aMissingFileIsAnOperationFailureNamingThePath() {
        Path missing = pgWal.resolve("000000010000000000000009");
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> archiver(Compression.NONE).archive(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void aFileWhoseNameIsNotWalIsInvalidInput() throws IOException {
        Path bad = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[10]);
        assertThrows(InvalidInputException.class, () -> archiver(Compression.NONE).archive(bad));
    }
}
