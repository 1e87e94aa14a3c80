package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalArchiverTest {
    private static final ServerLayout LAYOUT = new ServerLayout("pfx/sub", "pg");

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();

    private WalArchiver archiver(Compression compression) {
        return new WalArchiver(store, LAYOUT, new WalArchiver.Options(compression, CompressionLevel.DEFAULT,
                Map.of("kind", "wal"), Map.of("kind", "history")));
    }

    private Path segment(String name, long seed) throws IOException {
        byte[] content = new byte[1 << 20];
        new Random(seed).nextBytes(content);
        return Files.write(pgWal.resolve(name), content);
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
