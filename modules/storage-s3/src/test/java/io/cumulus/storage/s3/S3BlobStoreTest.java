package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.storage.BatchDeleteException;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.testsupport.S3ProxyServer;
import io.cumulus.testsupport.SystemProperties;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The storage contract against S3Proxy 2.7.0 in this JVM, through the real SDK client and plain HTTP,
 * plus what only S3 has: conditional-write headers, tags, batch deletes and their fallback, credentials
 * and network failures.
 */
class S3BlobStoreTest extends S3ProxyContractTest {

    @Override
    protected S3ProxyServer newServer() throws Exception {
        return S3ProxyServer.start();
    }

    @Override
    protected BlobStore open(S3StoreConfig config) {
        return S3BlobStores.open(config);
    }

    // ---------------------------------------------------------------- S3 only

    @Test
    void ifAbsentWritesSendIfNoneMatchOnPutAndCompleteMultipartUpload() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore s3 = open(server, UnaryOperator.identity(), requests)) {
            byte[] small = bytes(100, 40);
            byte[] large = bytes(partSize() + 1, 41);
            writeTo(s3, "wal/small", small, WriteOptions.DEFAULT.withIfAbsent(true));
            writeTo(s3, "wal/large", large, WriteOptions.DEFAULT.withIfAbsent(true));
            assertEquals(List.of("*"), requests.single("PUT", "/wal/small").headers().get("If-None-Match"));
            assertEquals(List.of("*"), requests.single("POST", "/wal/large", "uploadId").headers().get("If-None-Match"));
            // S3Proxy ignores the header on writes: the HEAD in front is what refuses a duplicate here
            assertEquals(1, requests.matching("HEAD", "/wal/small").size());
        }
    }

    @Test
    void aWriteWhoseAbsenceTheCallerCheckedSendsNoHeadButStillIfNoneMatch() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore s3 = open(server, UnaryOperator.identity(), requests)) {
            WriteOptions checked = WriteOptions.DEFAULT.withIfAbsent(true).withAbsenceChecked(true);
            writeTo(s3, "wal/checked-small", bytes(100, 42), checked);
            writeTo(s3, "wal/checked-large", bytes(partSize() + 1, 43), checked);
            assertEquals(List.of(), requests.matching("HEAD", null));
            assertEquals(List.of("*"), requests.single("PUT", "/wal/checked-small").headers().get("If-None-Match"));
            assertEquals(List.of("*"),
                    requests.single("POST", "/wal/checked-large", "uploadId").headers().get("If-None-Match"));
        }
    }

    @Test
    void tagsAreSentUrlEncodedOnPutAndMultipartUpload() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("project", "cumulus");
        tags.put("kind", "wal file&more=yes");
        try (S3ProxyServer lenient = S3ProxyServer.startIgnoringUnknownHeaders();
                BlobStore s3 = open(lenient, c -> c.withServerSideEncryption(S3StoreConfig.SSE_S3, Optional.empty()),
                        requests)) {
            writeTo(s3, "small", bytes(10, 42), WriteOptions.DEFAULT.withTags(tags));
            writeTo(s3, "large", bytes(partSize() + 1, 43), WriteOptions.DEFAULT.withTags(tags));
            String expected = "project=cumulus&kind=wal%20file%26more%3Dyes";
            RecordedRequest put = requests.single("PUT", "/small");
            RecordedRequest create = requests.single("POST", "/large", "uploads");
            assertEquals(List.of(expected), put.headers().get("x-amz-tagging"));
            assertEquals(List.of(expected), create.headers().get("x-amz-tagging"));
            assertEquals(List.of("AES256"), put.headers().get("x-amz-server-side-encryption"));
            assertEquals(List.of("AES256"), create.headers().get("x-amz-server-side-encryption"));
        }
    }

    @Test
    void uploadsCarryNoFlexibleChecksumsThatCompatibleStoresReject() throws Exception {
        assumeTrue(System.getenv("AWS_REQUEST_CHECKSUM_CALCULATION") == null, "the user chose the SDK's checksums");
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore s3 = open(server, UnaryOperator.identity(), requests)) {
            writeTo(s3, "small", bytes(10, 44), WriteOptions.DEFAULT);
            writeTo(s3, "large", bytes(partSize() + 1, 45), WriteOptions.DEFAULT);
        }
        List<RecordedRequest> uploads = requests.matching("PUT", null);
        assertEquals(3, uploads.size()); // one PutObject, two UploadPart
        for (RecordedRequest upload : uploads) {
            assertFalse(upload.headers().keySet().stream().anyMatch(h -> h.toLowerCase().startsWith("x-amz-checksum-")
                    || h.equalsIgnoreCase("x-amz-sdk-checksum-algorithm")), upload.toString());
        }
    }

    @Test
    void writesCarryASignedContentMd5AndAreNotHashedAgainOverHttp() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        byte[] small = bytes(1000, 46);
        byte[] large = bytes(partSize() + 1, 47);
        byte[] sized = bytes(2000, 48);
        try (BlobStore s3 = open(server, UnaryOperator.identity(), requests)) {
            assertTrue(server.endpoint().getScheme().equals("http"), server.endpoint().toString());
            writeTo(s3, "small", small, WriteOptions.DEFAULT);
            writeTo(s3, "large", large, WriteOptions.DEFAULT);
            // a size given ahead: the stream hashes the body as it is written
            writeTo(s3, "sized", sized, WriteOptions.DEFAULT.withExpectedSize(sized.length));
            assertArrayEquals(sized, s3.openRead("sized").readAllBytes());
            assertArrayEquals(small, s3.openRead("small").readAllBytes());
            assertArrayEquals(large, s3.openRead("large").readAllBytes());
            s3.stat("small");
        }
        RecordedRequest put = requests.single("PUT", "/small");
        List<RecordedRequest> parts = requests.matching("PUT", "/large", "uploadId").stream()
                .sorted(java.util.Comparator.comparing(r -> r.query().get("partNumber").get(0))) // sent in parallel
                .toList();
        assertEquals(2, parts.size());
        assertEquals(List.of(md5(small, 0, small.length)), put.headers().get("Content-MD5"));
        assertEquals(List.of(md5(sized, 0, sized.length)), requests.single("PUT", "/sized").headers().get("Content-MD5"));
        assertEquals(List.of(md5(large, 0, partSize())), parts.get(0).headers().get("Content-MD5"));
        assertEquals(List.of(md5(large, partSize(), 1)), parts.get(1).headers().get("Content-MD5"));
        for (RecordedRequest write : List.of(put, parts.get(0), parts.get(1))) {
            assertEquals(List.of("UNSIGNED-PAYLOAD"), write.headers().get("x-amz-content-sha256"), write.toString());
            String authorization = write.headers().get("Authorization").get(0);
            assertTrue(authorization.matches(".*SignedHeaders=[^,]*content-md5.*"), authorization);
        }
        // a body without an MD5 (the part list that completes the upload) is signed as the SDK signs it
        RecordedRequest complete = requests.single("POST", "/large", "uploadId");
        assertTrue(complete.headers().get("x-amz-content-sha256").get(0).matches("[0-9a-f]{64}"), complete.toString());
    }

    @Test
    void aBodyChangedAfterItsMd5WasTakenIsRefusedAndNothingIsStored() throws Exception {
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withMaxAttempts(1),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(corruptingPuts(false))))) {
            IOException e = assertThrows(IOException.class, () -> writeTo(s3, "wal/damaged", bytes(5000, 48),
                    WriteOptions.DEFAULT.withIfAbsent(true)));
            // the store's own reason: the MD5 of the bytes it received is not the Content-MD5 of those sent
            assertEquals("BadDigest", assertInstanceOf(S3Exception.class, e.getCause()).awsErrorDetails().errorCode());
            assertTrue(e.getMessage().contains("the store received other bytes than were sent (their Content-MD5"),
                    e.getMessage());
            assertEquals(Optional.empty(), s3.stat("wal/damaged"));
        }
        // the same damage without the header is stored: the 400 above was the digest's doing, nothing else's
        byte[] data = bytes(5000, 48);
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withMaxAttempts(1),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(corruptingPuts(true))))) {
            writeTo(s3, "wal/damaged", data, WriteOptions.DEFAULT.withIfAbsent(true));
            byte[] stored = s3.openRead("wal/damaged").readAllBytes();
            assertEquals(data.length, stored.length);
            assertFalse(java.util.Arrays.equals(data, stored));
        }
    }

    /** Flips one bit of every PUT body after its Content-MD5 was taken, and drops the header if asked. */
    private static ExecutionInterceptor corruptingPuts(boolean dropContentMd5) {
        return new ExecutionInterceptor() {
            @Override
            public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
                return dropContentMd5 ? context.httpRequest().toBuilder().removeHeader("Content-MD5").build()
                        : context.httpRequest();
            }

            @Override
            public Optional<RequestBody> modifyHttpContent(Context.ModifyHttpRequest context,
                                                          ExecutionAttributes attributes) {
                if (context.requestBody().isEmpty() || !context.httpRequest().method().name().equals("PUT")) {
                    return context.requestBody();
                }
                try (InputStream in = context.requestBody().get().contentStreamProvider().newStream()) {
                    byte[] body = in.readAllBytes();
                    body[body.length / 2] ^= 1; // one bit flipped on the way, as a bad NIC or proxy would
                    return Optional.of(RequestBody.fromBytes(body));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    @Test
    void aCommitWhoseAnswerWasLostIsASuccessWhenTheObjectIsTheOneItsPartsMake() throws Exception {
        // the store completes the upload and the answer never arrives: the SDK's retry then finds no
        // such upload (S3 answers 404 NoSuchUpload, S3Proxy 404 NoSuchKey), though the object is there, whole
        AtomicBoolean lost = new AtomicBoolean();
        ExecutionInterceptor losesTheFirstCommitAnswer = new ExecutionInterceptor() {
            @Override
            public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
                                                                   ExecutionAttributes attributes) {
                if (context.request() instanceof CompleteMultipartUploadRequest && lost.compareAndSet(false, true)) {
                    try (InputStream answer = context.responseBody().orElseThrow()) {
                        answer.readAllBytes(); // read and dropped, so that the connection is left clean for the retry
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    throw SdkClientException.create("Unable to execute HTTP request",
                            new SocketException("Connection reset (test: the answer was lost)"));
                }
                return context.responseBody();
            }
        };
        RecordedRequests requests = new RecordedRequests();
        byte[] data = bytes(2 * partSize() + 10, 51);
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)), builder -> builder
                .overrideConfiguration(o -> o.addExecutionInterceptor(losesTheFirstCommitAnswer)
                        .addExecutionInterceptor(requests)))) {
            writeTo(s3, "base/backup/data.tar", data, WriteOptions.DEFAULT);
            assertTrue(lost.get());
            assertEquals(List.of(200, 404), requests.matching("POST", "/base/backup/data.tar", "uploadId").stream()
                    .map(RecordedRequest::status).toList());
            assertArrayEquals(data, s3.openRead("base/backup/data.tar").readAllBytes());
            assertEquals(List.of(), requests.matching("DELETE", "/base/backup/data.tar")); // not aborted
        }
    }

    @Test
    void aConditionalCommitWhoseAnswerWasLostIsASuccessWhenTheRetryFindsTheObjectItMade() throws Exception {
        // with If-None-Match, the retry may find the object there (412, as S3 answers) rather than the upload gone
        byte[] preconditionFailed = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PreconditionFailed</Code>"
                + "<Message>At least one of the pre-conditions you specified did not hold</Message>"
                + "<RequestId>test</RequestId></Error>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        AtomicInteger commits = new AtomicInteger();
        ExecutionInterceptor losesTheFirstAnswerAndRefusesTheRetry = new ExecutionInterceptor() {
            @Override
            public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
                return context.request() instanceof CompleteMultipartUploadRequest && commits.get() == 1
                        ? context.httpResponse().toBuilder().statusCode(412)
                                .putHeader("Content-Length", String.valueOf(preconditionFailed.length)).build()
                        : context.httpResponse();
            }

            @Override
            public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
                                                                   ExecutionAttributes attributes) {
                if (!(context.request() instanceof CompleteMultipartUploadRequest)) {
                    return context.responseBody();
                }
                try (InputStream answer = context.responseBody().orElseThrow()) {
                    answer.readAllBytes();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                if (commits.incrementAndGet() == 1) {
                    throw SdkClientException.create("Unable to execute HTTP request",
                            new SocketException("Connection reset (test: the answer was lost)"));
                }
                return Optional.of(new java.io.ByteArrayInputStream(preconditionFailed));
            }
        };
        byte[] data = bytes(partSize() + 10, 56);
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)), builder -> builder
                .overrideConfiguration(o -> o.addExecutionInterceptor(losesTheFirstAnswerAndRefusesTheRetry)))) {
            writeTo(s3, "base/backup/data.tar", data, WriteOptions.DEFAULT.withIfAbsent(true));
            assertEquals(2, commits.get());
            assertArrayEquals(data, s3.openRead("base/backup/data.tar").readAllBytes());
        }
    }

    @Test
    void anUploadTheStoreNoLongerKnowsWhenCommittedIsNamedSoAndNotNotFound() throws Exception {
        // the retried commit finds no such upload, and the object is not there: aborted behind our back
        ExecutionInterceptor abortsBeforeTheCommit = new ExecutionInterceptor() {
            @Override
            public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
                return context.request() instanceof CompleteMultipartUploadRequest
                        ? ofAnAbortedUpload(context.httpRequest()) : context.httpRequest();
            }
        };
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(abortsBeforeTheCommit)))) {
            IOException e = assertThrows(IOException.class,
                    () -> writeTo(s3, "base/backup/data.tar", bytes(partSize() + 10, 52), WriteOptions.DEFAULT));
            assertFalse(e instanceof java.io.FileNotFoundException, e.toString());
            assertTrue(e.getMessage().contains("no longer knows the multipart upload"), e.getMessage());
            assertEquals(Optional.empty(), s3.stat("base/backup/data.tar"));
        }
    }

    /** {@code request} naming an upload the store never started, as if it had been aborted. */
    private static SdkHttpRequest ofAnAbortedUpload(SdkHttpRequest request) {
        return request.toBuilder().putRawQueryParameter("uploadId", "aborted-by-a-lifecycle-rule").build();
    }

    @Test
    void anInternalErrorInA200AnswerIsUnavailableNotAFinalError() throws Exception {
        // S3 may answer a CompleteMultipartUpload 200 and report the failure in the body; the SDK retries it
        byte[] internalError = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
                + "<Message>We encountered an internal error. Please try again.</Message><RequestId>test</RequestId>"
                + "</Error>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ExecutionInterceptor failsInTheBody = new ExecutionInterceptor() {
            @Override
            public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
                return context.request() instanceof CompleteMultipartUploadRequest
                        ? context.httpResponse().toBuilder().statusCode(200)
                                .putHeader("Content-Length", String.valueOf(internalError.length)).build()
                        : context.httpResponse();
            }

            @Override
            public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
                                                                   ExecutionAttributes attributes) {
                return context.request() instanceof CompleteMultipartUploadRequest
                        ? Optional.of(new java.io.ByteArrayInputStream(internalError))
                        : context.responseBody();
            }
        };
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withMaxAttempts(2),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(failsInTheBody)))) {
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                    () -> writeTo(s3, "base/backup/data.tar", bytes(partSize() + 10, 54), WriteOptions.DEFAULT));
            assertTrue(e.getMessage().contains("is unavailable: We encountered an internal error"), e.getMessage());
        }
    }

    private static String md5(byte[] data, int offset, int length) throws Exception {
        java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
        md5.update(data, offset, length);
        return java.util.Base64.getEncoder().encodeToString(md5.digest());
    }

    @Test
    void deleteAllSendsBatchesOfTheConfiguredSizeWhereTheStoreAcceptsThem() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        // S3Proxy 2.7.0 rejects the CRC32 header the SDK puts on DeleteObjects; this one ignores it
        try (S3ProxyServer lenient = S3ProxyServer.startIgnoringUnknownHeaders();
                BlobStore s3 = open(lenient, UnaryOperator.identity(), requests)) {
            List<String> keys = fill(s3, 2500);
            s3.deleteAll(keys);
            assertEquals(List.of(), listKeys(s3, ""));
            List<RecordedRequest> batches = requests.matching("POST", "/", "delete");
            assertEquals(List.of(200, 200, 200), batches.stream().map(RecordedRequest::status).toList());
            assertEquals(List.of(), requests.matching("DELETE", null));
        }
    }

    @Test
    void deleteAllFallsBackToOneByOneWhenTheStoreRejectsTheBatch() throws Exception {
        RecordedRequests requests = new RecordedRequests();
        try (BlobStore s3 = open(server, c -> c.withDeleteBatchSize(10), requests)) {
            List<String> keys = fill(s3, 25);
            s3.deleteAll(keys);
            assertEquals(List.of(), listKeys(s3, ""));
            List<RecordedRequest> batches = requests.matching("POST", "/", "delete");
            assertEquals(List.of(501, 501, 501), batches.stream().map(RecordedRequest::status).toList());
            assertEquals(25, requests.matching("DELETE", null).size());
        }
    }

    @Test
    void wrongCredentialsAreAccessDeniedAndNeverShowTheSecret() throws Exception {
        String secret = "wrong-secret-do-not-print";
        try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withCredentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(server.accessKey(), secret))))) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class, s3::checkAvailable);
            assertTrue(e.getMessage().contains("check the credentials"), e.getMessage());
            AccessDeniedException read = assertThrows(AccessDeniedException.class, () -> s3.openRead("x").close());
            for (Throwable t = read; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
            }
        }
    }

    @Test
    void refusedConnectionIsStoreUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (BlobStore s3 = S3BlobStores.open(config(server, "any")
                .withEndpoint(URI.create("http://127.0.0.1:" + closedPort)).withMaxAttempts(1))) {
            assertThrows(StoreUnavailableException.class, s3::checkAvailable);
        }
    }

    /** Requests without a large body; one the store stops reading: S3BlobStoreAgainstStubTest. */
    @Test
    void anEndpointsUserInfoIsNeverShown() throws Exception {
        String secret = "endpoint-password-do-not-print";
        URI proxy = server.endpoint();
        URI withUserInfo = URI.create(proxy.getScheme() + "://user:" + secret + "@" + proxy.getAuthority());
        try (BlobStore s3 = S3BlobStores.open(config(server, "no-such-bucket").withEndpoint(withUserInfo))) {
            assertEquals("s3://no-such-bucket at " + proxy.getScheme() + "://***@" + proxy.getAuthority(), s3.describe());
            IOException missing = assertThrows(IOException.class, s3::checkAvailable);
            assertNeverShown(secret, missing);
        }
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        S3StoreConfig unreachable = config(server, "any")
                .withEndpoint(URI.create("http://user:" + secret + "@127.0.0.1:" + closedPort)).withMaxAttempts(1);
        assertFalse(unreachable.toString().contains(secret), unreachable.toString());
        S3StoreConfig withQuery = config(server, "any").withEndpoint(URI.create("http://127.0.0.1:" + closedPort
                + "/x?token=" + secret));
        assertFalse(withQuery.toString().contains(secret), withQuery.toString());
        try (BlobStore s3 = S3BlobStores.open(withQuery)) {
            assertFalse(s3.describe().contains(secret), s3.describe());
        }
        try (BlobStore s3 = S3BlobStores.open(unreachable)) {
            assertNeverShown(secret, assertThrows(StoreUnavailableException.class, s3::checkAvailable));
            assertNeverShown(secret, assertThrows(IOException.class, () -> s3.openRead("wal/x").close()));
        }
        IllegalArgumentException notAbsolute = assertThrows(IllegalArgumentException.class,
                () -> S3StoreConfig.of("b").withEndpoint(URI.create("user:" + secret + "@127.0.0.1:9000")));
        assertNeverShown(secret, notAbsolute);
    }

    private static void assertNeverShown(String secret, Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
        }
    }

    @Test
    void storeThatNeverAnswersTimesOutAndLeavesExactlyTheUndeletedKeys() throws Exception {
        try (SilentServer silent = new SilentServer();
                BlobStore s3 = S3BlobStores.open(config(server, "any").withEndpoint(silent.endpoint())
                        .withReadTimeout(Duration.ofSeconds(1)).withMaxAttempts(1))) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                assertThrows(StoreUnavailableException.class, s3::checkAvailable);
                BatchDeleteException e = assertThrows(BatchDeleteException.class,
                        () -> s3.deleteAll(List.of("wal/a", "wal/b")));
                assertEquals(List.of("wal/a", "wal/b"), e.failedKeys());
                assertInstanceOf(StoreUnavailableException.class, e.getCause());
            });
        }
    }

    @Test
    void anEndpointFromAwsEndpointUrlIsUsedAsEndpointUrlIsWithoutAskingInstanceMetadataForARegion() throws Exception {
        // "localhost", not 127.0.0.1: the SDK would address a host name virtual-style (bucket.localhost)
        String endpoint = "http://localhost:" + server.endpoint().getPort();
        String bucket = newBucket(server);
        S3StoreConfig noEndpointNoRegion = S3StoreConfig.of(bucket).withCredentialsProvider(StaticCredentialsProvider
                .create(AwsBasicCredentials.create(server.accessKey(), server.secretKey())));
        byte[] data = bytes(1000, 55);
        List<String> hosts = new CopyOnWriteArrayList<>();
        ExecutionInterceptor recordsHosts = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                hosts.add(context.httpRequest().host() + context.httpRequest().encodedPath());
            }
        };
        // a TLS setting that would fail the store if TLS were set up: a plain-HTTP endpoint never needs it
        Map<String, String> environment = Map.of("AWS_ENDPOINT_URL_S3", endpoint, TlsSetup.ENGINE_VARIABLE, "none");
        try (SilentServer metadata = new SilentServer();
                SystemProperties set = SystemProperties.set(Map.of("aws.ec2MetadataServiceEndpoint",
                        metadata.endpoint().toString()));
                BlobStore s3 = S3BlobStores.open(noEndpointNoRegion,
                        builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(recordsHosts)),
                        environment)) {
            writeTo(s3, "wal/from-the-environment", data, WriteOptions.DEFAULT);
            assertArrayEquals(data, s3.openRead("wal/from-the-environment").readAllBytes());
            assertEquals(List.of("localhost/" + bucket + "/wal/from-the-environment",
                    "localhost/" + bucket + "/wal/from-the-environment"), hosts);
            assertEquals(0, metadata.connections(), "the instance metadata service was asked for a region");
        }
    }

    @Test
    void aWriteBeginsWhileTheClientIsStillBeingBuilt() throws Exception {
        CountDownLatch built = new CountDownLatch(1);
        byte[] data = bytes(5000, 49);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)), builder -> await(built))) {
                // opening, and filling a writer (buffered and hashed), do not wait for the client
                BlobOutputStream out = s3.openWrite("wal/early", WriteOptions.DEFAULT.withIfAbsent(true));
                out.write(data);
                built.countDown();
                out.close();
                assertArrayEquals(data, s3.openRead("wal/early").readAllBytes());
            }
        });
    }

    @Test
    void aClientThatCannotBeBuiltFailsEachCallWithTheSdksReasonAndTheStoreStillCloses() throws Exception {
        BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)), builder -> {
            throw SdkClientException.create("no HTTP client for this test");
        });
        IOException check = assertThrows(IOException.class, s3::checkAvailable);
        assertTrue(check.getMessage().contains("no HTTP client for this test"), check.getMessage());
        IOException write = assertThrows(IOException.class, () -> writeTo(s3, "wal/never", bytes(10, 50),
                WriteOptions.DEFAULT));
        assertTrue(write.getMessage().contains("no HTTP client for this test"), write.getMessage());
        s3.close();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void configRejectsWhatS3Refuses() {
        S3StoreConfig config = S3StoreConfig.of("bucket");
        assertThrows(IllegalArgumentException.class, () -> config.withPartSize(S3StoreConfig.MIN_PART_SIZE - 1));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxParts(10_001));
        assertThrows(IllegalArgumentException.class, () -> config.withDeleteBatchSize(1001));
        assertThrows(IllegalArgumentException.class, () -> config.withServerSideEncryption("rot13", Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> config.withServerSideEncryption(S3StoreConfig.SSE_S3,
                Optional.of("key-id")));
        assertThrows(IllegalArgumentException.class, () -> S3StoreConfig.of("bucket/path"));
        assertTrue(config.withEndpoint(URI.create("http://127.0.0.1:9000")).pathStyle());
        assertFalse(config.pathStyle());
        String printed = config.withCredentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIDEXAMPLE", "secret-example"))).toString();
        assertFalse(printed.contains("secret-example") || printed.contains("AKIDEXAMPLE"), printed);
    }

    // ---------------------------------------------------------------- helpers

    private BlobStore open(S3ProxyServer on, UnaryOperator<S3StoreConfig> tweak, RecordedRequests requests) {
        return S3BlobStores.open(tweak.apply(config(on, newBucket(on))),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(requests)));
    }

    private static void writeTo(BlobStore s3, String key, byte[] data, WriteOptions options) throws IOException {
        try (BlobOutputStream out = s3.openWrite(key, options)) {
            out.write(data);
        }
    }

    private static List<String> fill(BlobStore s3, int count) throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String key = String.format("many/%05d", i);
            writeTo(s3, key, new byte[] {1}, WriteOptions.DEFAULT);
            keys.add(key);
        }
        return keys;
    }

    private static List<String> listKeys(BlobStore s3, String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        var iterator = s3.list(prefix);
        while (iterator.hasNext()) {
            keys.add(iterator.next().key());
        }
        return keys;
    }

    /** One HTTP exchange as the SDK sent it (signed headers included) and the status it got. */
    record RecordedRequest(String method, String path, Map<String, List<String>> query,
            Map<String, List<String>> headers, int status) {}

    /** Records every exchange of one client, in order. */
    static final class RecordedRequests implements ExecutionInterceptor {
        private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            SdkHttpRequest request = context.httpRequest();
            // path-style: /bucket/key; keep what follows the bucket
            String path = request.encodedPath().replaceFirst("^/[^/]+", "");
            requests.add(new RecordedRequest(request.method().name(), path.isEmpty() ? "/" : path,
                    request.rawQueryParameters(), request.headers(), context.httpResponse().statusCode()));
        }

        List<RecordedRequest> matching(String method, String path, String... queryParameters) {
            return requests.stream()
                    .filter(r -> r.method().equals(method) && (path == null || r.path().equals(path)))
                    .filter(r -> List.of(queryParameters).stream().allMatch(r.query()::containsKey))
                    .toList();
        }

        RecordedRequest single(String method, String path, String... queryParameters) {
            List<RecordedRequest> found = matching(method, path, queryParameters);
            assertEquals(1, found.size(), method + " " + path + " in " + requests);
            return found.get(0);
        }
    }

    /** A loopback server that accepts connections and never answers: a hung store. */
    static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(socket.accept());
                }
            } catch (IOException e) {
                // closed
            }
        }, "silent-server");

        SilentServer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        int connections() {
            return accepted.size();
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
