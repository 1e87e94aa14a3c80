package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.BlobStoreContractTest;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * The storage contract against google-cloud-nio's {@link LocalStorageHelper}: the real
 * google-cloud-storage client over an in-memory stand-in for the JSON API, in this JVM. That
 * stand-in knows less than GCS; each test it cannot run as written is overridden below with the
 * reason, and checks what the stand-in can show. {@link GcsFakeServerTest} runs the contract unchanged
 * over HTTP against build-support/fake-gcs.py, which answers as GCS does there, and {@link
 * GcsEmulatorTest} against a real emulator when {@code STORAGE_EMULATOR_HOST} is set.
 */
class GcsLocalStorageTest extends BlobStoreContractTest {

    private static final String BUCKET = "contract";
    /** The client behind {@link #store}, to look at what the store hides (its temporary parts). */
    private Storage raw;

    private GcsStoreConfig config(String bucket) {
        return GcsStoreConfig.of(bucket).withPartSize(partSize()).withListPageSize(listPageSize());
    }

    @Override
    protected BlobStore createStore() {
        // options ignored rather than refused: the stand-in refuses every option when strict
        raw = LocalStorageHelper.customOptions(false).getService();
        return GcsBlobStores.open(config(BUCKET), () -> raw);
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return GcsBlobStores.open(config("missing"), () -> LocalStorageHelper.customOptions(false).getService());
    }

    // ---------------------------------------------------------------- compose: a no-op in the stand-in

    /**
     * LocalStorageHelper's compose does nothing and returns nothing, where GCS composes the parts into
     * the object. So every object larger than a part fails at close here; what this stand-in can show
     * is that the failure is reported, and that it leaves neither the object nor any part behind.
     * {@link GcsFakeServerTest} runs the real test.
     */
    @Override
    @Test
    public void largeObjectGoesUpInPartsAndReadsBackByteIdentical() throws IOException {
        assertLargeWriteFailsCleanly("base/backup/data.tar", bytes(3 * partSize() + partSize() / 2 + 7, 8),
                WriteOptions.DEFAULT);
    }

    /** LocalStorageHelper cannot compose: see {@link #largeObjectGoesUpInPartsAndReadsBackByteIdentical()}. */
    @Override
    @Test
    public void largeObjectWithExpectedSizeReadsBackByteIdentical() throws IOException {
        byte[] data = bytes(2 * partSize() + 1, 9);
        assertLargeWriteFailsCleanly("sized", data, WriteOptions.DEFAULT.withExpectedSize(data.length));
    }

    /**
     * LocalStorageHelper cannot compose, so the commit itself fails here; before it, the parts must
     * exist in the bucket and yet be invisible to stat and to every listing.
     */
    @Override
    @Test
    public void nothingIsVisibleBeforeClose() throws IOException {
        byte[] data = bytes(2 * partSize() + 100, 11);
        BlobOutputStream out = store.openWrite("pending/object", WriteOptions.DEFAULT);
        out.write(data);
        assertEquals(Optional.empty(), store.stat("pending/object"));
        assertEquals(List.of(), listKeys(""));
        assertEquals(List.of(), store.listPrefixes("pending/"));
        awaitParts(2); // two full parts go up, in the background, while the third fills
        IOException e = assertThrows(IOException.class, out::close);
        assertTrue(e.getMessage().contains("composing"), e.getMessage());
        assertEquals(Optional.empty(), store.stat("pending/object"));
        assertEquals(List.of(), parts());
    }

    /**
     * LocalStorageHelper cannot compose, so the early-closed reads run on an object of exactly one
     * part (one request); the stand-in has no connections to leak anyway.
     */
    @Override
    @Test
    public void closingAReadEarlyLeavesTheStoreUsable() throws IOException {
        byte[] data = bytes(partSize(), 30);
        write("big", data);
        for (int i = 0; i < 5; i++) {
            try (InputStream in = store.openRead("big")) {
                assertEquals(data[0], (byte) in.read());
            }
            try (InputStream in = store.openRead("big", 10, data.length)) {
                assertEquals(data[10], (byte) in.read());
            }
        }
        assertArrayEquals(data, read("big"));
    }

    /**
     * LocalStorageHelper neither composes nor checks preconditions, so the large conditional write
     * fails at the compose instead of with FileAlreadyExistsException; the old object must survive it.
     */
    @Override
    @Test
    public void ifAbsentMultipartOnExistingKeyFailsAndLeavesOldContent() throws IOException {
        byte[] original = bytes(500, 18);
        write("big/dup", original);
        assertThrows(IOException.class,
                () -> write("big/dup", bytes(2 * partSize() + 3, 19), WriteOptions.DEFAULT.withIfAbsent(true)));
        assertArrayEquals(original, read("big/dup"));
        assertEquals(List.of("big/dup"), listKeys(""));
        assertEquals(List.of(), parts());
    }

    // ---------------------------------------------------------------- preconditions: ignored by the stand-in

    /**
     * LocalStorageHelper ignores {@code ifGenerationMatch=0} on a create (GCS answers 412), or, made
     * strict, refuses any option at all. The strict one shows that an if-absent write over an existing
     * object is refused and leaves the old content (written here straight through the client, without
     * options: every write of the store carries one, as it asks for the bytes to be sent without gzip).
     * The 412 itself is mapped in {@link #preconditionFailureIsFileAlreadyExists()}; {@link
     * GcsFakeServerTest} runs the real test, which fails when a write loses its {@code ifGenerationMatch=0}.
     */
    @Override
    @Test
    public void ifAbsentOnExistingKeyFailsAndLeavesOldContent() throws IOException {
        byte[] original = bytes(500, 16);
        Storage strictClient = LocalStorageHelper.customOptions(true).getService();
        strictClient.create(com.google.cloud.storage.BlobInfo.newBuilder(BUCKET, "wal/dup").build(), original);
        try (BlobStore strict = GcsBlobStores.open(config(BUCKET), () -> strictClient)) {
            IOException e = assertThrows(IOException.class,
                    () -> writeTo(strict, "wal/dup", bytes(600, 17), WriteOptions.DEFAULT.withIfAbsent(true)));
            assertTrue(e.getMessage().contains("UnsupportedOperationException"), e.toString());
            try (InputStream in = strict.openRead("wal/dup")) {
                assertArrayEquals(original, in.readAllBytes());
            }
        }
    }

    @Test
    void preconditionFailureIsFileAlreadyExists() {
        GcsBlobStore gcs = (GcsBlobStore) store;
        assertInstanceOf(FileAlreadyExistsException.class,
                gcs.translate(new StorageException(412, "At least one of the pre-conditions you specified did not hold."),
                        "wal/dup"));
    }

    /** The library's words quote request URLs, an emulator's user info with them: never shown. */
    @Test
    void theLibrarysWordsNeverCarryAnEndpointPasswordOrAQuery() {
        GcsBlobStore gcs = (GcsBlobStore) store;
        for (RuntimeException failure : List.of(
                new StorageException(400, "GET http://u:SECRET@127.0.0.1:18400/storage/v1/b/bkt/o?prefix=x&sig=SECRET"),
                new StorageException(0, "failed", new IllegalStateException(
                        "GET http://u:SECRET@127.0.0.1:18400/storage/v1/b/bkt/o?key=SECRET")))) {
            IOException e = gcs.translate(failure, "wal/x");
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertTrue(e.getMessage().contains("http://***@127.0.0.1:18400/storage/v1/b/bkt/o?***"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- paging: absent from the stand-in

    /**
     * LocalStorageHelper cannot page: it cuts a listing at the page size and offers no next page (in
     * hash order). So the listing is checked here with one page that holds every key, which still
     * needs the store to sort the page; {@link GcsFakeServerTest} pages for real.
     */
    @Override
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
        try (BlobStore onePage = GcsBlobStores.open(config(BUCKET).withListPageSize(GcsStoreConfig.MAX_LIST_PAGE_SIZE),
                () -> raw)) {
            List<BlobInfo> listed = new ArrayList<>();
            var iterator = onePage.list("wal/");
            while (iterator.hasNext()) {
                listed.add(iterator.next());
            }
            assertEquals(expected, listed.stream().map(BlobInfo::key).toList());
            for (BlobInfo info : listed) {
                assertEquals(Integer.parseInt(info.name(), 16), info.size(), info.key());
            }
        }
    }

    // ---------------------------------------------------------------- buckets: absent from the stand-in

    /**
     * LocalStorageHelper has no buckets: every name holds objects and none is missing, where GCS
     * answers 404 "The specified bucket does not exist." Here that answer is mapped, as a listing (the
     * check) and as an object request; {@link GcsFakeServerTest} runs the real tests on a missing bucket.
     */
    @Override
    @Test
    public void checkAvailableOnMissingContainerThrowsContainerNotFound() {
        GcsBlobStore gcs = (GcsBlobStore) store;
        StorageException missing = new StorageException(404, "The specified bucket does not exist.");
        assertInstanceOf(ContainerNotFoundException.class, gcs.translate(missing, ""));
        assertInstanceOf(ContainerNotFoundException.class, gcs.translate(missing, "wal/x"));
    }

    /** LocalStorageHelper has no buckets: see {@link #checkAvailableOnMissingContainerThrowsContainerNotFound()}. */
    @Override
    @Test
    public void readFromMissingContainerIsNotReportedAsAnAbsentObject() {
        GcsBlobStore gcs = (GcsBlobStore) store;
        assertInstanceOf(FileNotFoundException.class,
                gcs.translate(new StorageException(404, "No such object: contract/wal/x"), "wal/x"));
        assertInstanceOf(ContainerNotFoundException.class,
                gcs.translate(new StorageException(404, "The specified bucket does not exist."), "wal/x"));
    }

    /** LocalStorageHelper has no buckets: see {@link #checkAvailableOnMissingContainerThrowsContainerNotFound()}. */
    @Override
    @Test
    public void writeToMissingContainerFailsWithoutCreatingIt() {
        checkAvailableOnMissingContainerThrowsContainerNotFound();
    }

    // ---------------------------------------------------------------- GCS only

    @Test
    void temporaryPartsAreHiddenFromEveryListing() throws IOException {
        write("srv/base/b1/backup.info", bytes(10, 40));
        raw.create(com.google.cloud.storage.BlobInfo.newBuilder(BUCKET,
                "srv/base/b1/data.tar" + GcsBlobStore.PARTS_MARKER + "0123456789abcdef/00001"
                        + GcsBlobStore.PART_SUFFIX).build(), new byte[10]);
        assertEquals(List.of("srv/base/b1/backup.info"), listKeys(""));
        assertEquals(List.of(), store.listPrefixes("srv/base/b1/"));
        assertEquals(List.of("srv/base/b1/"), store.listPrefixes("srv/base/"));
    }

    @Test
    void keysNamingTemporaryPartsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> store.openWrite("x" + GcsBlobStore.PARTS_MARKER + "y", WriteOptions.DEFAULT));
    }

    @Test
    void abortDeletesEveryPartAlreadyUploaded() throws IOException {
        BlobOutputStream out = store.openWrite("aborted/data.tar", WriteOptions.DEFAULT);
        out.write(bytes(3 * partSize() + 1, 41));
        out.abort();
        assertEquals(List.of(), parts());
        assertEquals(List.of(), listKeys(""));
    }

    @Test
    void tagsAreStoredAsCustomMetadataAsBarmanCloudDoes() throws IOException {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("project", "cumulus");
        tags.put("kind", "wal file");
        write("tagged", bytes(100, 42), WriteOptions.DEFAULT.withTags(tags));
        Blob blob = raw.get(BlobId.of(BUCKET, "tagged"));
        assertEquals(tags, blob.getMetadata());
    }

    @Test
    void libraryFailuresBecomeTheSpisExceptions() {
        GcsBlobStore gcs = (GcsBlobStore) store;
        assertInstanceOf(AccessDeniedException.class, gcs.translate(new StorageException(401, "Unauthorized"), "k"));
        assertInstanceOf(AccessDeniedException.class, gcs.translate(new StorageException(403,
                "sa@p.iam.gserviceaccount.com does not have storage.objects.get access"), "k"));
        assertInstanceOf(StoreUnavailableException.class, gcs.translate(new StorageException(503, "Backend Error"), "k"));
        assertInstanceOf(StoreUnavailableException.class, gcs.translate(new StorageException(429, "rate"), "k"));
        assertInstanceOf(StoreUnavailableException.class,
                gcs.translate(new StorageException(0, "Error", new ConnectException("Connection refused")), "k"));
        IOException noCredentials = gcs.translate(new StorageException(0, "Error", new IOException(
                "The Application Default Credentials are not available.")), "k");
        assertInstanceOf(AccessDeniedException.class, noCredentials);
        assertTrue(noCredentials.getMessage().contains("GOOGLE_APPLICATION_CREDENTIALS"), noCredentials.getMessage());
    }

    @Test
    void describeNamesTheBucket() {
        assertEquals("gs://contract", store.describe());
        assertFalse(store.describe().contains(" at "));
    }

    // ---------------------------------------------------------------- helpers

    /** A write longer than a part fails at close, and leaves neither the object nor any part. */
    private void assertLargeWriteFailsCleanly(String key, byte[] data, WriteOptions options) throws IOException {
        IOException e = assertThrows(IOException.class, () -> write(key, data, options));
        assertTrue(e.getMessage().contains("composing"), e.getMessage());
        assertEquals(Optional.empty(), store.stat(key));
        assertEquals(List.of(), listKeys(""));
        assertEquals(List.of(), parts());
    }

    private void awaitParts(int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (parts().size() < count && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        assertEquals(count, parts().size());
    }

    /** The temporary parts in the bucket, which the store's own listings never show. */
    private List<String> parts() {
        return StreamSupport.stream(raw.list(BUCKET).iterateAll().spliterator(), false)
                .map(Blob::getName).filter(name -> name.contains(GcsBlobStore.PARTS_MARKER)).toList();
    }

    private static void writeTo(BlobStore gcs, String key, byte[] data, WriteOptions options) throws IOException {
        try (BlobOutputStream out = gcs.openWrite(key, options)) {
            out.write(data);
        }
    }
}
