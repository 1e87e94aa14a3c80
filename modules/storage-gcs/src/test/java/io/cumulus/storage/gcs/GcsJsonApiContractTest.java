package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.BlobStoreContractTest;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The storage contract, unchanged, over HTTP against a server of the GCS JSON API: compose,
 * preconditions, paging, batches and missing buckets, which LocalStorageHelper cannot show. Each
 * test gets a bucket of its own; the subclasses say where the server is.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GcsJsonApiContractTest extends BlobStoreContractTest {

    /** A client of the server for what the store hides or cannot do: buckets, temporary parts. */
    protected Storage admin;
    /** The bucket of the current test's store. */
    protected String bucket;

    /** The server's address, as STORAGE_EMULATOR_HOST names it. */
    protected abstract URI endpoint();

    @BeforeAll
    void connect() {
        admin = GcsBlobStores.storageOptions(GcsStoreConfig.of("admin").withEmulatorHost(endpoint())
                .withProjectId("cumulus-test")).getService();
    }

    @AfterAll
    void disconnect() throws Exception {
        admin.close();
    }

    protected GcsStoreConfig config(String bucket) {
        return GcsStoreConfig.of(bucket).withEmulatorHost(endpoint()).withProjectId("cumulus-test")
                .withPartSize(partSize()).withListPageSize(listPageSize());
    }

    @Override
    protected BlobStore createStore() {
        bucket = "contract-" + UUID.randomUUID().toString().substring(0, 8);
        admin.create(BucketInfo.of(bucket));
        return GcsBlobStores.open(config(bucket));
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return GcsBlobStores.open(config("missing-" + UUID.randomUUID().toString().substring(0, 8)));
    }

    @Test
    void objectOfMoreThan32PartsIsComposedInATree() throws Exception {
        byte[] data = bytes(70 * partSize() + 11, 70); // 71 parts: three composites, then the object
        write("base/big.tar", data);
        assertArrayEquals(data, read("base/big.tar"));
        assertEquals(List.of("base/big.tar"), listKeys(""));
    }

    @Test
    void tagsAreStoredAsCustomMetadataOnComposedObjects() throws Exception {
        write("tagged/big", bytes(2 * partSize() + 1, 71),
                WriteOptions.DEFAULT.withTags(Map.of("project", "cumulus")));
        assertEquals(Map.of("project", "cumulus"), admin.get(BlobId.of(bucket, "tagged/big")).getMetadata());
    }
}
