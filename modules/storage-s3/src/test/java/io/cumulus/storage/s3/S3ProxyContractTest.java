package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.BlobStoreContractTest;
import io.cumulus.testsupport.S3ProxyServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The storage contract against S3Proxy 2.7.0 in this JVM, through the real SDK client: over plain HTTP
 * ({@link S3BlobStoreTest}) and over TLS ({@link S3BlobStoreOverTlsTest}), where S3Proxy's quirks are
 * the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class S3ProxyContractTest extends BlobStoreContractTest {

    private final AtomicInteger buckets = new AtomicInteger();
    protected S3ProxyServer server;

    /** The server the contract runs against, started once for the class. */
    protected abstract S3ProxyServer newServer() throws Exception;

    /** Opens a store as the class's clients do. */
    protected abstract BlobStore open(S3StoreConfig config);

    @BeforeAll
    void startServer() throws Exception {
        server = newServer();
    }

    @AfterAll
    void stopServer() throws Exception {
        server.close();
    }

    protected S3StoreConfig config(S3ProxyServer on, String bucket) {
        return S3StoreConfig.of(bucket)
                .withEndpoint(on.endpoint())
                .withRegion("us-east-1")
                .withCredentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(on.accessKey(), on.secretKey())))
                .withReadTimeout(Duration.ofSeconds(20))
                .withPartSize(partSize())
                .withMaxParts(20) // parts double every 2, so growth is exercised too
                .withListPageSize(listPageSize());
    }

    @Override
    protected BlobStore createStore() {
        return open(config(server, newBucket(server)));
    }

    protected String newBucket(S3ProxyServer on) {
        String bucket = "contract-" + buckets.incrementAndGet();
        on.createBucket(bucket);
        return bucket;
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return open(config(server, "missing-bucket"));
    }

    @Override
    protected int partSize() {
        return S3StoreConfig.MIN_PART_SIZE;
    }

    @Override
    protected int listPageSize() {
        return 10;
    }

    // ---------------------------------------------------------------- where S3Proxy differs from S3

    /**
     * S3Proxy's filesystem backend keeps the parts of an unfinished multipart upload as ordinary
     * objects ({@code .mpus-<id>-pending/...} and a stub named by the upload id) that every listing
     * shows; S3 never lists them. So only the key itself is checked here, not the whole bucket.
     */
    @Override
    @Test
    public void nothingIsVisibleBeforeClose() throws IOException {
        byte[] data = bytes(2 * partSize() + 100, 11);
        BlobOutputStream out = store.openWrite("pending/object", WriteOptions.DEFAULT);
        try {
            out.write(data);
            assertEquals(Optional.empty(), store.stat("pending/object"));
            assertEquals(List.of(), listKeys("pending/"));
        } finally {
            out.close();
        }
        assertArrayEquals(data, read("pending/object"));
        assertEquals(List.of("pending/object"), listKeys("pending/"));
    }

    /**
     * S3Proxy 2.7.0 does not implement object tagging: it answers 501 NotImplemented to a request with
     * {@code x-amz-tagging}, where S3 stores the tags. Here the failure must at least be reported as
     * not worth retrying and leave nothing; {@link #tagsAreSentUrlEncodedOnPutAndMultipartUpload}
     * checks the header itself against a server that ignores it.
     */
    @Override
    @Test
    public void writeWithTagsSucceeds() {
        IOException e = assertThrows(IOException.class, () -> write("tagged", bytes(100, 10),
                WriteOptions.DEFAULT.withTags(Map.of("project", "cumulus"))));
        assertFalse(e instanceof StoreUnavailableException, e.toString());
        assertTrue(e.getMessage().contains("not implemented"), e.getMessage());
    }
}
