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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
 * settles) or rejects it (501), a listing that says it goes on without saying where, and one that
 * started multipart uploads whose answers were lost (S3Proxy lists no real start time for uploads).
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

    // ---------------------------------------------------------------- uploads a lost answer started

    private static final String ARCHIVE_KEY = "pg/base/20240101T000000/data.tar";

    @Test
    void aStartWhoseAnswerWasLostLeavesNoEmptyUploadOnceTheObjectIsStored() throws Exception {
        MultipartStore store = new MultipartStore();
        Instant now = Instant.now();
        // another writer of the key, with a part; one that began after ours; an empty one of another key
        String racerWithAPart = store.begin(ARCHIVE_KEY, now.minusSeconds(60), 1);
        String racerStartedLater = store.begin(ARCHIVE_KEY, now.plusSeconds(30), 0);
        String otherKey = store.begin(ARCHIVE_KEY + ".lz4", now.minusSeconds(60), 0);
        store.startsToLose.set(1); // the store starts an upload, and its answer never comes
        byte[] data = bytes(S3StoreConfig.MIN_PART_SIZE + 10, 11);
        try (StubS3Server stub = StubS3Server.start(store);
                BlobStore s3 = S3BlobStores.open(retryingMultipart(stub))) {
            write(s3, ARCHIVE_KEY, data, WriteOptions.DEFAULT);
        }
        assertArrayEquals(data, store.objects.get(ARCHIVE_KEY));
        assertEquals(Set.of(racerWithAPart, racerStartedLater, otherKey), store.uploads.keySet());
        assertEquals(1, store.requests("GET uploads").size(), store.requests.toString());
    }

    @Test
    void aFailedUploadWhoseStartWasRetriedAbortsTheEmptyUploadItsLostAttemptStarted() throws Exception {
        MultipartStore store = new MultipartStore();
        store.startsToLose.set(1);
        store.partStatus = 400; // a part the store refuses: the writer aborts its own upload, then the stray
        try (StubS3Server stub = StubS3Server.start(store);
                BlobStore s3 = S3BlobStores.open(retryingMultipart(stub))) {
            assertThrows(IOException.class,
                    () -> write(s3, ARCHIVE_KEY, bytes(S3StoreConfig.MIN_PART_SIZE + 10, 12), WriteOptions.DEFAULT));
        }
        assertEquals(Map.of(), store.uploads);
        assertEquals(2, store.requests("DELETE uploadId").size(), store.requests.toString());
    }

    @Test
    void aStartWhoseEveryAttemptWasLostAbortsTheUploadsTheyStarted() throws Exception {
        MultipartStore store = new MultipartStore();
        store.startsToLose.set(3);
        try (StubS3Server stub = StubS3Server.start(store);
                BlobStore s3 = S3BlobStores.open(retryingMultipart(stub))) {
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                    () -> write(s3, ARCHIVE_KEY, bytes(S3StoreConfig.MIN_PART_SIZE + 10, 13), WriteOptions.DEFAULT));
            assertTrue(e.getMessage().startsWith("cannot reach s3://bucket"), e.getMessage());
        }
        assertEquals(3, store.requests("POST uploads").size(), store.requests.toString());
        assertEquals(Map.of(), store.uploads);
    }

    @Test
    void aStartAnsweredAtOnceAndASinglePutCostNoRequestToLookForStrays() throws Exception {
        MultipartStore store = new MultipartStore();
        try (StubS3Server stub = StubS3Server.start(store);
                BlobStore s3 = S3BlobStores.open(retryingMultipart(stub))) {
            write(s3, WAL_KEY, bytes(1000, 14), WriteOptions.DEFAULT);
            write(s3, ARCHIVE_KEY, bytes(S3StoreConfig.MIN_PART_SIZE + 10, 15), WriteOptions.DEFAULT);
        }
        assertEquals(List.of("PUT", "POST uploads", "PUT uploadId", "PUT uploadId", "POST uploadId"),
                store.requests);
    }

    @Test
    void aStoreThatRefusesToListUploadsStillStoresTheObject() throws Exception {
        for (int refusal : new int[] {403, 501}) { // a policy without s3:ListBucketMultipartUploads; no such call
            MultipartStore store = new MultipartStore();
            store.startsToLose.set(1);
            store.listStatus = refusal;
            byte[] data = bytes(S3StoreConfig.MIN_PART_SIZE + 10, 16);
            try (StubS3Server stub = StubS3Server.start(store);
                    BlobStore s3 = S3BlobStores.open(retryingMultipart(stub))) {
                write(s3, ARCHIVE_KEY, data, WriteOptions.DEFAULT);
            }
            assertArrayEquals(data, store.objects.get(ARCHIVE_KEY));
            assertEquals(1, store.uploads.size()); // the stray, for the lifecycle rule
        }
    }

    /** Three attempts per request, and objects above 5 MiB in parts. */
    private static S3StoreConfig retryingMultipart(StubS3Server stub) {
        return config(stub).withMaxAttempts(3).withPartSize(S3StoreConfig.MIN_PART_SIZE);
    }

    /**
     * A store of objects and multipart uploads, each with the time it began, as S3 lists them; it carries
     * out the first {@link #startsToLose} CreateMultipartUpload requests and drops their connections
     * unanswered, as a store does whose answers time out. It notes each request as {@code METHOD} and the
     * query parameter that names the call ({@code uploads}, {@code uploadId}).
     */
    private static final class MultipartStore implements StubS3Server.Handler {
        record Upload(String key, Instant initiated, Map<Integer, byte[]> parts) {}

        final Map<String, Upload> uploads = new ConcurrentHashMap<>();
        final Map<String, byte[]> objects = new ConcurrentHashMap<>();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final AtomicInteger startsToLose = new AtomicInteger();
        volatile int listStatus = 200;
        volatile int partStatus = 200;
        private final AtomicInteger ids = new AtomicInteger();

        String begin(String key, Instant initiated, int parts) {
            String id = "upload-" + ids.incrementAndGet();
            Map<Integer, byte[]> stored = new ConcurrentHashMap<>();
            for (int number = 1; number <= parts; number++) {
                stored.put(number, new byte[] {1});
            }
            uploads.put(id, new Upload(key, initiated, stored));
            return id;
        }

        List<String> requests(String request) {
            return requests.stream().filter(request::equals).toList();
        }

        @Override
        public void handle(HttpExchange exchange) throws Exception {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String key = path.length() > "/bucket/".length() ? path.substring("/bucket/".length()) : "";
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            byte[] body = exchange.getRequestBody().readAllBytes();
            String call = query.containsKey("uploads") ? " uploads" : query.containsKey("uploadId") ? " uploadId" : "";
            requests.add(method + call);
            String id = query.get("uploadId");
            switch (method + call) {
                case "POST uploads" -> {
                    String started = begin(key, Instant.now(), 0);
                    if (startsToLose.getAndDecrement() > 0) {
                        throw new IOException("test: the answer to the start of " + started + " is lost");
                    }
                    StubS3Server.xml(exchange, 200, "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>"
                            + key + "</Key><UploadId>" + started + "</UploadId></InitiateMultipartUploadResult>");
                }
                case "PUT uploadId" -> {
                    Upload upload = uploads.get(id);
                    if (upload == null) {
                        StubS3Server.error(exchange, 404, "NoSuchUpload");
                    } else if (partStatus != 200) {
                        StubS3Server.error(exchange, partStatus, "InvalidRequest");
                    } else {
                        upload.parts().put(Integer.parseInt(query.get("partNumber")), body);
                        StubS3Server.empty(exchange, 200, md5(body));
                    }
                }
                case "POST uploadId" -> {
                    Upload upload = uploads.remove(id);
                    if (upload == null) {
                        StubS3Server.error(exchange, 404, "NoSuchUpload");
                        return;
                    }
                    java.io.ByteArrayOutputStream object = new java.io.ByteArrayOutputStream();
                    new java.util.TreeMap<>(upload.parts()).values().forEach(object::writeBytes);
                    objects.put(key, object.toByteArray());
                    StubS3Server.xml(exchange, 200, "<CompleteMultipartUploadResult><Bucket>bucket</Bucket><Key>"
                            + key + "</Key><ETag>\"x-1\"</ETag></CompleteMultipartUploadResult>");
                }
                case "DELETE uploadId" -> {
                    uploads.remove(id);
                    StubS3Server.empty(exchange, 204, null);
                }
                case "GET uploads" -> {
                    if (listStatus != 200) {
                        StubS3Server.error(exchange, listStatus, listStatus == 403 ? "AccessDenied" : "NotImplemented");
                        return;
                    }
                    StringBuilder listing = new StringBuilder("<ListMultipartUploadsResult><Bucket>bucket</Bucket>"
                            + "<IsTruncated>false</IsTruncated>");
                    uploads.forEach((upload, u) -> {
                        if (u.key().startsWith(query.getOrDefault("prefix", ""))) {
                            listing.append("<Upload><Key>").append(u.key()).append("</Key><UploadId>").append(upload)
                                    .append("</UploadId><Initiated>").append(u.initiated()).append("</Initiated></Upload>");
                        }
                    });
                    StubS3Server.xml(exchange, 200, listing.append("</ListMultipartUploadsResult>").toString());
                }
                case "GET uploadId" -> {
                    Upload upload = uploads.get(id);
                    if (upload == null) {
                        StubS3Server.error(exchange, 404, "NoSuchUpload");
                        return;
                    }
                    StringBuilder parts = new StringBuilder("<ListPartsResult><Bucket>bucket</Bucket><Key>" + key
                            + "</Key><UploadId>" + id + "</UploadId><IsTruncated>false</IsTruncated>");
                    upload.parts().forEach((number, part) -> parts.append("<Part><PartNumber>").append(number)
                            .append("</PartNumber><ETag>\"").append(md5(part)).append("\"</ETag><Size>")
                            .append(part.length).append("</Size></Part>"));
                    StubS3Server.xml(exchange, 200, parts.append("</ListPartsResult>").toString());
                }
                case "PUT" -> {
                    objects.put(key, body);
                    StubS3Server.empty(exchange, 200, md5(body));
                }
                default -> StubS3Server.error(exchange, 400, "UnexpectedRequest");
            }
        }

        private static Map<String, String> query(String raw) {
            Map<String, String> parameters = new java.util.HashMap<>();
            if (raw != null) {
                for (String parameter : raw.split("&")) {
                    int equals = parameter.indexOf('=');
                    String name = equals < 0 ? parameter : parameter.substring(0, equals);
                    String value = equals < 0 ? "" : parameter.substring(equals + 1);
                    parameters.put(name, java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return parameters;
        }

        private static String md5(byte[] data) {
            return java.util.HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(
                    S3BlobStore.contentMd5(data, data.length)));
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
