package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * What S3Proxy cannot show, against {@link StubS3Server}: a store that stops reading an upload, one
 * that no longer knows a multipart upload, one that honours {@code If-None-Match} (412, and the race it
 * settles) or rejects it (501), and a listing that says it goes on without saying where.
 */
class S3BlobStoreAgainstStubTest {

    private static final int WAL_SEGMENT = 16 * 1024 * 1024;
    private static final String WAL_KEY = "pg/wals/0000000100000000/000000010000000000000001";

    private static S3StoreConfig config(StubS3Server stub) {
        return S3StoreConfig.of("bucket")
                .withEndpoint(stub.endpoint())
                .withRegion("us-east-1")
                .withCredentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("stub-access", "stub-secret")))
                .withReadTimeout(Duration.ofSeconds(5))
                .withMaxAttempts(1);
    }

    // ---------------------------------------------------------------- a store that stops reading

    @Test
    void aSegmentTheStoreStopsReadingFailsAsUnreachableNamingTheReadTimeout() throws Exception {
        // a 16 MiB body, which no socket buffer holds: the client's writes block once the store stops reading
        try (StubS3Server stub = StubS3Server.start(stopsReadingLargeBodies());
                BlobStore s3 = S3BlobStores.open(config(stub).withReadTimeout(Duration.ofSeconds(1))
                        .withMaxAttempts(2))) {
            StoreUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(StoreUnavailableException.class,
                            () -> write(s3, WAL_KEY, bytes(WAL_SEGMENT, 1), WriteOptions.DEFAULT)));
            assertTrue(e.getMessage().contains("stopped reading") && e.getMessage().contains("--read-timeout"),
                    e.getMessage());
        }
    }

    @Test
    void aPartTheStoreStopsReadingFailsTheBackupAsUnreachable() throws Exception {
        try (StubS3Server stub = StubS3Server.start(stopsReadingLargeBodies());
                BlobStore s3 = S3BlobStores.open(config(stub).withReadTimeout(Duration.ofSeconds(1))
                        .withPartSize(WAL_SEGMENT))) {
            StoreUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(StoreUnavailableException.class,
                            () -> write(s3, "pg/base/20240101T000000/data.tar", bytes(WAL_SEGMENT + 1, 2),
                                    WriteOptions.DEFAULT)));
            assertTrue(e.getMessage().contains("stopped reading"), e.getMessage());
        }
    }

    /** Takes the headers of a large PUT and never reads its body; answers the rest of a multipart upload. */
    private static StubS3Server.Handler stopsReadingLargeBodies() {
        return exchange -> {
            String method = exchange.getRequestMethod();
            String query = String.valueOf(exchange.getRequestURI().getQuery());
            if (method.equals("PUT") && contentLength(exchange) > 1024 * 1024) {
                Thread.sleep(60_000); // until the stub closes, which interrupts its handlers
            } else if (method.equals("POST") && query.startsWith("uploads")) {
                StubS3Server.xml(exchange, 200, "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
                        + "<UploadId>stub-upload</UploadId></InitiateMultipartUploadResult>");
            } else if (method.equals("PUT")) {
                exchange.getRequestBody().readAllBytes();
                StubS3Server.empty(exchange, 200, "0123456789abcdef0123456789abcdef");
            } else if (method.equals("DELETE")) {
                StubS3Server.empty(exchange, 204, null);
            } else {
                StubS3Server.error(exchange, 400, "UnexpectedRequest");
            }
        };
    }

    @Test
    void anUploadThatKeepsMovingIsNeverCutHoweverLongItTakes() throws Exception {
        byte[] data = bytes(WAL_SEGMENT, 3);
        List<byte[]> received = new CopyOnWriteArrayList<>();
        // three quarters of the body slowly, 1 MiB every 300 ms (3.6 s), then the rest at once, so that the
        // end waits on no socket buffer draining slowly
        StubS3Server.Handler slowReader = exchange -> {
            InputStream body = exchange.getRequestBody();
            java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
            while (copy.size() < WAL_SEGMENT * 3 / 4) {
                copy.write(body.readNBytes(1024 * 1024));
                Thread.sleep(300);
            }
            copy.write(body.readAllBytes());
            received.add(copy.toByteArray());
            StubS3Server.empty(exchange, 200, "0123456789abcdef0123456789abcdef");
        };
        try (StubS3Server stub = StubS3Server.start(slowReader);
                BlobStore s3 = S3BlobStores.open(config(stub).withReadTimeout(Duration.ofSeconds(1)))) {
            long start = System.nanoTime();
            write(s3, WAL_KEY, data, WriteOptions.DEFAULT);
            assertTrue(System.nanoTime() - start > TimeUnit.SECONDS.toNanos(3), "the stub read too fast to show it");
            assertEquals(1, received.size());
            assertArrayEquals(data, received.get(0));
        }
    }

    // ---------------------------------------------------------------- multipart uploads

    @Test
    void aPartOfAnUploadTheStoreNoLongerKnowsIsNamedSoAndNotNotFound() throws Exception {
        // a lifecycle rule that aborts incomplete uploads removed this one while its parts were on their way
        StubS3Server.Handler reaped = exchange -> {
            String method = exchange.getRequestMethod();
            if (method.equals("POST")) {
                StubS3Server.xml(exchange, 200, "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
                        + "<UploadId>stub-upload</UploadId></InitiateMultipartUploadResult>");
            } else {
                exchange.getRequestBody().readAllBytes();
                StubS3Server.error(exchange, 404, "NoSuchUpload");
            }
        };
        try (StubS3Server stub = StubS3Server.start(reaped);
                BlobStore s3 = S3BlobStores.open(config(stub).withPartSize(S3StoreConfig.MIN_PART_SIZE))) {
            IOException e = assertThrows(IOException.class, () -> write(s3, "pg/base/20240101T000000/data.tar",
                    bytes(S3StoreConfig.MIN_PART_SIZE + 10, 10), WriteOptions.DEFAULT));
            assertFalse(e instanceof java.io.FileNotFoundException, e.toString());
            assertTrue(e.getMessage().contains("no longer knows the multipart upload")
                    && e.getMessage().contains("lifecycle rule"), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- access denied

    /** A HEAD answered 403 has no body and so no error code: the message gives the status instead. */
    @Test
    void accessDeniedToAHeadWithoutABodyNamesTheHttpStatus() throws Exception {
        StubS3Server.Handler denied = exchange -> StubS3Server.empty(exchange, 403, null);
        try (StubS3Server stub = StubS3Server.start(denied); BlobStore s3 = S3BlobStores.open(config(stub))) {
            java.nio.file.AccessDeniedException e = assertThrows(java.nio.file.AccessDeniedException.class,
                    s3::checkAvailable);
            assertEquals("access denied to s3://bucket: check the credentials (HTTP 403)", e.getMessage());
        }
    }

    /**
     * AWS's DenyUnEncryptedObjectUploads refuses an unencrypted write with the 403 AccessDenied of missing
     * rights: a write (one PUT, a multipart upload's start) refused so without -e names that policy too;
     * with -e, a read, or a wrong key, "check the credentials" alone.
     */
    @Test
    void aWriteRefusedWithoutEncryptionNamesABucketPolicyBesidesTheCredentials() throws Exception {
        StubS3Server.Handler deniesWrites = exchange -> {
            if (exchange.getRequestMethod().equals("HEAD") || exchange.getRequestMethod().equals("GET")) {
                StubS3Server.empty(exchange, 404, null);
            } else {
                exchange.getRequestBody().readAllBytes(); // an unread body makes the close a reset
                StubS3Server.error(exchange, 403, "AccessDenied");
            }
        };
        String hint = "a bucket policy may require server-side encryption: give -e AES256, or -e aws:kms with"
                + " --sse-kms-key-id, to every tool that writes there";
        try (StubS3Server stub = StubS3Server.start(deniesWrites); BlobStore s3 = S3BlobStores.open(config(stub))) {
            for (int size : new int[] {10, S3StoreConfig.MIN_PART_SIZE + 10}) {
                java.nio.file.AccessDeniedException e = assertThrows(java.nio.file.AccessDeniedException.class,
                        () -> write(s3, "pg/base/20240101T000000/data.tar", bytes(size, 3), WriteOptions.DEFAULT));
                assertTrue(e.getMessage().startsWith("access denied to s3://bucket/pg/base/20240101T000000/data.tar"
                        + ": check the credentials (AccessDenied); if they may write there, " + hint),
                        e.getMessage());
            }
        }
        try (StubS3Server stub = StubS3Server.start(deniesWrites); BlobStore s3 = S3BlobStores.open(config(stub)
                .withServerSideEncryption("AES256", java.util.Optional.empty()))) {
            java.nio.file.AccessDeniedException e = assertThrows(java.nio.file.AccessDeniedException.class,
                    () -> write(s3, WAL_KEY, bytes(10, 3), WriteOptions.DEFAULT));
            assertFalse(e.getMessage().contains("bucket policy"), e.getMessage());
        }
        StubS3Server.Handler wrongKey = exchange -> {
            exchange.getRequestBody().readAllBytes();
            StubS3Server.error(exchange, 403, "InvalidAccessKeyId");
        };
        try (StubS3Server stub = StubS3Server.start(wrongKey); BlobStore s3 = S3BlobStores.open(config(stub))) {
            java.nio.file.AccessDeniedException e = assertThrows(java.nio.file.AccessDeniedException.class,
                    () -> write(s3, WAL_KEY, bytes(10, 3), WriteOptions.DEFAULT.withIfAbsent(false)));
            assertFalse(e.getMessage().contains("bucket policy"), e.getMessage());
        }
    }

    /** "backup X not found in s3://bucket at http://host/pg/main/base/" named a URL that does not exist. */
    @Test
    void aKeyIsNamedInItsBucketWithTheEndpointAfterItNotGluedOntoTheEndpointsUrl() throws Exception {
        try (StubS3Server stub = StubS3Server.start(exchange -> StubS3Server.empty(exchange, 404, null));
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            String endpoint = s3.describe().substring("s3://bucket at ".length());
            assertTrue(endpoint.startsWith("http://127.0.0.1:"), s3.describe());
            assertEquals("s3://bucket/pg/main/base/ at " + endpoint, s3.describeKey("pg/main/base/"));
        }
    }

    // ---------------------------------------------------------------- If-None-Match

    @Test
    void aStoreAnswering412ToIfNoneMatchIsAnObjectThatAlreadyExists() throws Exception {
        AtomicInteger puts = new AtomicInteger();
        StubS3Server.Handler existsOnlyToConditionalWrites = exchange -> {
            if (exchange.getRequestMethod().equals("HEAD")) {
                StubS3Server.empty(exchange, 404, null); // written since the HEAD, or the HEAD was skipped
            } else if (exchange.getRequestMethod().equals("PUT")) {
                puts.incrementAndGet();
                exchange.getRequestBody().readAllBytes();
                StubS3Server.error(exchange, 412, "PreconditionFailed");
            }
        };
        try (StubS3Server stub = StubS3Server.start(existsOnlyToConditionalWrites);
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                    () -> write(s3, WAL_KEY, bytes(100, 4), WriteOptions.DEFAULT.withIfAbsent(true)));
            assertEquals("s3://bucket/" + WAL_KEY, e.getFile());
            assertEquals(1, puts.get()); // a refusal, not a failure to retry
        }
    }

    @Test
    void aConditionalWriteConflictIsRetriedAndMeetsTheWinnersObject() throws Exception {
        List<String> answers = new CopyOnWriteArrayList<>();
        // S3's answer while another conditional write to the key completes, then the winner's object
        StubS3Server.Handler racing = exchange -> {
            if (exchange.getRequestMethod().equals("HEAD")) {
                StubS3Server.empty(exchange, 404, null);
            } else if (exchange.getRequestMethod().equals("PUT")) {
                exchange.getRequestBody().readAllBytes();
                if (answers.isEmpty()) {
                    answers.add("409");
                    StubS3Server.error(exchange, 409, "ConditionalRequestConflict");
                } else {
                    answers.add("412");
                    StubS3Server.error(exchange, 412, "PreconditionFailed");
                }
            }
        };
        try (StubS3Server stub = StubS3Server.start(racing);
                BlobStore s3 = S3BlobStores.open(config(stub).withMaxAttempts(3))) {
            assertThrows(FileAlreadyExistsException.class,
                    () -> write(s3, WAL_KEY, bytes(100, 10), WriteOptions.DEFAULT.withIfAbsent(true)));
            assertEquals(List.of("409", "412"), answers);
        }
    }

    @Test
    void twoWritersRacingForOneKeyEndWithOneObjectAndOneRefusal() throws Exception {
        Map<String, byte[]> objects = new ConcurrentHashMap<>();
        CyclicBarrier bothLooked = new CyclicBarrier(2);
        // an atomic If-None-Match, as S3 has had since 2024; both writers pass the HEAD before either PUT
        StubS3Server.Handler atomicStore = exchange -> {
            String key = exchange.getRequestURI().getPath().substring("/bucket/".length());
            if (exchange.getRequestMethod().equals("HEAD")) {
                bothLooked.await(10, TimeUnit.SECONDS);
                StubS3Server.empty(exchange, objects.containsKey(key) ? 200 : 404, null);
            } else if (exchange.getRequestMethod().equals("PUT")) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                boolean conditional = "*".equals(exchange.getRequestHeaders().getFirst("If-None-Match"));
                if (!conditional) {
                    StubS3Server.error(exchange, 400, "ExpectedIfNoneMatch");
                } else if (objects.putIfAbsent(key, body) != null) {
                    StubS3Server.error(exchange, 412, "PreconditionFailed");
                } else {
                    StubS3Server.empty(exchange, 200, "0123456789abcdef0123456789abcdef");
                }
            }
        };
        byte[] first = bytes(1000, 5);
        byte[] second = bytes(1000, 6);
        ExecutorService writers = Executors.newFixedThreadPool(2);
        try (StubS3Server stub = StubS3Server.start(atomicStore);
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            List<Future<?>> outcomes = new ArrayList<>();
            for (byte[] data : List.of(first, second)) {
                outcomes.add(writers.submit(() -> {
                    write(s3, WAL_KEY, data, WriteOptions.DEFAULT.withIfAbsent(true));
                    return null;
                }));
            }
            int refused = 0;
            for (Future<?> outcome : outcomes) {
                try {
                    outcome.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof FileAlreadyExistsException, e.getCause().toString());
                    refused++;
                }
            }
            assertEquals(1, refused);
            byte[] stored = objects.get(WAL_KEY);
            assertTrue(java.util.Arrays.equals(first, stored) || java.util.Arrays.equals(second, stored));
        } finally {
            writers.shutdownNow();
        }
    }

    @Test
    void aStoreRejectingIfNoneMatchWith501IsWrittenWithoutItFromThenOn() throws Exception {
        List<String> puts = new CopyOnWriteArrayList<>();
        AtomicInteger heads = new AtomicInteger();
        StubS3Server.Handler olderStore = exchange -> {
            if (exchange.getRequestMethod().equals("HEAD")) {
                heads.incrementAndGet();
                StubS3Server.empty(exchange, 404, null);
            } else if (exchange.getRequestMethod().equals("PUT")) {
                exchange.getRequestBody().readAllBytes();
                String condition = exchange.getRequestHeaders().getFirst("If-None-Match");
                puts.add(condition == null ? "unconditional" : "If-None-Match: " + condition);
                if (condition != null) {
                    StubS3Server.error(exchange, 501, "NotImplemented");
                } else {
                    StubS3Server.empty(exchange, 200, "0123456789abcdef0123456789abcdef");
                }
            }
        };
        try (StubS3Server stub = StubS3Server.start(olderStore);
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            write(s3, WAL_KEY, bytes(100, 7), WriteOptions.DEFAULT.withIfAbsent(true));
            assertEquals(List.of("If-None-Match: *", "unconditional"), puts);
            write(s3, WAL_KEY + ".partial", bytes(100, 8), WriteOptions.DEFAULT.withIfAbsent(true));
            assertEquals(List.of("If-None-Match: *", "unconditional", "unconditional"), puts);
            assertEquals(2, heads.get()); // the HEAD in front of each write is what still protects
        }
    }

    // ---------------------------------------------------------------- listings

    @Test
    void aTruncatedListingWithoutAContinuationTokenFailsInsteadOfEndingEarly() throws Exception {
        StubS3Server.Handler brokenListing = exchange -> StubS3Server.xml(exchange, 200,
                "<ListBucketResult><Name>bucket</Name><Prefix>pg/</Prefix><KeyCount>1</KeyCount>"
                        + "<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
                        + "<Contents><Key>pg/wals/a</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                        + "<ETag>\"x\"</ETag><Size>1</Size></Contents>"
                        + "<CommonPrefixes><Prefix>pg/wals/</Prefix></CommonPrefixes></ListBucketResult>");
        try (StubS3Server stub = StubS3Server.start(brokenListing);
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            BlobIterator listing = s3.list("pg/");
            IOException e = assertThrows(IOException.class, () -> {
                while (listing.hasNext()) {
                    listing.next();
                }
            });
            assertTrue(e.getMessage().contains("continuation token"), e.getMessage());
            IOException prefixes = assertThrows(IOException.class, () -> s3.listPrefixes("pg/"));
            assertTrue(prefixes.getMessage().contains("continuation token"), prefixes.getMessage());
        }
    }

    // ---------------------------------------------------------------- keys

    @Test
    void aKeyWithADoubledSlashIsStoredUnderThatKey() throws Exception {
        // barman-cloud's keys for s3://bucket/a//b: S3 keeps both slashes, and so must every request
        String key = "a//b/srv/wals/0000000100000000/000000010000000000000001";
        List<String> requests = new CopyOnWriteArrayList<>();
        StubS3Server.Handler store = exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            if (exchange.getRequestMethod().equals("PUT")) {
                exchange.getRequestBody().readAllBytes();
                StubS3Server.empty(exchange, 200, "0123456789abcdef0123456789abcdef");
            } else {
                StubS3Server.empty(exchange, 404, null);
            }
        };
        try (StubS3Server stub = StubS3Server.start(store);
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            write(s3, key, bytes(100, 9), WriteOptions.DEFAULT);
            assertTrue(requests.contains("PUT /bucket/" + key), requests.toString());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static long contentLength(HttpExchange exchange) {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        return length == null ? -1 : Long.parseLong(length);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    private static void write(BlobStore s3, String key, byte[] data, WriteOptions options) throws IOException {
        try (BlobOutputStream out = s3.openWrite(key, options)) {
            out.write(data);
        }
    }

    /** The SDK's words may quote a request URL: never its user info or query. */
    @Test
    void theSdksWordsNeverCarryUserInfoOrAQuery() throws Exception {
        try (StubS3Server stub = StubS3Server.start(exchange -> exchange.sendResponseHeaders(500, -1));
                BlobStore s3 = S3BlobStores.open(config(stub))) {
            IOException e = ((S3BlobStore) s3).translate(software.amazon.awssdk.core.exception.SdkClientException
                    .create("Unable to execute HTTP request: GET http://u:SECRET@127.0.0.1:1/bucket/k?X-Amz-Signature"
                            + "=SECRET"), "k");
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertTrue(e.getMessage().contains("GET http://***@127.0.0.1:1/bucket/k?***"), e.getMessage());
        }
    }
}
