package io.cumulus.storage.s3;

import io.cumulus.storage.BatchDeleter;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.MultipartOutputStream;
import io.cumulus.storage.ShownUrls;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.metrics.CoreMetric;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.metrics.MetricCollection;
import software.amazon.awssdk.metrics.MetricPublisher;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.model.Tagging;

/**
 * A {@link BlobStore} on one S3 bucket (AWS or S3-compatible) through the AWS SDK v2 sync client.
 * Writes go through {@link MultipartOutputStream}; every SDK failure goes through {@link
 * #translate(SdkException, String)}; retries are the SDK's own, tuned in {@link S3BlobStores}.
 */
final class S3BlobStore implements BlobStore {

    private static final System.Logger LOG = System.getLogger(S3BlobStore.class.getName());
    private static final String CONTENT_TYPE = "application/octet-stream";
    /** Error codes of a store failing for a while, whatever the HTTP status they came with. */
    private static final Set<String> TRANSIENT_ERRORS = Set.of("InternalError", "ServiceUnavailable", "SlowDown",
            "RequestTimeout", "OperationAborted", "ConditionalRequestConflict");

    private final Future<S3Client> client;
    private final ExecutorService uploads;
    private final S3StoreConfig config;
    /** What the client's TLS trusts, and the fix to offer when a certificate is refused. */
    private final Supplier<TlsSetup.Trust> trust;
    private final String bucket;
    private final MultipartOutputStream.Settings partSettings;
    private final BatchDeleter deleter;
    /**
     * Cleared when the store rejects {@code If-None-Match} on writes (older S3-compatible stores
     * answer 501). The HEAD before each if-absent write still protects, though not atomically.
     */
    private volatile boolean conditionalWrites = true;
    /** Bounds a whole request, retries included, by the read timeout: cleanup, and batch deletes that fall back to single ones. */
    private final java.util.function.Consumer<software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration.Builder>
            withinReadTimeout;

    S3BlobStore(Future<S3Client> client, ExecutorService uploads, S3StoreConfig config, Supplier<TlsSetup.Trust> trust) {
        this.client = client;
        this.trust = trust;
        this.uploads = uploads;
        this.config = config;
        this.bucket = config.bucket();
        this.partSettings = new MultipartOutputStream.Settings(config.partSize(), config.maxParts(),
                S3StoreConfig.MAX_PART_SIZE, config.uploadConcurrency());
        this.deleter = new BatchDeleter(config.deleteBatchSize(), this::deleteBatch, this::delete);
        this.withinReadTimeout = o -> o.apiCallTimeout(config.readTimeout());
    }

    /**
     * The SDK client, waiting for it if it is still being built (see {@link S3BlobStores#open}). A
     * failure to build it is thrown here, at each use, as the SDK threw it.
     */
    private S3Client client() {
        try {
            return client.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw AbortedException.create("interrupted while the S3 client was being built");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            if (e.getCause() instanceof Error failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public InputStream openRead(String key) throws IOException {
        try {
            return abortOnEarlyClose(client().getObject(b -> b.bucket(bucket).key(key)), key);
        } catch (SdkException e) {
            throw translate(e, key);
        }
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        if (length == 0) {
            // no HTTP range is empty: check existence and return nothing
            if (stat(key).isEmpty()) {
                throw new FileNotFoundException(describe(key));
            }
            return InputStream.nullInputStream();
        }
        long last = offset + length - 1 < 0 ? Long.MAX_VALUE : offset + length - 1;
        try {
            return abortOnEarlyClose(
                    client().getObject(b -> b.bucket(bucket).key(key).range("bytes=" + offset + "-" + last)), key);
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                // InvalidRange: the object exists and the range starts at or past its end
                return InputStream.nullInputStream();
            }
            throw translate(e, key);
        } catch (SdkException e) {
            throw translate(e, key);
        }
    }

    /**
     * Closing a response before its end would make the HTTP client read (and discard) the rest of
     * the body to reuse the connection: gigabytes for a cancelled restore. Drop the connection instead.
     * A body that breaks off (connection reset, "Premature end of Content-Length delimited message
     * body") is the store no longer answering: {@link StoreUnavailableException}, which a reader may
     * resume with a ranged read.
     */
    private InputStream abortOnEarlyClose(ResponseInputStream<GetObjectResponse> response, String key) {
        long length = response.response().contentLength() == null ? -1 : response.response().contentLength();
        return new FilterInputStream(response) {
            private long consumed;
            private boolean ended;

            @Override
            public int read() throws IOException {
                try {
                    int b = super.read();
                    count(b < 0 ? -1 : 1);
                    return b;
                } catch (IOException e) {
                    throw broken(e);
                }
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    int n = super.read(b, off, len);
                    count(n);
                    return n;
                } catch (IOException e) {
                    throw broken(e);
                }
            }

            @Override
            public long skip(long n) throws IOException {
                try {
                    long skipped = super.skip(n);
                    count(skipped);
                    return skipped;
                } catch (IOException e) {
                    throw broken(e);
                }
            }

            private IOException broken(IOException e) {
                if (e instanceof InterruptedIOException && !(e instanceof java.net.SocketTimeoutException)) {
                    return e;
                }
                return new StoreUnavailableException("cannot reach " + describe() + " for " + describe(key)
                        + ": the store stopped answering after " + consumed + " bytes of the body: " + shown(e), e);
            }

            private void count(long n) {
                if (n < 0) {
                    ended = true;
                } else {
                    consumed += n;
                }
            }

            @Override
            public void close() throws IOException {
                if (!ended && consumed != length) {
                    response.abort();
                }
                super.close();
            }
        };
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        try {
            HeadObjectResponse head = client().headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new BlobInfo(key, head.contentLength(), head.lastModified(), head.eTag()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) { // HEAD has no body, so no error code to tell key from bucket
                return Optional.empty();
            }
            throw translate(e, key);
        } catch (SdkException e) {
            throw translate(e, key);
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        checkKey(key);
        return new MultipartOutputStream(new Upload(key, options), uploads,
                partSettings.withPlannedSize(options.plannedSize().orElse(0)), options.expectedSize(), describe(key));
    }

    @Override
    public long writeBufferNeed(long size) {
        return partSettings.bufferNeed(size);
    }

    /** The S3 calls behind one writer. */
    private final class Upload implements MultipartOutputStream.MultipartTarget {
        private final String key;
        private final WriteOptions options;
        private final Tagging tagging;
        /**
         * Whether the CreateMultipartUpload that started this upload needed more than one attempt: an
         * attempt whose answer was lost (a timeout, a dropped connection) may have started an upload all
         * the same, whose id never reached us ({@link #abortStrays}). Strays are looked for only then, so
         * that a start that went through at once costs no request, and puts no other writer at risk.
         */
        private boolean startRetried;
        /** The store's time (its {@code Date} header) of its answer to that retried start; null if it sent none. */
        private Instant startAnswered;

        Upload(String key, WriteOptions options) {
            this.key = key;
            this.options = options;
            this.tagging = tagging(options.tags());
        }

        @Override
        public void putSingle(byte[] data, int length) throws IOException {
            put(data, length, contentMd5(data, length));
        }

        @Override
        public MessageDigest bodyDigest() {
            return md5OrNull();
        }

        @Override
        public void putSingle(byte[] data, int length, MessageDigest md5) throws IOException {
            put(data, length, Base64.getEncoder().encodeToString(md5.digest()));
        }

        private void put(byte[] data, int length, String md5) throws IOException {
            RequestBody body = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length),
                    length, CONTENT_TYPE);
            conditionally(conditional -> {
                PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(key)
                        .contentLength((long) length).contentType(CONTENT_TYPE).contentMD5(md5);
                if (tagging != null) {
                    request.tagging(tagging);
                }
                config.serverSideEncryption().ifPresent(sse -> request.serverSideEncryption(ServerSideEncryption.fromValue(sse)));
                config.kmsKeyId().ifPresent(request::ssekmsKeyId);
                if (conditional) {
                    request.ifNoneMatch("*");
                }
                client().putObject(request.build(), body);
            });
        }

        @Override
        public String startUpload() throws IOException {
            Retries retries = new Retries();
            try {
                CreateMultipartUploadResponse started = client().createMultipartUpload(
                        CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .contentType(CONTENT_TYPE)
                        .applyMutation(b -> {
                            if (tagging != null) {
                                b.tagging(tagging);
                            }
                            config.serverSideEncryption().ifPresent(sse -> b.serverSideEncryption(ServerSideEncryption.fromValue(sse)));
                            config.kmsKeyId().ifPresent(b::ssekmsKeyId);
                        })
                        .overrideConfiguration(o -> o.addMetricPublisher(retries))
                        .build());
                if (retries.any()) {
                    startRetried = true;
                    startAnswered = storeTime(started.sdkHttpResponse()).orElse(null);
                }
                return started.uploadId();
            } catch (SdkException e) {
                if (retries.any()) {
                    abortStrays(null, null); // attempts that timed out may have started uploads all the same
                }
                throw refusedWrite(translate(e, key));
            }
        }

        @Override
        public String uploadPart(String uploadId, int partNumber, byte[] data, int length) throws IOException {
            try {
                String md5 = contentMd5(data, length);
                return client().uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber)
                        .contentLength((long) length).contentMD5(md5),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
                                CONTENT_TYPE)).eTag();
            } catch (S3Exception e) {
                if (isUploadGone(e)) {
                    throw uploadGone(key, e);
                }
                throw translate(e, key);
            } catch (SdkException e) {
                throw translate(e, key);
            }
        }

        @Override
        public void complete(String uploadId, List<MultipartOutputStream.CompletedPart> parts) throws IOException {
            List<CompletedPart> completed = parts.stream()
                    .map(p -> CompletedPart.builder().partNumber(p.partNumber()).eTag(p.etag()).build())
                    .toList();
            conditionally(conditional -> {
                CompleteMultipartUploadRequest.Builder request = CompleteMultipartUploadRequest.builder()
                        .bucket(bucket).key(key).uploadId(uploadId)
                        .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build());
                if (conditional) {
                    request.ifNoneMatch("*");
                }
                try {
                    client().completeMultipartUpload(request.build());
                } catch (S3Exception e) {
                    // A commit that succeeded but whose answer was lost finds, when the SDK retries it, the
                    // upload gone (404) or, with If-None-Match, an object there (412): it succeeded if that
                    // object is the one these parts make.
                    boolean gone = isUploadGone(e);
                    if ((gone || (conditional && e.statusCode() == 412)) && isMadeOf(parts)) {
                        return;
                    }
                    if (gone) {
                        throw uploadGone(key, e);
                    }
                    throw e;
                }
            });
            if (startRetried) {
                abortStrays(uploadId, startAnswered);
            }
        }

        /**
         * Whether the object now at the key is the one {@code parts} make. S3, and the compatible stores
         * that copy it, give a multipart object the ETag {@code md5(md5(part 1) ... md5(part n))-n}, where
         * each part's ETag is its MD5, which the store checked against the Content-MD5 sent with it.
         */
        private boolean isMadeOf(List<MultipartOutputStream.CompletedPart> parts) throws IOException {
            Optional<String> expected = multipartEtag(parts.stream().map(MultipartOutputStream.CompletedPart::etag)
                    .toList());
            if (expected.isEmpty()) {
                return false; // parts whose ETags are no MD5 (SSE-KMS): nothing to compare with
            }
            Optional<BlobInfo> stored = stat(key);
            return stored.isPresent() && stored.get().etag() != null
                    && expected.get().equalsIgnoreCase(unquoted(stored.get().etag()));
        }

        @Override
        public void abort(String uploadId) throws IOException {
            try {
                client().abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .uploadId(uploadId).build());
            } catch (NoSuchUploadException e) {
                // already gone: nothing is left behind, which is what abort is for
            } catch (SdkException e) {
                throw translate(e, key);
            }
            if (startRetried) {
                abortStrays(uploadId, startAnswered);
            }
        }

        /**
         * Aborts the uploads of this key that attempts of a retried start left behind: the store carried out
         * an attempt whose answer was lost, so no one knows that upload's id, and it would stay open until a
         * lifecycle rule removes it. A stray is an upload of exactly this key, not ours, with no part, begun no
         * later than the second of the store's answer to our start (by the store's clock; when the start
         * failed, or its answer had no {@code Date}, the listing's). Another writer of the key (two archivers
         * racing on a WAL segment larger than a part) is left alone once it has a part, or if it began after
         * us; one that began before us and has no part yet cannot be told apart: its next part fails and its
         * caller writes again, which only a start of ours that needed retries can bring about. A store that
         * does not keep when an upload began (S3Proxy 2.7 lists the time of the listing) may keep its strays.
         * Cleanup, never the write's outcome: each request is bounded by the read timeout, retries included,
         * and any failure (no {@code s3:ListBucketMultipartUploads} right, a store without the call) ends it
         * with a debug line.
         *
         * @param ours this writer's upload, never aborted here; null when the start failed
         * @param answered the store's time of its answer to our start; null to take the listing's
         */
        private void abortStrays(String ours, Instant answered) {
            try {
                ListMultipartUploadsResponse listing = client().listMultipartUploads(b -> b.bucket(bucket).prefix(key)
                        .overrideConfiguration(withinReadTimeout));
                Optional<Instant> until = Optional.ofNullable(answered).or(() -> storeTime(listing.sdkHttpResponse()));
                if (until.isEmpty()) {
                    LOG.log(System.Logger.Level.DEBUG, "not looking for stray multipart uploads of " + describe(key)
                            + ": the store sends no Date to compare their start with");
                    return;
                }
                for (MultipartUpload upload : listing.uploads()) {
                    if (upload.key().equals(key) && !upload.uploadId().equals(ours) && upload.initiated() != null
                            && !upload.initiated().truncatedTo(ChronoUnit.SECONDS).isAfter(until.get())
                            && hasNoPart(upload.uploadId())) {
                        client().abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(upload.uploadId())
                                .overrideConfiguration(withinReadTimeout));
                        LOG.log(System.Logger.Level.DEBUG, "aborted the empty multipart upload " + upload.uploadId()
                                + " of " + describe(key) + ", started by an attempt whose answer was lost");
                    }
                }
            } catch (RuntimeException e) { // SdkException, or the client that could not be built
                LOG.log(System.Logger.Level.DEBUG, "could not look for stray multipart uploads of " + describe(key)
                        + " (a lifecycle rule for incomplete uploads removes them): " + shown(e));
            }
        }

        /** Whether an upload has no part: one that has is someone's live upload, never a lost attempt's. */
        private boolean hasNoPart(String uploadId) {
            try {
                return client().listParts(b -> b.bucket(bucket).key(key).uploadId(uploadId).maxParts(1)
                        .overrideConfiguration(withinReadTimeout)).parts().isEmpty();
            } catch (S3Exception e) {
                if (isUploadGone(e)) {
                    return false; // gone meanwhile: nothing to abort
                }
                throw e;
            }
        }

        /** The request that makes the object visible, with if-absent protection where asked. */
        private void conditionally(Commit commit) throws IOException {
            if (!options.ifAbsent()) {
                send(commit, false);
                return;
            }
            // S3 has honoured If-None-Match since 2024, but S3-compatible stores (S3Proxy among them)
            // may ignore it: the HEAD catches the common case of an object written long ago, unless
            // the caller's own listing has just done so
            if (!options.absenceChecked() && stat(key).isPresent()) {
                throw new FileAlreadyExistsException(describe(key), null, "an object already exists");
            }
            if (conditionalWrites) {
                try {
                    commit.send(true);
                    return;
                } catch (S3Exception e) {
                    if (!rejectsConditionalWrites(e)) {
                        throw refusedWrite(translate(e, key));
                    }
                    conditionalWrites = false;
                } catch (SdkException e) {
                    throw refusedWrite(translate(e, key));
                }
            }
            send(commit, false);
        }

        private void send(Commit commit, boolean conditional) throws IOException {
            try {
                commit.send(conditional);
            } catch (SdkException e) {
                throw refusedWrite(translate(e, key));
            }
        }

        /**
         * A write refused with 403 when no server-side encryption was asked for: a bucket policy that
         * demands it (AWS's DenyUnEncryptedObjectUploads) answers as missing rights do, so the message
         * names that case too, and the options that meet it.
         */
        private IOException refusedWrite(IOException failure) {
            boolean denied = failure instanceof AccessDeniedException && failure.getCause() instanceof S3Exception s3
                    && s3.statusCode() == 403 && (errorCode(s3).isEmpty() || errorCode(s3).equals("AccessDenied"));
            if (!denied || config.serverSideEncryption().isPresent()) {
                return failure; // a wrong key or signature is no policy's doing
            }
            return withCause(new AccessDeniedException(failure.getMessage() + "; if they may write there, a bucket"
                    + " policy may require server-side encryption: give -e AES256, or -e aws:kms with"
                    + " --sse-kms-key-id, to every tool that writes there"), failure.getCause());
        }
    }

    /**
     * Counts the retries of the one request it is given to: the SDK publishes a call's metrics to it when
     * the call ends, on the calling thread, whether it succeeded or not.
     */
    private static final class Retries implements MetricPublisher {
        private volatile int count;

        @Override
        public void publish(MetricCollection metrics) {
            count = metrics.metricValues(CoreMetric.RETRY_COUNT).stream().mapToInt(Integer::intValue).sum();
        }

        boolean any() {
            return count > 0;
        }

        @Override
        public void close() {
        }
    }

    /** The store's clock at its answer, from the {@code Date} header (to the second), if it sent a valid one. */
    static Optional<Instant> storeTime(SdkHttpResponse response) {
        try {
            return response.firstMatchingHeader("Date")
                    .map(date -> ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** One commit request, with or without {@code If-None-Match: *}. */
    @FunctionalInterface
    private interface Commit {
        void send(boolean conditional) throws IOException;
    }

    /** The multipart ETag of the parts with these ETags, or empty if they are not MD5s (or MD5 is not offered). */
    static Optional<String> multipartEtag(List<String> partEtags) {
        MessageDigest md5 = md5OrNull();
        if (md5 == null) {
            return Optional.empty();
        }
        for (String etag : partEtags) {
            String hex = unquoted(etag);
            if (hex.length() != 32) {
                return Optional.empty();
            }
            try {
                md5.update(HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.of(HexFormat.of().formatHex(md5.digest()) + "-" + partEtags.size());
    }

    private static String unquoted(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"") ? etag.substring(1, etag.length() - 1)
                : etag;
    }

    /**
     * Whether an UploadPart or CompleteMultipartUpload failed because the store does not know the upload:
     * S3 answers NoSuchUpload, S3Proxy NoSuchKey; there, any 404 but a missing bucket's is the upload's.
     */
    private static boolean isUploadGone(S3Exception e) {
        String code = errorCode(e);
        return e instanceof NoSuchUploadException || code.equals("NoSuchUpload")
                || (e.statusCode() == 404 && !(e instanceof NoSuchBucketException) && !code.equals("NoSuchBucket"));
    }

    /** A 404 of a multipart upload's request, which is the upload's and not the object's. */
    private IOException uploadGone(String key, SdkException e) {
        return new IOException(describe(key) + ": the store no longer knows the multipart upload of this object, so"
                + " nothing was stored (aborted by a lifecycle rule for incomplete uploads, or by another client);"
                + " write it again, and give such a rule more days than an upload takes: " + shown(e), e);
    }

    private static String errorCode(S3Exception e) {
        // a HEAD (of the bucket, of an object) has no body, so no error code: "" rather than "null"
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? ""
                : e.awsErrorDetails().errorCode();
    }

    /** A store that does not know {@code If-None-Match} on writes says so with 501, or 400 naming it. */
    private static boolean rejectsConditionalWrites(S3Exception e) {
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        return e.statusCode() == 501 || (e.statusCode() == 400 && message.contains("if-none-match"));
    }

    /**
     * The Content-MD5 of a body: the store refuses the body if it does not match, which makes every
     * write checked end to end (from the bytes read here to the bytes the store keeps). Null (no
     * header) where the runtime offers no MD5.
     */
    static String contentMd5(byte[] data, int length) {
        MessageDigest md5 = md5OrNull();
        if (md5 == null) {
            return null;
        }
        md5.update(data, 0, length);
        return Base64.getEncoder().encodeToString(md5.digest());
    }

    /** A new MD5 digest, or null in a runtime without one (FIPS mode): requests then go without the header. */
    private static MessageDigest md5OrNull() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            return null; // signed as the SDK signs a request without Content-MD5
        }
    }

    private static Tagging tagging(Map<String, String> tags) {
        if (tags.isEmpty()) {
            return null;
        }
        // the SDK URL-encodes the tag set into the x-amz-tagging header
        return Tagging.builder()
                .tagSet(tags.entrySet().stream().map(t -> Tag.builder().key(t.getKey()).value(t.getValue()).build())
                        .toList())
                .build();
    }

    // ---------------------------------------------------------------- listing

    @Override
    public BlobIterator list(String prefix) {
        return BlobIterator.from(new BlobIterator.Source() {
            private Iterator<S3Object> page = List.<S3Object>of().iterator();
            private String continuation;
            private boolean more = true;

            @Override
            public BlobInfo nextOrNull() throws IOException {
                while (page.hasNext() || more) {
                    if (!page.hasNext()) {
                        ListObjectsV2Response response = listPage(prefix, null, continuation);
                        page = response.contents().iterator();
                        continuation = response.nextContinuationToken();
                        more = Boolean.TRUE.equals(response.isTruncated());
                        continue;
                    }
                    S3Object object = page.next();
                    // "folder" markers (made by consoles, S3Proxy's filesystem backend) are no objects
                    if (!object.key().endsWith("/")) {
                        return new BlobInfo(object.key(), object.size(), object.lastModified(), object.eTag());
                    }
                }
                return null;
            }
        });
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        List<String> prefixes = new ArrayList<>();
        String continuation = null;
        do {
            ListObjectsV2Response response = listPage(prefix, "/", continuation);
            for (CommonPrefix common : response.commonPrefixes()) {
                prefixes.add(common.prefix());
            }
            continuation = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
        } while (continuation != null);
        return prefixes;
    }

    /** One page of a listing; a page that says more follow names where they begin. */
    private ListObjectsV2Response listPage(String prefix, String delimiter, String continuation) throws IOException {
        ListObjectsV2Response response;
        try {
            response = client().listObjectsV2(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                    .delimiter(delimiter).maxKeys(config.listPageSize()).continuationToken(continuation).build());
        } catch (SdkException e) {
            throw translate(e, prefix);
        }
        if (Boolean.TRUE.equals(response.isTruncated()) && response.nextContinuationToken() == null) {
            // stopping there would pass part of a listing for all of it: retention would keep WAL it
            // should delete, a check would miss a clash
            throw new IOException("s3://" + bucket + "/" + prefix + ": the store says its listing goes on but gives no"
                    + " continuation token to read the rest (a fault of its ListObjectsV2); upgrade the store or"
                    + " report it to its vendor");
        }
        return response;
    }

    // ---------------------------------------------------------------- deletes

    @Override
    public void delete(String key) throws IOException {
        try {
            client().deleteObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            // S3 answers 204 for an absent key; some compatible stores answer 404
        } catch (SdkException e) {
            throw translate(e, key);
        }
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        deleter.deleteAll(keys);
    }

    /**
     * One DeleteObjects request. It runs under one overall timeout, retries included, because a store
     * may hang on a large batch (S3Proxy 2.6.0 did on 1,000 keys): the keys then go one by one.
     */
    private List<String> deleteBatch(List<String> keys) throws IOException {
        DeleteObjectsResponse response;
        try {
            response = client().deleteObjects(DeleteObjectsRequest.builder().bucket(bucket)
                    .delete(Delete.builder().quiet(true)
                            .objects(keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList())
                            .build())
                    .overrideConfiguration(withinReadTimeout)
                    .build());
        } catch (SdkException e) {
            throw translate(e, keys.get(0));
        }
        List<String> failed = new ArrayList<>();
        for (S3Error error : response.errors()) {
            if (!"NoSuchKey".equals(error.code())) {
                failed.add(error.key());
            }
        }
        return failed;
    }

    // ---------------------------------------------------------------- store

    @Override
    public void checkAvailable() throws IOException {
        try {
            client().headBucket(b -> b.bucket(bucket));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw missingBucket(e);
            }
            throw translate(e, "");
        } catch (SdkException e) {
            throw translate(e, "");
        }
    }

    @Override
    public String describe() {
        return "s3://" + bucket + atEndpoint();
    }

    @Override
    public String describeKey(String key) {
        return describe(key) + atEndpoint();
    }

    /** " at ENDPOINT" for a custom endpoint, never with its user info (a password); empty for AWS. */
    private String atEndpoint() {
        return config.endpoint().map(uri -> " at " + ShownUrls.withoutQuery(ShownUrls.withoutUserInfo(uri))).orElse("");
    }

    private String describe(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public void close() throws IOException {
        uploads.shutdown();
        try {
            // writers still open when the store closes fail; their parts must not outlive the client
            if (!uploads.awaitTermination(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            uploads.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            closeClient();
        }
    }

    private void closeClient() {
        S3Client built;
        try {
            built = client();
        } catch (RuntimeException e) {
            return; // never built (the failure was reported by the calls), or the close was interrupted
        }
        built.close();
    }

    /**
     * The one place where SDK failures become the SPI's exceptions. Messages name the bucket and key
     * and the SDK's own text (status, error code, request id) through {@link ShownUrls#inText}, never
     * credentials.
     */
    IOException translate(SdkException e, String key) {
        String where = key.isEmpty() ? "s3://" + bucket : describe(key);
        if (e instanceof S3Exception s3) {
            String code = errorCode(s3);
            int status = s3.statusCode();
            if (e instanceof NoSuchBucketException || code.equals("NoSuchBucket")) {
                return missingBucket(e);
            }
            if (e instanceof NoSuchUploadException || code.equals("NoSuchUpload")) {
                return uploadGone(key, e); // a 404, but the upload's, not the object's
            }
            if (e instanceof NoSuchKeyException || code.equals("NoSuchKey") || status == 404) {
                return withCause(new FileNotFoundException(where), e);
            }
            if (status == 403 || code.equals("AccessDenied") || code.equals("InvalidAccessKeyId")
                    || code.equals("SignatureDoesNotMatch")) {
                return withCause(new AccessDeniedException("access denied to " + where + ": check the credentials ("
                        + (code.isEmpty() ? "HTTP " + status : code) + ")"), e);
            }
            if (code.equals("BadDigest") || code.equals("InvalidDigest")) {
                return new IOException(where + ": the store received other bytes than were sent (their Content-MD5"
                        + " does not match; nothing was stored): check the network path to the store and retry", e);
            }
            if (status == 412 || code.equals("PreconditionFailed")) {
                return withCause(new FileAlreadyExistsException(where, null, "an object already exists"), e);
            }
            if (status == 501) { // retrying cannot help: the store lacks the feature
                return new IOException(where + ": not implemented by this store: " + shown(e), e);
            }
            // by code too: S3 may report a failure in the body of a 200 (CompleteMultipartUpload), which
            // the SDK retries as it would a 500
            if (status >= 500 || s3.isThrottlingException() || TRANSIENT_ERRORS.contains(code)) {
                return new StoreUnavailableException(where + " is unavailable: " + shown(e), e);
            }
            return new IOException(where + ": " + shown(e), e);
        }
        if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
            return withCause(new InterruptedIOException("interrupted while accessing " + where), e);
        }
        Optional<WriteTimeout.StalledWriteException> stalled = causeOf(e, WriteTimeout.StalledWriteException.class);
        if (stalled.isPresent()) {
            // before the TLS check: the aborted connection may have failed the write as a TLS error
            return new StoreUnavailableException("cannot reach " + describe() + " for " + where + ": the store stopped"
                    + " reading the upload (" + stalled.get().getMessage()
                    + (e.numAttempts() == null ? "" : ", attempts: " + e.numAttempts())
                    + "); if the network to the store is this slow, raise --read-timeout", e);
        }
        Optional<SSLException> tls = causeOf(e, SSLException.class);
        if (tls.isPresent()) {
            // not a store that is away for a while: the same connection fails until trust is mended
            TlsSetup.Trust trusted = trust.get();
            return new IOException("no trusted TLS connection to " + describe() + " for " + where + ": "
                    + tls.get().getMessage() + ". Trusted: " + trusted.trusted() + "; if the store's certificate is"
                    + " from a private authority, " + trusted.remedy()
                    + ", and check that the endpoint's host name is one the certificate names", e);
        }
        Optional<S3BlobStores.CredentialsUnavailable> noCredentials = causeOf(e, S3BlobStores.CredentialsUnavailable.class);
        if (noCredentials.isPresent()) {
            // not an unreachable store: the same call fails until the credentials are mended
            return withCause(new AccessDeniedException("cannot access " + where + ": "
                    + noCredentials.get().getMessage()), e);
        }
        if (e instanceof SdkClientException) {
            // connection refused, reset, timed out (the SDK's retries are spent by now)
            return new StoreUnavailableException("cannot reach " + describe() + " for " + where + ": "
                    + shown(e), e);
        }
        return new IOException(where + ": " + shown(e), e);
    }

    /** The SDK's text, through {@link ShownUrls#inText}: it may quote a request URL (a presigned query). */
    private static String shown(Throwable e) {
        return ShownUrls.inText(e.getMessage());
    }

    /**
     * The failure of type {@code type} under {@code e}, if any: a TLS failure (untrusted certificate, host
     * name mismatch), a stalled upload.
     */
    private static <T extends Throwable> Optional<T> causeOf(Throwable e, Class<T> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return Optional.of(type.cast(cause));
            }
        }
        return Optional.empty();
    }

    private ContainerNotFoundException missingBucket(SdkException e) {
        return new ContainerNotFoundException("bucket " + bucket + " does not exist" + atEndpoint()
                + ": create it first", e);
    }

    private static <T extends IOException> T withCause(T exception, Throwable cause) {
        exception.initCause(cause);
        return exception;
    }

    /** A key S3 stores as named; a doubled slash inside is one (barman-cloud writes {@code a//b/...} for s3://B/a//b). */
    private static void checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
    }
}
