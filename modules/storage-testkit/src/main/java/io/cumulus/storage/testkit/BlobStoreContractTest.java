package io.cumulus.storage.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.WriteOptions;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link BlobStore} provider must show, run against a real store or emulator.
 * A provider's test subclasses it, supplies a fresh empty store, and overrides (with a comment saying
 * why) any test where its emulator knowingly differs from the real service.
 */
public abstract class BlobStoreContractTest {

    /** The store under test: fresh and empty for each test, closed after it. */
    protected BlobStore store;

    /** A fresh, empty, writable store. Called once before each test. */
    protected abstract BlobStore createStore() throws Exception;

    /**
     * A store configured like {@link #createStore()} but whose bucket, container or root directory
     * does not exist.
     */
    protected abstract BlobStore createStoreWithMissingContainer() throws Exception;

    /**
     * The part size the store was configured with, so that "large" objects really go up in several
     * parts. Providers without multipart (a local directory) keep the default.
     */
    protected int partSize() {
        return 256 * 1024;
    }

    /**
     * The listing page size the store was configured with; listings are tested across more than two
     * pages of it. Keep it small (tens), or the test writes thousands of objects.
     */
    protected int listPageSize() {
        return 10;
    }

    @BeforeEach
    final void openStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    final void closeStore() throws IOException {
        if (store != null) {
            store.close();
        }
    }

    // ---------------------------------------------------------------- reads

    @Test
    public void readOfAbsentObjectThrowsFileNotFound() {
        assertThrows(FileNotFoundException.class, () -> store.openRead("absent/object").close());
        assertThrows(FileNotFoundException.class, () -> store.openRead("absent/object", 0, 10).close());
    }

    @Test
    public void readOfDirectoryLikePrefixThrowsFileNotFound() throws IOException {
        write("dir/child", bytes(10, 1));
        assertThrows(FileNotFoundException.class, () -> store.openRead("dir").close());
    }

    @Test
    public void rangedReadReturnsTheMiddleOfTheObject() throws IOException {
        byte[] data = bytes(1000, 2);
        write("ranged", data);
        assertArrayEquals(slice(data, 100, 250), readRange("ranged", 100, 250));
        assertArrayEquals(slice(data, 0, 1), readRange("ranged", 0, 1));
        assertArrayEquals(slice(data, 999, 1), readRange("ranged", 999, 1));
    }

    @Test
    public void rangedReadPastTheEndStopsAtTheEnd() throws IOException {
        byte[] data = bytes(1000, 3);
        write("ranged", data);
        assertArrayEquals(slice(data, 900, 100), readRange("ranged", 900, 5000));
        assertArrayEquals(new byte[0], readRange("ranged", 1000, 10));
    }

    @Test
    public void closingAReadEarlyLeavesTheStoreUsable() throws IOException {
        byte[] data = bytes(2 * partSize() + 1, 30);
        write("big", data);
        for (int i = 0; i < 5; i++) { // more than a small connection pool would survive if leaked
            try (InputStream in = store.openRead("big")) {
                assertEquals(data[0], (byte) in.read());
            }
            try (InputStream in = store.openRead("big", 10, data.length)) {
                assertEquals(data[10], (byte) in.read());
            }
        }
        assertArrayEquals(data, read("big"));
    }

    @Test
    public void emptyObjectRoundTrips() throws IOException {
        write("empty", new byte[0]);
        assertArrayEquals(new byte[0], read("empty"));
        assertEquals(0, store.stat("empty").orElseThrow().size());
    }

    // ---------------------------------------------------------------- stat

    @Test
    public void statOfPresentObjectReportsKeyAndSize() throws IOException {
        write("a/b/stat-me", bytes(1234, 4));
        BlobInfo info = store.stat("a/b/stat-me").orElseThrow();
        assertEquals("a/b/stat-me", info.key());
        assertEquals(1234, info.size());
        assertEquals("stat-me", info.name());
    }

    @Test
    public void statOfAbsentObjectIsEmpty() throws IOException {
        assertEquals(Optional.empty(), store.stat("absent"));
        write("a/b/c", bytes(1, 5));
        assertEquals(Optional.empty(), store.stat("a/b"));
        assertEquals(Optional.empty(), store.stat("a/b/c/d"));
    }

    // ---------------------------------------------------------------- writes

    @Test
    public void smallObjectReadsBackByteIdentical() throws IOException {
        byte[] data = bytes(4321, 6);
        write("wal/000000010000000000000001", data);
        assertArrayEquals(data, read("wal/000000010000000000000001"));
    }

    @Test
    public void objectOfExactlyOnePartReadsBackByteIdentical() throws IOException {
        byte[] data = bytes(partSize(), 7);
        write("one-part", data);
        assertArrayEquals(data, read("one-part"));
    }

    @Test
    public void largeObjectGoesUpInPartsAndReadsBackByteIdentical() throws IOException {
        byte[] data = bytes(3 * partSize() + partSize() / 2 + 7, 8);
        write("base/backup/data.tar", data);
        assertArrayEquals(data, read("base/backup/data.tar"));
        assertEquals(data.length, store.stat("base/backup/data.tar").orElseThrow().size());
        assertArrayEquals(slice(data, partSize() - 10, 20), readRange("base/backup/data.tar", partSize() - 10, 20));
    }

    @Test
    public void largeObjectWithExpectedSizeReadsBackByteIdentical() throws IOException {
        byte[] data = bytes(2 * partSize() + 1, 9);
        write("sized", data, WriteOptions.DEFAULT.withExpectedSize(data.length));
        assertArrayEquals(data, read("sized"));
    }

    @Test
    public void writeWithTagsSucceeds() throws IOException {
        byte[] data = bytes(100, 10);
        write("tagged", data, WriteOptions.DEFAULT.withTags(Map.of("project", "cumulus", "kind", "wal file")));
        assertArrayEquals(data, read("tagged"));
    }

    @Test
    public void keysWithSpacesPlusAndUnicodeRoundTrip() throws IOException {
        List<String> keys = List.of("odd/a b+c=d&e.txt", "odd/é%20ü", "odd/semi;colon,comma");
        for (String key : keys) {
            write(key, key.getBytes(UTF_8));
        }
        for (String key : keys) {
            assertArrayEquals(key.getBytes(UTF_8), read(key));
        }
        assertEquals(new TreeSet<>(keys).stream().toList(), listKeys("odd/"));
    }

    @Test
    public void nothingIsVisibleBeforeClose() throws IOException {
        byte[] data = bytes(2 * partSize() + 100, 11);
        BlobOutputStream out = store.openWrite("pending/object", WriteOptions.DEFAULT);
        try {
            out.write(data, 0, 10);
            assertEquals(Optional.empty(), store.stat("pending/object"));
            out.write(data, 10, data.length - 10);
            assertEquals(Optional.empty(), store.stat("pending/object"));
            assertEquals(List.of(), listKeys(""));
            assertEquals(data.length, out.bytesWritten());
        } finally {
            out.close();
        }
        assertArrayEquals(data, read("pending/object"));
        assertEquals(List.of("pending/object"), listKeys(""));
    }

    @Test
    public void abortOfSmallWriteLeavesNothing() throws IOException {
        BlobOutputStream out = store.openWrite("aborted", WriteOptions.DEFAULT);
        out.write(bytes(100, 12));
        out.abort();
        out.close(); // close after abort does nothing
        assertEquals(Optional.empty(), store.stat("aborted"));
        assertEquals(List.of(), listKeys(""));
    }

    @Test
    public void abortOfMultipartWriteLeavesNothing() throws IOException {
        BlobOutputStream out = store.openWrite("dir/aborted", WriteOptions.DEFAULT);
        out.write(bytes(3 * partSize() + 1, 13));
        out.abort();
        out.close();
        assertEquals(Optional.empty(), store.stat("dir/aborted"));
        assertEquals(List.of(), listKeys(""));
    }

    @Test
    public void writeWhoseSourceFailsMidwayLeavesNothing() throws IOException {
        InputStream failingSource = new InputStream() {
            private final byte[] data = bytes(2 * partSize() + 17, 14);
            private int position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (position >= data.length) {
                    throw new IOException("disk read error (simulated)");
                }
                int n = Math.min(len, Math.min(8191, data.length - position));
                System.arraycopy(data, position, b, off, n);
                position += n;
                return n;
            }
        };
        IOException failure = assertThrows(IOException.class, () -> copy(failingSource, "broken/object"));
        assertEquals("disk read error (simulated)", failure.getMessage());
        assertEquals(Optional.empty(), store.stat("broken/object"));
        assertEquals(List.of(), listKeys(""));
    }

    @Test
    public void ifAbsentCreatesANewObject() throws IOException {
        byte[] data = bytes(50, 15);
        write("wal/new", data, WriteOptions.DEFAULT.withIfAbsent(true));
        assertArrayEquals(data, read("wal/new"));
    }

    @Test
    public void ifAbsentOnExistingKeyFailsAndLeavesOldContent() throws IOException {
        byte[] original = bytes(500, 16);
        write("wal/dup", original);
        assertThrows(FileAlreadyExistsException.class,
                () -> write("wal/dup", bytes(600, 17), WriteOptions.DEFAULT.withIfAbsent(true)));
        assertArrayEquals(original, read("wal/dup"));
        assertEquals(List.of("wal/dup"), listKeys(""));
    }

    @Test
    public void ifAbsentMultipartOnExistingKeyFailsAndLeavesOldContent() throws IOException {
        byte[] original = bytes(500, 18);
        write("big/dup", original);
        assertThrows(FileAlreadyExistsException.class,
                () -> write("big/dup", bytes(2 * partSize() + 3, 19), WriteOptions.DEFAULT.withIfAbsent(true)));
        assertArrayEquals(original, read("big/dup"));
        assertEquals(List.of("big/dup"), listKeys(""));
    }

    @Test
    public void writeWithoutIfAbsentReplacesExistingObject() throws IOException {
        write("replace/me", bytes(500, 20));
        byte[] replacement = bytes(300, 21);
        write("replace/me", replacement);
        assertArrayEquals(replacement, read("replace/me"));
        assertEquals(300, store.stat("replace/me").orElseThrow().size());
    }

    // ---------------------------------------------------------------- listing

    @Test
    public void listReturnsEveryKeyInAscendingOrderAcrossSeveralPages() throws IOException {
        int count = 2 * listPageSize() + 5;
        List<String> expected = new ArrayList<>();
        for (int i = count - 1; i >= 0; i--) {
            String key = String.format("wal/0000000100000000/%024X", i);
            write(key, bytes(i, i));
            expected.add(key);
        }
        expected.sort(null);
        List<BlobInfo> listed = listAll("wal/");
        assertEquals(expected, listed.stream().map(BlobInfo::key).toList());
        for (BlobInfo info : listed) {
            int i = Integer.parseInt(info.name(), 16);
            assertEquals(i, info.size(), info.key());
        }
    }

    @Test
    public void listOrdersKeysAsBytesNotAsDirectoryTree() throws IOException {
        // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a file named "a-b" sorts before the "a/" directory's contents
        List<String> keys = List.of("a-b", "a/b", "a/c/d", "a/c0", "a0", "ab", "b");
        for (int i = keys.size() - 1; i >= 0; i--) {
            write(keys.get(i), keys.get(i).getBytes(UTF_8));
        }
        assertEquals(keys, listKeys(""));
    }

    @Test
    public void listWithPrefixThatIsNotADirectoryBoundary() throws IOException {
        for (String key : List.of("a-b", "a/b", "a/c/d", "a0", "ab", "b", "base/x", "wal/000000010000000000000001",
                "wal/000000010000000000000002", "wal/000000020000000000000001")) {
            write(key, key.getBytes(UTF_8));
        }
        assertEquals(List.of("a-b", "a/b", "a/c/d", "a0", "ab"), listKeys("a"));
        assertEquals(List.of("a/c/d"), listKeys("a/c"));
        assertEquals(List.of("b", "base/x"), listKeys("b"));
        assertEquals(List.of("wal/000000010000000000000001", "wal/000000010000000000000002"),
                listKeys("wal/00000001"));
        assertEquals(List.of(), listKeys("wal/00000003"));
        assertEquals(List.of(), listKeys("nothing/here/"));
    }

    @Test
    public void exhaustedListingThrowsNoSuchElement() throws IOException {
        write("only", bytes(1, 22));
        BlobIterator iterator = store.list("");
        assertTrue(iterator.hasNext());
        assertTrue(iterator.hasNext(), "hasNext must not consume");
        assertEquals("only", iterator.next().key());
        assertFalse(iterator.hasNext());
        assertThrows(NoSuchElementException.class, iterator::next);
    }

    @Test
    public void listPrefixesReturnsOneLevel() throws IOException {
        for (String key : List.of("srv/base/20240101T000000/backup.info", "srv/base/20240101T000000/data.tar",
                "srv/base/20240102T000000/backup.info", "srv/base/20240102T000000/sub/deeper",
                "srv/base/stray-file", "srv/wals/0000000100000000/000000010000000000000001")) {
            write(key, key.getBytes(UTF_8));
        }
        assertEquals(List.of("srv/base/20240101T000000/", "srv/base/20240102T000000/"),
                store.listPrefixes("srv/base/"));
        assertEquals(List.of("srv/"), store.listPrefixes(""));
        assertEquals(List.of("srv/base/", "srv/wals/"), store.listPrefixes("srv/"));
        assertEquals(List.of(), store.listPrefixes("srv/base/20240101T000000/"));
        assertEquals(List.of(), store.listPrefixes("absent/"));
    }

    @Test
    public void deletedObjectsLeaveNoPrefixBehind() throws IOException {
        write("srv/base/b1/backup.info", bytes(1, 23));
        write("srv/base/b2/backup.info", bytes(1, 24));
        store.delete("srv/base/b1/backup.info");
        assertEquals(List.of("srv/base/b2/"), store.listPrefixes("srv/base/"));
        assertEquals(List.of("srv/base/b2/backup.info"), listKeys(""));
    }

    // ---------------------------------------------------------------- deletes

    @Test
    public void deleteRemovesTheObject() throws IOException {
        write("del/me", bytes(10, 25));
        write("del/keep", bytes(10, 26));
        store.delete("del/me");
        assertEquals(Optional.empty(), store.stat("del/me"));
        assertThrows(FileNotFoundException.class, () -> store.openRead("del/me").close());
        assertEquals(List.of("del/keep"), listKeys(""));
    }

    @Test
    public void deleteOfAbsentObjectSucceeds() throws IOException {
        store.delete("absent");
        store.delete("absent/deeper/key");
    }

    @Test
    public void deleteAllRemovesManyObjects() throws IOException {
        int count = 2500;
        List<String> keys = new ArrayList<>();
        byte[] data = bytes(3, 27);
        for (int i = 0; i < count; i++) {
            String key = String.format("many/%02d/%05d", i % 7, i);
            write(key, data);
            keys.add(key);
        }
        write("many-survivor", data);
        store.deleteAll(keys);
        assertEquals(List.of("many-survivor"), listKeys(""));
    }

    @Test
    public void deleteAllOfAbsentKeysSucceeds() throws IOException {
        write("present", bytes(3, 28));
        store.deleteAll(List.of("absent-1", "present", "absent/2", "present"));
        store.deleteAll(List.of());
        assertEquals(List.of(), listKeys(""));
    }

    // ---------------------------------------------------------------- availability

    @Test
    public void checkAvailableSucceedsOnAnExistingContainer() throws IOException {
        store.checkAvailable();
        assertFalse(store.describe().isBlank());
    }

    @Test
    public void checkAvailableOnMissingContainerThrowsContainerNotFound() throws Exception {
        try (BlobStore missing = createStoreWithMissingContainer()) {
            assertThrows(ContainerNotFoundException.class, missing::checkAvailable);
        }
    }

    @Test
    public void readFromMissingContainerIsNotReportedAsAnAbsentObject() throws Exception {
        try (BlobStore missing = createStoreWithMissingContainer()) {
            assertThrows(ContainerNotFoundException.class, () -> missing.openRead("wal/x").close());
            assertThrows(ContainerNotFoundException.class, () -> missing.list("").hasNext());
        }
    }

    @Test
    public void writeToMissingContainerFailsWithoutCreatingIt() throws Exception {
        try (BlobStore missing = createStoreWithMissingContainer()) {
            assertThrows(ContainerNotFoundException.class, () -> {
                try (OutputStream out = missing.openWrite("wal/x", WriteOptions.DEFAULT)) {
                    out.write(bytes(10, 29));
                }
            });
            assertThrows(ContainerNotFoundException.class, missing::checkAvailable);
        }
    }

    // ---------------------------------------------------------------- helpers for subclasses

    /** Deterministic pseudo-random bytes, different per seed. */
    protected static byte[] bytes(int length, long seed) {
        byte[] data = new byte[length];
        new Random(seed).nextBytes(data);
        return data;
    }

    protected void write(String key, byte[] data) throws IOException {
        write(key, data, WriteOptions.DEFAULT);
    }

    /** Writes in uneven chunks, so part boundaries fall inside writes. */
    protected void write(String key, byte[] data, WriteOptions options) throws IOException {
        BlobOutputStream out = store.openWrite(key, options);
        try {
            int position = 0;
            int[] chunks = {1, 7, 8191, 100_003, 1 << 20};
            for (int i = 0; position < data.length; i++) {
                int n = Math.min(chunks[i % chunks.length], data.length - position);
                if (n == 1) {
                    out.write(data[position]);
                } else {
                    out.write(data, position, n);
                }
                position += n;
            }
        } catch (IOException | RuntimeException e) {
            abortQuietly(out, e);
            throw e;
        }
        out.close();
    }

    /** Copies a stream into a new object the way callers must: abort, not close, when the source fails. */
    protected void copy(InputStream source, String key) throws IOException {
        BlobOutputStream out = store.openWrite(key, WriteOptions.DEFAULT);
        try {
            source.transferTo(out);
        } catch (IOException | RuntimeException e) {
            abortQuietly(out, e);
            throw e;
        }
        out.close();
    }

    private static void abortQuietly(BlobOutputStream out, Exception failure) {
        try {
            out.abort();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    protected byte[] read(String key) throws IOException {
        try (InputStream in = store.openRead(key)) {
            return in.readAllBytes();
        }
    }

    protected byte[] readRange(String key, long offset, long length) throws IOException {
        try (InputStream in = store.openRead(key, offset, length)) {
            return in.readAllBytes();
        }
    }

    protected List<BlobInfo> listAll(String prefix) throws IOException {
        List<BlobInfo> result = new ArrayList<>();
        BlobIterator iterator = store.list(prefix);
        while (iterator.hasNext()) {
            result.add(iterator.next());
        }
        return result;
    }

    protected List<String> listKeys(String prefix) throws IOException {
        return listAll(prefix).stream().map(BlobInfo::key).toList();
    }

    private static byte[] slice(byte[] data, int offset, int length) {
        byte[] result = new byte[length];
        System.arraycopy(data, offset, result, 0, length);
        return result;
    }
}
