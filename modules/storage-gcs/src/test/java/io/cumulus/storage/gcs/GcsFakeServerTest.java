package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.FakeGcsServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract over HTTP against build-support/fake-gcs.py, which answers as GCS does where
 * LocalStorageHelper cannot (buckets, preconditions, pages, composes, batches), and can fail chosen
 * calls: the GCS calls the store makes, retries included, run for real on every build with python3.
 */
class GcsFakeServerTest extends GcsJsonApiContractTest {

    private FakeGcsServer fake;

    @Override
    protected URI endpoint() {
        if (fake == null) {
            assumeTrue(FakeGcsServer.available(), "python3 is missing");
            fake = FakeGcsServer.start(true);
        }
        return fake.endpoint();
    }

    /** Waits for {@code count} temporary parts in the bucket (uploads run in the background), and names them. */
    private List<String> awaitParts(int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (parts().size() < count && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        assertEquals(count, parts().size());
        return parts();
    }

    /** The temporary parts in the bucket, which the store's own listings never show. */
    private List<String> parts() {
        return StreamSupport.stream(admin.list(bucket).iterateAll().spliterator(), false)
                .map(Blob::getName).filter(name -> name.contains(GcsBlobStore.PARTS_MARKER)).sorted().toList();
    }

    @AfterAll
    void stopFake() {
        if (fake != null) {
            fake.close();
        }
    }

    // ---------------------------------------------------------------- keys

    /**
     * The keys under a URL path such as {@code gs://b/a//my%20dir}, which barman-cloud keeps as
     * written: GCS takes empty segments and percent signs as they are, and so must the store.
     */
    @Test
    void keysUnderAPathWithEmptySegmentsAndPercentSignsAreStoredAsWritten() throws IOException {
        String key = "a//my%20dir/my dir/srv/wals/0000000100000000/000000010000000000000001";
        byte[] data = bytes(100, 90);
        write(key, data);
        assertArrayEquals(data, read(key));
        assertEquals(List.of(key), listKeys("a//my%20dir/"));
        assertEquals(List.of("a//my%20dir/my dir/srv/"), store.listPrefixes("a//my%20dir/my dir/"));
        assertEquals(data.length, admin.get(BlobId.of(bucket, key)).getSize());
    }

    // ---------------------------------------------------------------- retries

    /**
     * backup.info, backup_manifest and every archive of one part are written without a precondition;
     * the library retries such a write only when told that replaying it is safe, which it is here
     * (the same bytes again).
     */
    @Test
    void anUnconditionalWriteIsRetriedAfterA503() throws IOException {
        fake.fail("POST", "/upload/", 503, false, 1);
        byte[] data = bytes(1000, 80);
        write("srv/base/b1/backup.info", data);
        assertArrayEquals(data, read("srv/base/b1/backup.info"));
    }

    /** The compose that makes a 100 GB archive out of its parts: one 503 must not fail the backup. */
    @Test
    void theFinalComposeIsRetriedAfterA503() throws IOException {
        fake.fail("POST", "/compose", 503, false, 1);
        byte[] data = bytes(3 * partSize() + 5, 81);
        write("srv/base/b1/data.tar", data);
        assertArrayEquals(data, read("srv/base/b1/data.tar"));
        assertEquals(List.of("srv/base/b1/data.tar"), listKeys(""));
    }

    @Test
    void theFinalComposeIsRetriedAfterAConnectionReset() throws IOException {
        fake.fail("POST", "/compose", 0, false, 1);
        byte[] data = bytes(2 * partSize() + 5, 82);
        write("srv/base/b1/data.tar", data);
        assertArrayEquals(data, read("srv/base/b1/data.tar"));
    }

    /**
     * A compose that went through but whose answer was lost runs again: its sources are pinned to the
     * generations uploaded, so the object is composed of exactly the same bytes a second time.
     */
    @Test
    void aComposeWhoseAnswerWasLostIsReplayedWithTheSameParts() throws IOException {
        fake.fail("POST", "/compose", 503, true, 1);
        byte[] data = bytes(2 * partSize() + 5, 83);
        write("srv/base/b1/data.tar", data);
        assertArrayEquals(data, read("srv/base/b1/data.tar"));
        assertEquals(List.of("srv/base/b1/data.tar"), listKeys(""));
    }

    /**
     * A conditional create (a WAL segment, ifGenerationMatch=0) whose answer was lost is retried (the
     * library always retries these) and then finds its own object: it reports "already exists", and
     * WalArchiver, comparing the stored content with its segment, finds it identical and succeeds.
     */
    @Test
    void aConditionalCreateWhoseAnswerWasLostReportsAlreadyExistsOverItsOwnObject() throws IOException {
        fake.fail("POST", "/upload/", 503, true, 1);
        byte[] data = bytes(1000, 84);
        assertThrows(FileAlreadyExistsException.class,
                () -> write("srv/wals/0000000100000000/000000010000000000000001", data,
                        WriteOptions.DEFAULT.withIfAbsent(true)));
        assertArrayEquals(data, read("srv/wals/0000000100000000/000000010000000000000001"));
    }

    // ---------------------------------------------------------------- composes that find no part

    /**
     * A part deleted before the compose, as a lifecycle rule on {@code .cumulus-part} younger than the
     * upload does: GCS answers 404 "Object X (generation: N) not found.", which must not be taken for a
     * missing bucket (exit 1, "create it first") but name the vanished part and the rule's age.
     */
    @Test
    void aPartThatVanishedBeforeTheComposeIsNamedAsSuch() throws IOException {
        BlobOutputStream out = store.openWrite("srv/base/b1/data.tar", WriteOptions.DEFAULT);
        out.write(bytes(3 * partSize() + 5, 85));
        List<String> parts = awaitParts(3);
        admin.delete(BlobId.of(bucket, parts.get(1)));
        IOException e = assertThrows(IOException.class, out::close);
        assertFalse(e instanceof ContainerNotFoundException, e.toString());
        assertTrue(e.getMessage().contains("temporary part of gs://" + bucket + "/srv/base/b1/data.tar vanished"),
                e.getMessage());
        assertTrue(e.getMessage().contains("(generation: "), e.getMessage());
        assertTrue(e.getMessage().contains("lifecycle rule"), e.getMessage());
        assertEquals(List.of(), listKeys(""));
        assertEquals(List.of(), parts());
    }

    /** The same 404 from a compose on a bucket deleted during the upload does mean a missing bucket. */
    @Test
    void aComposeOnABucketDeletedDuringTheUploadIsAMissingBucket() throws IOException {
        BlobOutputStream out = store.openWrite("srv/base/b1/data.tar", WriteOptions.DEFAULT);
        out.write(bytes(3 * partSize() + 5, 86));
        for (String part : awaitParts(3)) {
            admin.delete(BlobId.of(bucket, part));
        }
        admin.delete(bucket);
        ContainerNotFoundException e = assertThrows(ContainerNotFoundException.class, out::close);
        assertTrue(e.getMessage().contains("bucket " + bucket + " does not exist"), e.getMessage());
    }

    // ---------------------------------------------------------------- KMS keys

    /**
     * {@code --kms-key-name} on an archive of more than 32 parts. GCS encrypts a composed object with
     * the key its compose request names, else the bucket's default, never with its sources' key: so
     * the object, and each intermediate composite it is made of, needs the key on its own compose.
     */
    @Test
    void everyComposeOfALargeObjectNamesTheKmsKey() throws IOException {
        String kmsKey = "projects/p/locations/l/keyRings/r/cryptoKeys/k";
        store.close();
        store = GcsBlobStores.open(config(bucket).withKmsKeyName(kmsKey));
        int composes = fake.calls("compose");
        int composesWithKey = fake.calls("composeWithKmsKey");
        byte[] data = bytes(40 * partSize() + 3, 87); // 41 parts: two composites, then the object
        write("srv/base/b1/data.tar", data);
        assertArrayEquals(data, read("srv/base/b1/data.tar"));
        assertEquals(3, fake.calls("compose") - composes);
        assertEquals(3, fake.calls("composeWithKmsKey") - composesWithKey, "composes that named the key");
        assertEquals(kmsKey + "/cryptoKeyVersions/1",
                admin.get(BlobId.of(bucket, "srv/base/b1/data.tar")).getKmsKeyName());
        assertEquals(List.of(), parts());

        write("srv/wals/0000000100000000/000000010000000000000001", bytes(1000, 88));
        assertEquals(kmsKey + "/cryptoKeyVersions/1",
                admin.get(BlobId.of(bucket, "srv/wals/0000000100000000/000000010000000000000001")).getKmsKeyName());
    }

    /** Without a key, composes name none: the bucket's default applies, as GCS does for barman-cloud. */
    @Test
    void composesWithoutAKmsKeyNameNone() throws IOException {
        int composesWithKey = fake.calls("composeWithKmsKey");
        write("srv/base/b1/data.tar", bytes(2 * partSize() + 3, 89));
        assertEquals(0, fake.calls("composeWithKmsKey") - composesWithKey);
        assertEquals(null, admin.get(BlobId.of(bucket, "srv/base/b1/data.tar")).getKmsKeyName());
    }

    // ---------------------------------------------------------------- paging and batches, counted

    @Test
    void listPrefixesReadsEveryPage() throws IOException {
        int count = 2 * listPageSize() + 5;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            write(String.format("srv/base/2026%04d/backup.info", i), bytes(3, i));
            expected.add(String.format("srv/base/2026%04d/", i));
        }
        int listed = fake.calls("list");
        assertEquals(expected, store.listPrefixes("srv/base/"));
        assertEquals(3, fake.calls("list") - listed, "pages of " + listPageSize());
    }

    @Test
    void deletesGoInBatchRequests() throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            keys.add("wal/" + i);
            write("wal/" + i, bytes(3, i));
        }
        int batches = fake.calls("batch");
        store.deleteAll(keys);
        assertEquals(2, fake.calls("batch") - batches, "batches of " + GcsStoreConfig.MAX_DELETE_BATCH_SIZE);
        assertTrue(listKeys("").isEmpty());
    }
}
