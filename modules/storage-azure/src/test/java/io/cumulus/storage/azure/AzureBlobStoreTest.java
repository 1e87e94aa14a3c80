package io.cumulus.storage.azure;

import io.cumulus.testsupport.AzuriteServer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.sun.net.httpserver.HttpServer;
import io.cumulus.storage.BatchDeleteException;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.BlobStoreContractTest;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import reactor.core.publisher.Mono;

/**
 * The storage contract against Azurite 3.35 (from npm, a child process on a loopback port), through
 * the real SDK client and HTTP, plus what only Azure has: single put versus staged blocks, If-None-Match,
 * blob index tags, encryption scopes, Blob Batch deletes, every credential kind that works without
 * Azure AD, and failures that must never print a secret. Azurite passes the whole contract as it
 * stands, so no contract test is overridden here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AzureBlobStoreTest extends BlobStoreContractTest {

    private final AtomicInteger containers = new AtomicInteger();
    private AzuriteServer azurite;
    private BlobServiceClient admin;

    @BeforeAll
    void startAzurite() throws Exception {
        azurite = AzuriteServer.start();
        admin = new BlobServiceClientBuilder().connectionString(azurite.connectionString()).buildClient();
    }

    @AfterAll
    void stopAzurite() throws Exception {
        if (azurite != null) {
            azurite.close();
        }
    }

    @Test
    void aWriterBuffersTheObjectUpToTheSinglePutLimitAndBeyondItThatBufferAndItsBlocks() throws IOException {
        // what the --async uploader reserves per upload: a large --max-block-size must count
        try (BlobStore azure = AzureBlobStores.open(config("any").withMaxSinglePutSize(4 << 20)
                .withMaxBlockSize(2 << 20).withMaxConcurrency(8))) {
            assertEquals(3 << 20, azure.writeBufferNeed(3 << 20));
            assertEquals((4 << 20) + 8 * (2 << 20), azure.writeBufferNeed(16 << 20), "8 blocks, all in flight");
            assertEquals((4 << 20) + 9 * (2 << 20), azure.writeBufferNeed(64 << 20), "8 in flight, one filling");
        }
        try (BlobStore azure = AzureBlobStores.open(config("any").withMaxSinglePutSize(1 << 20)
                .withMaxBlockSize(100 << 20).withMaxConcurrency(8))) {
            assertEquals((1 << 20) + (16 << 20), azure.writeBufferNeed(16 << 20), "one block, no larger than the object");
        }
    }

    private AzureStoreConfig config(String container) {
        return AzureStoreConfig.of(azurite.endpoint(), AzuriteServer.ACCOUNT, container,
                        new AzureCredential.SharedKey(AzuriteServer.KEY))
                .withMaxBlockSize(partSize())
                .withMaxSinglePutSize(partSize())
                .withMaxConcurrency(4)
                .withListPageSize(listPageSize())
                .withReadTimeout(Duration.ofSeconds(20));
    }

    private String newContainer() {
        String name = "contract-" + containers.incrementAndGet();
        admin.createBlobContainer(name);
        return name;
    }

    @Override
    protected BlobStore createStore() {
        return AzureBlobStores.open(config(newContainer()));
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return AzureBlobStores.open(config("missing-container"));
    }

    @Override
    protected int partSize() {
        return 256 * 1024;
    }

    // ---------------------------------------------------------------- single put and blocks

    @Test
    void walArchiveDefaultsSendA16MiBSegmentInOnePutBlob() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        byte[] segment = bytes(16 * 1024 * 1024, 50);
        try (BlobStore azure = open(AzureStoreConfig::withWalArchiveDefaults, requests)) {
            writeTo(azure, "wals/0000000100000000/000000010000000000000001", segment, WriteOptions.DEFAULT);
            assertArrayEquals(segment, readFrom(azure, "wals/0000000100000000/000000010000000000000001"));
        }
        assertEquals(1, requests.matching("PUT", null).size(), requests.toString());
        assertEquals(List.of(), requests.matching("PUT", "block"));
    }

    @Test
    void largeObjectIsStagedInBlocksWithIdsOfOneLengthAndCommittedOnce() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        byte[] data = bytes(3 * partSize() + 5, 51);
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            writeTo(azure, "base/data.tar", data, WriteOptions.DEFAULT);
            assertArrayEquals(data, readFrom(azure, "base/data.tar"));
        }
        List<RecordedRequest> blocks = requests.matching("PUT", "block");
        assertEquals(4, blocks.size());
        assertEquals(1, blocks.stream().map(b -> b.query().get("blockid").length()).distinct().count(), blocks.toString());
        assertEquals(4, blocks.stream().map(b -> b.query().get("blockid")).distinct().count());
        assertEquals(1, requests.matching("PUT", "blocklist").size());
    }

    /** Azure sets no smallest block: barman-cloud-wal-archive's --max-block-size 1kB works as given. */
    @Test
    void blocksSmallerThan64KiBAreStagedAndCommitted() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        byte[] data = bytes(5000, 71);
        try (BlobStore azure = open(c -> c.withMaxBlockSize(1024).withMaxSinglePutSize(1024), requests)) {
            writeTo(azure, "wal/small-blocks", data, WriteOptions.DEFAULT);
            assertArrayEquals(data, readFrom(azure, "wal/small-blocks"));
        }
        assertEquals(5, requests.matching("PUT", "block").size(), requests.toString());
        assertEquals(1, requests.matching("PUT", "blocklist").size());
    }

    @Test
    void blockIdsHaveOneLengthUpToAzuresBlockLimit() {
        String first = AzureBlobStore.blockId("0123456789abcdef", 1);
        String last = AzureBlobStore.blockId("0123456789abcdef", AzureStoreConfig.MAX_BLOCKS);
        assertEquals(first.length(), last.length());
        assertTrue(first.length() <= 64, first);
    }

    @Test
    void ifAbsentSendsIfNoneMatchOnPutBlobAndOnPutBlockList() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            writeTo(azure, "wal/small", bytes(100, 52), WriteOptions.DEFAULT.withIfAbsent(true));
            writeTo(azure, "wal/large", bytes(2 * partSize() + 1, 53), WriteOptions.DEFAULT.withIfAbsent(true));
        }
        assertEquals("*", requests.single("PUT", "/wal/small", null).headers().get("if-none-match"));
        assertEquals("*", requests.single("PUT", "/wal/large", "blocklist").headers().get("if-none-match"));
        // no extra round trip before a conditional write: Azure enforces the condition itself
        assertEquals(List.of(), requests.matching("HEAD", null));
    }

    @Test
    void tagsAreStoredAsBlobIndexTagsOnPutBlobAndOnPutBlockList() throws Exception {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("project", "cumulus");
        tags.put("kind", "wal file");
        String name = newContainer();
        try (BlobStore azure = AzureBlobStores.open(config(name))) {
            writeTo(azure, "small", bytes(10, 54), WriteOptions.DEFAULT.withTags(tags));
            writeTo(azure, "large", bytes(2 * partSize() + 1, 55), WriteOptions.DEFAULT.withTags(tags));
        }
        BlobContainerClient container = admin.getBlobContainerClient(name);
        assertEquals(tags, container.getBlobClient("small").getTags());
        assertEquals(tags, container.getBlobClient("large").getTags());
    }

    @Test
    void encryptionScopeIsSentOnEveryWrite() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = open(c -> c.withEncryptionScope("backups"), requests)) {
            writeTo(azure, "small", bytes(10, 56), WriteOptions.DEFAULT);
            writeTo(azure, "large", bytes(partSize() + 1, 57), WriteOptions.DEFAULT);
        }
        List<RecordedRequest> writes = requests.all("PUT");
        assertEquals(4, writes.size()); // Put Blob, two Put Block, Put Block List
        for (RecordedRequest write : writes) {
            assertEquals("backups", write.headers().get("x-ms-encryption-scope"), write.toString());
        }
    }

    @Test
    void everyPutBlobAndPutBlockCarriesTheContentMd5OfItsBody() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        byte[] small = bytes(100, 67);
        byte[] large = bytes(2 * partSize() + 7, 68);
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            writeTo(azure, "small", small, WriteOptions.DEFAULT);
            writeTo(azure, "large", large, WriteOptions.DEFAULT);
        }
        assertEquals(md5(small, 0, small.length), requests.single("PUT", "/small", null).headers().get("content-md5"));
        Set<String> expected = Set.of(md5(large, 0, partSize()), md5(large, partSize(), partSize()),
                md5(large, 2 * partSize(), 7));
        Set<String> sent = requests.matching("PUT", "block").stream().map(r -> r.headers().get("content-md5"))
                .collect(Collectors.toSet());
        assertEquals(expected, sent, requests.toString());
    }

    /**
     * Azure (and Azurite) check the Content-MD5 against the body received: a body changed on the way
     * is refused and nothing is stored. The hook changes the digest instead of the body, which comes
     * to the same; it runs after signing, so the credential is a SAS, whose signature covers no header.
     */
    @Test
    void aBodyThatDoesNotMatchItsContentMd5IsRefusedAndNothingIsStored() throws Exception {
        String name = newContainer();
        String sas = admin.getBlobContainerClient(name).generateSas(new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1), BlobContainerSasPermission.parse("racwdl")));
        String wrong = md5(new byte[0], 0, 0);
        RequestHook corrupt = new RequestHook(request -> {
            if (request.getHeaders().getValue(HttpHeaderName.CONTENT_MD5) != null) {
                request.setHeader(HttpHeaderName.CONTENT_MD5, wrong);
            }
        });
        try (BlobStore azure = AzureBlobStores.open(config(name).withCredential(new AzureCredential.SasToken(sas)),
                builder -> builder.addPolicy(corrupt))) {
            // Azure answers 400 Md5Mismatch (see translatesAzuresMd5Mismatch), Azurite 400 InvalidOperation
            IOException single = assertThrows(IOException.class,
                    () -> writeTo(azure, "single", bytes(100, 69), WriteOptions.DEFAULT));
            assertTrue(single.getMessage().contains("(400 "), single.getMessage());
            IOException blocks = assertThrows(IOException.class,
                    () -> writeTo(azure, "blocks", bytes(2 * partSize() + 1, 70), WriteOptions.DEFAULT));
            assertTrue(blocks.getMessage().contains("(400 "), blocks.getMessage());
            assertEquals(List.of(), listKeysOf(azure, ""));
        }
    }

    /**
     * Reads are pinned to the ETag they began with: a blob replaced between two of the stream's 4 MiB
     * requests fails the read, saying so, instead of mixing two versions.
     */
    @Test
    void aBlobReplacedWhileBeingReadFailsTheReadSayingItChanged() throws Exception {
        byte[] first = bytes(5 * 1024 * 1024, 72);
        write("replaced", first);
        for (boolean ranged : List.of(false, true)) {
            try (InputStream in = ranged ? store.openRead("replaced", 0, first.length) : store.openRead("replaced")) {
                assertEquals(first[0] & 0xff, in.read());
                write("replaced", bytes(first.length, 73));
                IOException e = assertThrows(IOException.class, in::readAllBytes);
                assertFalse(e instanceof FileAlreadyExistsException, e.toString());
                assertTrue(e.getMessage().contains("changed while being read"), e.getMessage());
            }
            write("replaced", first);
        }
    }

    // ---------------------------------------------------------------- abort

    /**
     * Abort commits nothing and deletes nothing: the staged blocks stay uncommitted, which no read,
     * stat or listing sees, until Azure discards them (at the blob's next commit, or after a week).
     */
    @Test
    void abortOfABlockUploadLeavesNothingVisibleAndSendsNoCommitOrDelete() throws Exception {
        String name = newContainer();
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = AzureBlobStores.open(config(name), builder -> builder.addPolicy(requests))) {
            BlobOutputStream out = azure.openWrite("aborted", WriteOptions.DEFAULT);
            out.write(bytes(3 * partSize(), 58));
            out.abort();
            assertEquals(Optional.empty(), azure.stat("aborted"));
            assertEquals(List.of(), listKeysOf(azure, ""));
            assertThrows(FileNotFoundException.class, () -> azure.openRead("aborted").close());
        }
        // the third block was still being filled: only full blocks go up before close
        assertEquals(2, requests.matching("PUT", "block").size(), requests.toString());
        assertEquals(List.of(), requests.matching("PUT", "blocklist"));
        assertEquals(List.of(), requests.all("DELETE"));
        assertEquals(2, admin.getBlobContainerClient(name).getBlobClient("aborted").getBlockBlobClient()
                .listBlocks(BlockListType.UNCOMMITTED).getUncommittedBlocks().size());
    }

    /**
     * The case that must never leave a 0-byte blob under a WAL's name: a block fails part-way, with a
     * SAS that may not delete (an archive-only host). Nothing is committed, so nothing needs deleting,
     * and PostgreSQL's retry of the same segment (If-None-Match: *) succeeds.
     */
    @Test
    void failedBlockUploadLeavesNoBlobSoTheSameWriteSucceedsWhenRetried() throws Exception {
        String name = newContainer();
        String sas = admin.getBlobContainerClient(name).generateSas(new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1), BlobContainerSasPermission.parse("racwl")));
        AtomicInteger blocks = new AtomicInteger();
        RequestHook secondBlockFails = new RequestHook(request -> {
            if (isPutBlock(request) && blocks.incrementAndGet() == 2) {
                throw new UncheckedIOException(new IOException("connection reset (injected by the test)"));
            }
        });
        RecordedRequests requests = new RecordedRequests();
        String key = "wals/0000000100000000/000000010000000000000002";
        byte[] segment = bytes(3 * partSize(), 65);
        WriteOptions ifAbsent = WriteOptions.DEFAULT.withIfAbsent(true);
        try (BlobStore azure = AzureBlobStores.open(config(name).withCredential(new AzureCredential.SasToken(sas))
                .withMaxAttempts(1), builder -> builder.addPolicy(secondBlockFails).addPolicy(requests))) {
            assertThrows(IOException.class, () -> writeTo(azure, key, segment, ifAbsent));
            assertTrue(blocks.get() >= 2, requests.toString());
            assertEquals(Optional.empty(), azure.stat(key));
            assertEquals(List.of(), listKeysOf(azure, ""));
            assertEquals(List.of(), requests.matching("PUT", "blocklist"));
            assertEquals(List.of(), requests.all("DELETE"));

            writeTo(azure, key, segment, ifAbsent);
            assertArrayEquals(segment, readFrom(azure, key));
        }
    }

    @Test
    void abortOfABlockUploadOverAnExistingBlobKeepsItsContent() throws Exception {
        byte[] original = bytes(1000, 59);
        write("kept", original);
        BlobOutputStream out = store.openWrite("kept", WriteOptions.DEFAULT);
        out.write(bytes(3 * partSize(), 60));
        out.abort();
        assertArrayEquals(original, read("kept"));
        assertEquals(List.of("kept"), listKeys(""));
    }

    // ---------------------------------------------------------------- deletes

    /**
     * Deletes go in Blob Batch requests of at most 256, each naming its blob by the URL the blob
     * client uses. (Named by container and blob name instead, an emulator's batch lost its account
     * path and Azurite refused every batch: the keys then went one by one.)
     */
    @Test
    void deleteAllGoesInBlobBatchesOf256() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            List<String> keys = fill(azure, 600);
            requests.clear();
            azure.deleteAll(keys);
            assertEquals(List.of(), listKeysOf(azure, ""));
            azure.deleteAll(List.of("many/00001"));
        }
        assertEquals(4, requests.matching("POST", "batch").size(), requests.toString());
        assertEquals(List.of(), requests.matching("DELETE", null));
    }

    /** A key with a {@code %} in it is deleted, and not the blob its decoded name would be. */
    @Test
    void batchDeleteOfAKeyWithAPercentDeletesThatKeyOnly() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            for (String key : List.of("pct/a%41", "pct/aA", "pct/b c", "pct/b%20c")) {
                writeTo(azure, key, bytes(10, 66), WriteOptions.DEFAULT);
            }
            requests.clear();
            azure.deleteAll(List.of("pct/a%41", "pct/b c"));
            assertEquals(List.of("pct/aA", "pct/b%20c"), listKeysOf(azure, "pct/"));
        }
        assertEquals(1, requests.matching("POST", "batch").size(), requests.toString());
        assertEquals(List.of(), requests.matching("DELETE", null));
    }

    /**
     * Each delete in a Blob Batch names its blob exactly as the key is spelt: the SDK's
     * deleteBlob(container, name) decodes the name first, so {@code a%41} would delete {@code aA},
     * get a 404 and count as deleted. A loopback server takes the batch, shows what it asked, and
     * refuses it as a store without Blob Batch would: the keys then go one by one, and later deletes
     * skip the batch.
     */
    @Test
    void batchDeleteNamesEachBlobLiterallyEvenWithAPercentInIt() throws Exception {
        List<String> batches = new CopyOnWriteArrayList<>();
        List<String> deletes = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean batch = exchange.getRequestMethod().equals("POST");
            (batch ? batches : deletes).add(batch ? body : exchange.getRequestURI().getRawPath());
            exchange.sendResponseHeaders(batch ? 400 : 202, -1);
            exchange.close();
        });
        server.start();
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + AzuriteServer.ACCOUNT);
        try (BlobStore azure = AzureBlobStores.open(new AzureStoreConfig(endpoint, AzuriteServer.ACCOUNT, "pct",
                new AzureCredential.SharedKey(AzuriteServer.KEY), partSize(), 1, partSize(), Optional.empty(), 10, 256,
                1, Duration.ofSeconds(5)))) {
            azure.deleteAll(List.of("wal/a%41", "wal/b c"));
            azure.deleteAll(List.of("wal/d"));
        } finally {
            server.stop(0);
        }
        assertEquals(1, batches.size(), deletes.toString());
        List<String> batched = Pattern.compile("(?m)^DELETE (\\S+) HTTP/1\\.1\r?$").matcher(batches.get(0)).results()
                .map(m -> URI.create(m.group(1)).getPath()).toList();
        List<String> literal = List.of("/devstoreaccount1/pct/wal/a%41", "/devstoreaccount1/pct/wal/b c");
        assertEquals(literal, batched, batches.get(0));
        assertEquals(List.of("/devstoreaccount1/pct/wal/a%41", "/devstoreaccount1/pct/wal/b c",
                "/devstoreaccount1/pct/wal/d"), deletes.stream().map(path -> URI.create(path).getPath()).toList());
    }

    /**
     * barman-cloud-wal-archive stores under {@code a//b/...} for a URL path {@code a//b}, and under
     * {@code a//srv/...} for {@code a//}: such keys are written, read, listed and batch-deleted as
     * spelt, never as their collapsed {@code a/b/...} twins (Azurite keeps the empty segment; the
     * SDK puts the name in the request path, and a Blob Batch's sub-request too).
     */
    @Test
    void keysWithEmptySegmentsAreWrittenReadListedAndDeletedAsSpelt() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore azure = open(UnaryOperator.identity(), requests)) {
            String doubled = "a//b/srv/wals/0000000100000000/000000010000000000000046";
            String trailing = "a//srv/wals/0000000100000000/000000010000000000000046";
            String collapsed = "a/b/srv/wals/0000000100000000/000000010000000000000046";
            writeTo(azure, doubled, bytes(100, 1), WriteOptions.DEFAULT);
            writeTo(azure, trailing, bytes(100, 2), WriteOptions.DEFAULT);
            writeTo(azure, collapsed, bytes(100, 3), WriteOptions.DEFAULT);
            assertArrayEquals(bytes(100, 1), readFrom(azure, doubled));
            assertArrayEquals(bytes(100, 2), readFrom(azure, trailing));
            assertEquals(List.of(doubled), listKeysOf(azure, "a//b/"));
            assertEquals(List.of("a//b/srv/wals/0000000100000000/"), azure.listPrefixes("a//b/srv/wals/"));
            assertEquals(List.of("a//b/", "a//srv/"), azure.listPrefixes("a//"));
            requests.clear();
            azure.deleteAll(List.of(doubled, trailing));
            assertEquals(List.of(collapsed), listKeysOf(azure, "a/"));
        }
        assertEquals(1, requests.matching("POST", "batch").size(), requests.toString());
    }

    /** Keys no URL Cumulus accepts can lead to: barman-cloud's own for them would not be restorable. */
    @Test
    void keysThatNoAcceptedUrlLeadsToAreRefused() throws Exception {
        try (BlobStore azure = createStore()) {
            for (String key : List.of("", "/a/srv/wals/x", "a/srv/wals/")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> azure.openWrite(key, WriteOptions.DEFAULT), key);
                assertTrue(e.getMessage().contains("invalid key"), e.getMessage());
            }
        }
    }

    @Test
    void storeThatNeverAnswersTimesOutAndLeavesExactlyTheUndeletedKeys() throws Exception {
        try (SilentServer silent = new SilentServer();
                BlobStore azure = AzureBlobStores.open(new AzureStoreConfig(silent.endpoint(), AzuriteServer.ACCOUNT,
                        "any", new AzureCredential.SharedKey(AzuriteServer.KEY), partSize(), 1, partSize(),
                        Optional.empty(), 10, 256, 1, Duration.ofSeconds(1)))) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertThrows(StoreUnavailableException.class, azure::checkAvailable);
                BatchDeleteException e = assertThrows(BatchDeleteException.class,
                        () -> azure.deleteAll(List.of("wal/a", "wal/b")));
                assertEquals(List.of("wal/a", "wal/b"), e.failedKeys());
                assertInstanceOf(StoreUnavailableException.class, e.getCause());
            });
        }
    }

    // ---------------------------------------------------------------- credentials and failures

    @Test
    void containerSasTokenReadsWritesListsAndDeletes() throws Exception {
        String name = newContainer();
        String sas = admin.getBlobContainerClient(name).generateSas(new BlobServiceSasSignatureValues(
                OffsetDateTime.now().plusHours(1), BlobContainerSasPermission.parse("racwdlt")));
        try (BlobStore azure = AzureBlobStores.open(config(name).withCredential(new AzureCredential.SasToken(sas)))) {
            azure.checkAvailable();
            byte[] data = bytes(2 * partSize() + 3, 61);
            writeTo(azure, "sas/object", data, WriteOptions.DEFAULT);
            assertArrayEquals(data, readFrom(azure, "sas/object"));
            azure.deleteAll(List.of("sas/object"));
            assertEquals(List.of(), listKeysOf(azure, ""));
            assertFalse(azure.describe().contains("sig="), azure.describe());
        }
    }

    @Test
    void connectionStringCredentialBringsItsOwnEndpoint() throws Exception {
        String name = newContainer();
        AzureStoreConfig config = config(name).withCredential(new AzureCredential.ConnectionString(
                azurite.connectionString()));
        try (BlobStore azure = AzureBlobStores.open(config)) {
            writeTo(azure, "cs", bytes(10, 62), WriteOptions.DEFAULT);
            assertEquals(List.of("cs"), listKeysOf(azure, ""));
            assertEquals(azurite.endpoint() + "/" + name, azure.describe());
        }
        assertFalse(config.toString().contains(AzuriteServer.KEY), config.toString());
    }

    /**
     * A connection string whose BlobEndpoint carries user info is refused, never shown: the SDK, which
     * never uses it, failed every request quoting a piece of it (NumberFormatException: For input
     * string: "password@host:port").
     */
    @Test
    void aConnectionStringEndpointsUserInfoIsRefusedAndNeverShown() {
        String secret = "endpoint-password-do-not-print";
        URI endpoint = azurite.endpoint();
        String connectionString = azurite.connectionString().replace(endpoint.toString(),
                endpoint.getScheme() + "://user:" + secret + "@" + endpoint.getRawAuthority() + endpoint.getRawPath());
        assertTrue(connectionString.contains(secret), "the test's connection string carries the user info");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AzureCredential.ConnectionString(connectionString));
        assertTrue(e.getMessage().startsWith(AzureCredential.CONNECTION_STRING_VARIABLE + " is not usable: its"
                + " BlobEndpoint carries user info"), e.getMessage());
        assertFalse(e.getMessage().contains(secret), e.getMessage());
    }

    @Test
    void forgedSasTokenIsAccessDeniedAndNeverPrinted() throws Exception {
        String signature = "c2VjcmV0LXNpZ25hdHVyZS1kby1ub3QtcHJpbnQ";
        String sas = "sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&st=2020-01-01T00:00:00Z"
                + "&spr=https,http&sig=" + signature + "%3D";
        AzureStoreConfig config = config(newContainer()).withCredential(new AzureCredential.SasToken(sas));
        try (BlobStore azure = AzureBlobStores.open(config)) {
            assertNeverShows(signature, assertThrows(AccessDeniedException.class, azure::checkAvailable));
            assertNeverShows(signature, assertThrows(AccessDeniedException.class, () -> azure.openRead("x").close()));
            assertNeverShows(signature, assertThrows(AccessDeniedException.class,
                    () -> writeTo(azure, "x", bytes(10, 63), WriteOptions.DEFAULT)));
            assertFalse(azure.describe().contains(signature));
        }
        assertFalse(config.toString().contains(signature), config.toString());
    }

    /**
     * A wrong account key is "access denied", without Azure's answer. The key itself never leaves the
     * process (a request carries only an HMAC made with it), so no answer can quote it; what Azure's
     * answer does quote, the request's signature and the string signed, is kept out by dropping the
     * answer: no cause. Azurite quotes neither, so AzureFailureTranslationTest checks Azure's words.
     */
    @Test
    void wrongSharedKeyIsAccessDeniedWithoutAzuresAnswer() throws Exception {
        String wrongKey = Base64.getEncoder().encodeToString("wrong-key-do-not-print-it-anywhere".getBytes());
        try (BlobStore azure = AzureBlobStores.open(config(newContainer())
                .withCredential(new AzureCredential.SharedKey(wrongKey)))) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class, azure::checkAvailable);
            assertTrue(e.getMessage().contains("check the credentials"), e.getMessage());
            assertEquals(null, e.getCause());
            assertNeverShows(wrongKey, e);
        }
    }

    @Test
    void refusedConnectionIsStoreUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (BlobStore azure = AzureBlobStores.open(new AzureStoreConfig(
                URI.create("http://127.0.0.1:" + closedPort + "/" + AzuriteServer.ACCOUNT), AzuriteServer.ACCOUNT,
                "any", new AzureCredential.SharedKey(AzuriteServer.KEY), partSize(), 1, partSize(), Optional.empty(),
                10, 256, 1, Duration.ofSeconds(5)))) {
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class, azure::checkAvailable);
            assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
        }
    }

    @Test
    void missingContainerIsNamedInTheMessage() throws Exception {
        try (BlobStore missing = createStoreWithMissingContainer()) {
            IOException e = assertThrows(IOException.class, missing::checkAvailable);
            assertTrue(e.getMessage().contains("container missing-container does not exist"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    private BlobStore open(UnaryOperator<AzureStoreConfig> tweak, RecordedRequests requests) {
        return AzureBlobStores.open(tweak.apply(config(newContainer())), builder -> builder.addPolicy(requests));
    }

    private static void writeTo(BlobStore azure, String key, byte[] data, WriteOptions options) throws IOException {
        try (BlobOutputStream out = azure.openWrite(key, options)) {
            out.write(data);
        }
    }

    private static byte[] readFrom(BlobStore azure, String key) throws IOException {
        try (InputStream in = azure.openRead(key)) {
            return in.readAllBytes();
        }
    }

    private static List<String> fill(BlobStore azure, int count) throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = String.format("many/%05d", i);
            writeTo(azure, key, new byte[] {1}, WriteOptions.DEFAULT);
            keys.add(key);
        }
        return keys;
    }

    private static List<String> listKeysOf(BlobStore azure, String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        var iterator = azure.list(prefix);
        while (iterator.hasNext()) {
            keys.add(iterator.next().key());
        }
        return keys;
    }

    private static String md5(byte[] data, int offset, int length) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update(data, offset, length);
            return Base64.getEncoder().encodeToString(md5.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Put Block: a PUT with {@code comp=block} (Put Block List is {@code comp=blocklist}). */
    private static boolean isPutBlock(HttpRequest request) {
        String query = request.getUrl().getQuery();
        return request.getHttpMethod().name().equals("PUT") && query != null
                && Arrays.asList(query.split("&")).contains("comp=block");
    }

    /** Neither the exception's messages, its causes' nor its printed stack trace contain {@code secret}. */
    private static void assertNeverShows(String secret, Throwable e) {
        StringWriter printed = new StringWriter();
        e.printStackTrace(new PrintWriter(printed));
        assertFalse(printed.toString().contains(secret), printed.toString());
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
        }
    }

    /** One HTTP exchange as the SDK sent it and the status it got. */
    record RecordedRequest(String method, String path, Map<String, String> query, Map<String, String> headers,
            int status) {}

    /** Records every exchange of one client, in order: a policy in the SDK's own pipeline. */
    static final class RecordedRequests implements HttpPipelinePolicy {
        private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
            return next.process().doOnNext(response -> record(context.getHttpRequest(), response));
        }

        @Override
        public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
            HttpResponse response = next.processSync();
            record(context.getHttpRequest(), response);
            return response;
        }

        private void record(HttpRequest request, HttpResponse response) {
            URI url = URI.create(request.getUrl().toString());
            // path-style: /account/container/key; keep what follows the container
            String path = url.getPath().replaceFirst("^/[^/]+/[^/]+", "");
            Map<String, String> query = url.getRawQuery() == null ? Map.of()
                    : Arrays.stream(url.getRawQuery().split("&")).map(p -> p.split("=", 2))
                            .collect(Collectors.toMap(p -> p[0], p -> p.length > 1 ? p[1] : "", (a, b) -> a));
            Map<String, String> headers = new LinkedHashMap<>();
            request.getHeaders().forEach(h -> headers.put(h.getName().toLowerCase(), h.getValue()));
            requests.add(new RecordedRequest(request.getHttpMethod().name(), path.isEmpty() ? "/" : path, query,
                    headers, response.getStatusCode()));
        }

        List<RecordedRequest> all(String method) {
            return requests.stream().filter(r -> r.method().equals(method)).toList();
        }

        /** Requests with this method, and when given this {@code comp} query parameter (null: none). */
        List<RecordedRequest> matching(String method, String comp) {
            return requests.stream().filter(r -> r.method().equals(method))
                    .filter(r -> comp == null ? !r.query().containsKey("comp") : comp.equals(r.query().get("comp")))
                    .toList();
        }

        RecordedRequest single(String method, String path, String comp) {
            List<RecordedRequest> found = matching(method, comp).stream().filter(r -> r.path().equals(path)).toList();
            assertEquals(1, found.size(), method + " " + path + " in " + requests);
            return found.get(0);
        }

        void clear() {
            requests.clear();
        }

        /** Method, path, query and status of each request: enough to read a failure, without the headers. */
        @Override
        public String toString() {
            return requests.stream().map(r -> r.method() + " " + r.path() + " " + r.query() + " " + r.status())
                    .collect(Collectors.joining("\n"));
        }
    }

    /**
     * Runs {@code action} on each request after it was signed, before it is sent: it may change the
     * request, or throw as a broken connection would.
     */
    static final class RequestHook implements HttpPipelinePolicy {
        private final Consumer<HttpRequest> action;

        RequestHook(Consumer<HttpRequest> action) {
            this.action = action;
        }

        @Override
        public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
            return Mono.fromRunnable(() -> action.accept(context.getHttpRequest())).then(Mono.defer(next::process));
        }

        @Override
        public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
            action.accept(context.getHttpRequest());
            return next.processSync();
        }
    }

    /** A loopback server that accepts connections and never answers: a hung store. */
    static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        SilentServer() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(socket.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/" + AzuriteServer.ACCOUNT);
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
