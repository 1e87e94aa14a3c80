package io.cumulus.storage.azure;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.rest.PagedResponse;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.batch.BlobBatch;
import com.azure.storage.blob.batch.BlobBatchClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DeleteSnapshotsOptionType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.options.BlockBlobSimpleUploadOptions;
import com.azure.storage.blob.options.BlockBlobStageBlockOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import io.cumulus.storage.BatchDeleter;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.MultipartOutputStream;
import io.cumulus.storage.ShownUrls;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.TranslatingInputStream;
import io.cumulus.storage.WriteOptions;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link BlobStore} on one Azure Blob Storage container (or an Azurite one) through the SDK's sync
 * client. Small objects go up in one Put Blob, larger ones as blocks staged in parallel through
 * {@link MultipartOutputStream} and committed at close, each body with its Content-MD5; every SDK
 * failure goes through {@link #translate(RuntimeException, String)}; retries are the SDK's own, tuned
 * in {@link AzureBlobStores}.
 */
final class AzureBlobStore implements BlobStore {

    /** Blocks of a single object read per request when streaming it. */
    private static final int READ_BLOCK_SIZE = 4 * 1024 * 1024;
    /** Azure answers these codes when a blob exists where If-None-Match: * asked for none. */
    private static final Set<BlobErrorCode> ALREADY_EXISTS = Set.of(BlobErrorCode.BLOB_ALREADY_EXISTS,
            BlobErrorCode.CONDITION_NOT_MET);
    private static final Set<BlobErrorCode> DENIED = Set.of(BlobErrorCode.AUTHORIZATION_FAILURE,
            BlobErrorCode.AUTHENTICATION_FAILED, BlobErrorCode.INSUFFICIENT_ACCOUNT_PERMISSIONS,
            BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH, BlobErrorCode.AUTHORIZATION_SOURCE_IPMISMATCH,
            BlobErrorCode.AUTHORIZATION_PROTOCOL_MISMATCH, BlobErrorCode.AUTHORIZATION_RESOURCE_TYPE_MISMATCH,
            BlobErrorCode.AUTHORIZATION_SERVICE_MISMATCH, BlobErrorCode.ACCOUNT_IS_DISABLED);
    private static final Set<BlobErrorCode> UNAVAILABLE = Set.of(BlobErrorCode.SERVER_BUSY,
            BlobErrorCode.OPERATION_TIMED_OUT, BlobErrorCode.INTERNAL_ERROR);

    private final BlobContainerClient container;
    private final BlobBatchClient batches;
    private final ExecutorService uploads;
    private final AzureStoreConfig config;
    private final String containerUrl;
    private final MultipartOutputStream.Settings blockSettings;
    private final BatchDeleter deleter;
    private final SecureRandom random = new SecureRandom();
    /**
     * Cleared when the store rejects Blob Batch or answers it in a way the SDK cannot read (an
     * emulator or proxy without it): the keys then go one by one straight away, without a batch
     * that must fail first.
     */
    private volatile boolean batchDeletes = true;

    AzureBlobStore(BlobContainerClient container, BlobBatchClient batches, ExecutorService uploads,
            AzureStoreConfig config) {
        this.container = container;
        this.batches = batches;
        this.uploads = uploads;
        this.config = config;
        // a connection string's BlobEndpoint may carry user info, and a SAS a query: neither is shown
        this.containerUrl = ShownUrls.withoutQuery(container.getBlobContainerUrl());
        this.blockSettings = new MultipartOutputStream.Settings(config.maxBlockSize(), AzureStoreConfig.MAX_BLOCKS,
                AzureStoreConfig.MAX_BLOCK_SIZE, config.maxConcurrency());
        this.deleter = new BatchDeleter(config.deleteBatchSize(), this::deleteBatch, this::delete);
    }

    // ---------------------------------------------------------------- reads

    @Override
    public InputStream openRead(String key) throws IOException {
        return open(key, new BlobInputStreamOptions());
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        BlobProperties properties = properties(key).orElseThrow(() -> new FileNotFoundException(describe(key)));
        if (length == 0 || offset >= properties.getBlobSize()) {
            return InputStream.nullInputStream(); // no HTTP range is empty, and none starts past the end
        }
        long count = Math.min(length, properties.getBlobSize() - offset);
        // pinned to the ETag just read: a blob replaced meanwhile fails the read instead of mixing versions
        return open(key, new BlobInputStreamOptions().setRange(new BlobRange(offset, count))
                .setRequestConditions(new BlobRequestConditions().setIfMatch(properties.getETag())));
    }

    /**
     * The SDK's stream reads the blob in blocks, each a ranged GET pinned to the blob's ETag, so a
     * stream closed early leaves no half-read connection behind.
     */
    private InputStream open(String key, BlobInputStreamOptions options) throws IOException {
        InputStream in;
        try {
            in = container.getBlobClient(key).openInputStream(options.setBlockSize(READ_BLOCK_SIZE));
        } catch (RuntimeException e) {
            throw translateForRead(e, key);
        }
        return new TranslatingInputStream(in, e -> translateRead(e, key));
    }

    /** The SDK's stream wraps service failures in plain IOExceptions; unwrap them so callers can tell. */
    private IOException translateRead(Exception e, String key) {
        Throwable cause = e instanceof RuntimeException ? e : e.getCause();
        if (cause instanceof RuntimeException runtime) {
            return translateForRead(runtime, key);
        }
        return e instanceof IOException io ? io : new IOException(describe(key) + ": " + shown(e), e);
    }

    /**
     * A read is pinned to the ETag it began with, so a 412 says the blob was replaced meanwhile (the
     * bytes read so far belong to the old one), not that an object exists, as it does for a write.
     */
    private IOException translateForRead(RuntimeException e, String key) {
        if (e instanceof BlobStorageException storage && storage.getStatusCode() == 412) {
            return withCause(new IOException(describe(key) + " changed while being read (412" + (storage.getErrorCode()
                    == null ? "" : " " + storage.getErrorCode()) + requestId(storage) + "): read it again"), e);
        }
        return translate(e, key);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        return properties(key).map(p -> new BlobInfo(key, p.getBlobSize(), p.getLastModified().toInstant(),
                p.getETag()));
    }

    private Optional<BlobProperties> properties(String key) throws IOException {
        try {
            return Optional.of(container.getBlobClient(key).getProperties());
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404 && !BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode())) {
                return Optional.empty();
            }
            throw translate(e, key);
        } catch (RuntimeException e) {
            throw translate(e, key);
        }
    }

    // ---------------------------------------------------------------- writes

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        checkKey(key);
        Upload upload = new Upload(key, options);
        return new SinglePutFirstOutputStream(config.maxSinglePutSize(), options.expectedSize(), upload::putSingle,
                () -> new MultipartOutputStream(upload, uploads,
                        blockSettings.withPlannedSize(options.plannedSize().orElse(0)), options.expectedSize(),
                        describe(key)),
                describe(key));
    }

    /**
     * Up to the single-put limit the object itself; beyond it the single put's buffer, full when the writer
     * turns to blocks, and the blocks' ({@link SinglePutFirstOutputStream}).
     */
    @Override
    public long writeBufferNeed(long size) {
        long single = config.maxSinglePutSize();
        return size <= single ? size : single + blockSettings.bufferNeed(size);
    }

    /** The Azure calls behind one writer: Put Blob, or Put Block and Put Block List. */
    private final class Upload implements MultipartOutputStream.MultipartTarget {
        private final String key;
        private final WriteOptions options;
        private final BlockBlobClient blob;

        Upload(String key, WriteOptions options) {
            this.key = key;
            this.options = options;
            this.blob = container.getBlobClient(key).getBlockBlobClient();
        }

        @Override
        public void putSingle(byte[] data, int length) throws IOException {
            BlockBlobSimpleUploadOptions request = new BlockBlobSimpleUploadOptions(bytes(data, length))
                    .setContentMd5(contentMd5(data, length))
                    .setRequestConditions(conditions());
            if (!options.tags().isEmpty()) {
                request.setTags(options.tags());
            }
            try {
                blob.uploadWithResponse(request, null, Context.NONE);
            } catch (RuntimeException e) {
                throw translate(e, key);
            }
        }

        /**
         * Names this upload's blocks apart from any other upload's to the same blob, whose uncommitted
         * blocks Azure keeps beside ours until one commit discards the rest.
         */
        @Override
        public String startUpload() {
            byte[] id = new byte[8];
            random.nextBytes(id);
            return HexFormat.of().formatHex(id);
        }

        @Override
        public String uploadPart(String uploadId, int partNumber, byte[] data, int length) throws IOException {
            String blockId = blockId(uploadId, partNumber);
            try {
                blob.stageBlockWithResponse(new BlockBlobStageBlockOptions(blockId, bytes(data, length))
                        .setContentMd5(contentMd5(data, length)), null, Context.NONE);
            } catch (RuntimeException e) {
                throw translate(e, key);
            }
            return blockId;
        }

        @Override
        public void complete(String uploadId, List<MultipartOutputStream.CompletedPart> parts) throws IOException {
            List<String> blockIds = parts.stream().map(MultipartOutputStream.CompletedPart::etag).toList();
            BlockBlobCommitBlockListOptions request = new BlockBlobCommitBlockListOptions(blockIds)
                    .setRequestConditions(conditions());
            if (!options.tags().isEmpty()) {
                request.setTags(options.tags());
            }
            try {
                blob.commitBlockListWithResponse(request, null, Context.NONE);
            } catch (RuntimeException e) {
                throw translate(e, key);
            }
        }

        /**
         * Sends nothing. Azure has no call that drops uncommitted blocks without touching the name:
         * only a commit or a delete of the blob does, and a commit of an empty list would make a
         * 0-byte blob visible under the final name until its delete succeeded. A lost delete (no
         * delete right on an archive-only SAS, a 5xx, a lost commit response, a process killed
         * between the two) would leave it for good, and since Cumulus never overwrites, every later
         * archive of that segment would fail. Uncommitted blocks are invisible to Get Blob, Get Blob
         * Properties and List Blobs; Azure discards them at the blob's next commit (whose list names
         * only its own blocks, see {@link #startUpload()}) or after a week.
         */
        @Override
        public void abort(String uploadId) {
            // nothing to undo that anyone can see
        }

        private BlobRequestConditions conditions() {
            return options.ifAbsent() ? new BlobRequestConditions().setIfNoneMatch("*") : null;
        }
    }

    /**
     * The MD5 of {@code data[0, length)}, sent as Content-MD5 so that Azure checks the body it received
     * against it (a mismatch stores nothing: 400 Md5Mismatch); null in a runtime without MD5 (FIPS
     * mode), where requests go without it.
     */
    static byte[] contentMd5(byte[] data, int length) {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
        md5.update(data, 0, length);
        return md5.digest();
    }

    /** Wraps without copying; the array is not reused until the request returns. */
    private static BinaryData bytes(byte[] data, int length) {
        return BinaryData.fromByteBuffer(ByteBuffer.wrap(data, 0, length));
    }

    /**
     * A block id of fixed length, as Azure requires of every block of one blob: the upload id and the
     * zero-padded block number (at most 50,000), base64-encoded.
     */
    static String blockId(String uploadId, int number) {
        return Base64.getEncoder().encodeToString(String.format("%s-%05d", uploadId, number)
                .getBytes(StandardCharsets.US_ASCII));
    }

    // ---------------------------------------------------------------- listing

    @Override
    public BlobIterator list(String prefix) {
        ListBlobsOptions options = new ListBlobsOptions().setPrefix(prefix.isEmpty() ? null : prefix)
                .setMaxResultsPerPage(config.listPageSize());
        return BlobIterator.from(new BlobIterator.Source() {
            private Iterator<PagedResponse<BlobItem>> pages;
            private Iterator<BlobItem> page = List.<BlobItem>of().iterator();

            @Override
            public BlobInfo nextOrNull() throws IOException {
                try {
                    if (pages == null) {
                        pages = container.listBlobs(options, null).iterableByPage().iterator();
                    }
                    while (page.hasNext() || pages.hasNext()) {
                        if (!page.hasNext()) {
                            page = pages.next().getValue().iterator();
                            continue;
                        }
                        BlobItem item = page.next();
                        // "folder" markers made by tools for hierarchical views are no objects
                        if (!item.getName().endsWith("/")) {
                            return new BlobInfo(item.getName(), item.getProperties().getContentLength(),
                                    item.getProperties().getLastModified().toInstant(), item.getProperties().getETag());
                        }
                    }
                    return null;
                } catch (RuntimeException e) {
                    throw translate(e, prefix);
                }
            }
        });
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        ListBlobsOptions options = new ListBlobsOptions().setPrefix(prefix.isEmpty() ? null : prefix)
                .setMaxResultsPerPage(config.listPageSize());
        List<String> prefixes = new ArrayList<>();
        try {
            for (BlobItem item : container.listBlobsByHierarchy("/", options, null)) {
                if (Boolean.TRUE.equals(item.isPrefix())) {
                    prefixes.add(item.getName());
                }
            }
        } catch (RuntimeException e) {
            throw translate(e, prefix);
        }
        return prefixes;
    }

    // ---------------------------------------------------------------- deletes

    @Override
    public void delete(String key) throws IOException {
        try {
            container.getBlobClient(key).deleteWithResponse(DeleteSnapshotsOptionType.INCLUDE, null, null,
                    Context.NONE);
        } catch (BlobStorageException e) {
            if (!BlobErrorCode.BLOB_NOT_FOUND.equals(e.getErrorCode())) {
                throw translate(e, key);
            }
        } catch (RuntimeException e) {
            throw translate(e, key);
        }
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        deleter.deleteAll(keys);
    }

    /**
     * One Blob Batch request. It runs under one overall timeout, because a store may hang on a batch
     * (as S3Proxy did): the keys then go one by one.
     */
    private List<String> deleteBatch(List<String> keys) throws IOException {
        if (!batchDeletes) {
            throw new IOException("batch deletes are not available on " + describe());
        }
        BlobBatch batch = batches.getBlobBatch();
        List<Response<Void>> responses = new ArrayList<>(keys.size());
        for (String key : keys) {
            // by URL, as the blob client spells it: deleteBlob(container, name) decodes the name first
            // (a%41 would delete aA, get a 404 and count as deleted) and drops an emulator's account path
            responses.add(batch.deleteBlob(container.getBlobClient(key).getBlobUrl(), DeleteSnapshotsOptionType.INCLUDE,
                    null));
        }
        try {
            batches.submitBatchWithResponse(batch, false, config.readTimeout(), Context.NONE);
        } catch (BlobStorageException e) {
            if (rejectsBatches(e)) {
                batchDeletes = false;
            }
            throw translate(e, keys.get(0));
        } catch (RuntimeException e) {
            if (!hasCause(e, IOException.class) && !hasCause(e, TimeoutException.class)) {
                // an answer the SDK cannot read (a store that does not know Blob Batch, or a proxy)
                batchDeletes = false;
            }
            throw translate(e, keys.get(0));
        }
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            try {
                responses.get(i).getStatusCode(); // throws the operation's own failure
            } catch (BlobStorageException e) {
                if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode())) {
                    throw translate(e, keys.get(i));
                }
                if (!BlobErrorCode.BLOB_NOT_FOUND.equals(e.getErrorCode())) {
                    failed.add(keys.get(i));
                }
            } catch (RuntimeException e) {
                failed.add(keys.get(i)); // no answer for this operation: retried on its own
            }
        }
        return failed;
    }

    /** A store without Blob Batch says so with 400/405/501 for the whole request, not with a server error. */
    private static boolean rejectsBatches(BlobStorageException e) {
        int status = e.getStatusCode();
        return status == 400 || status == 405 || status == 501;
    }

    // ---------------------------------------------------------------- store

    /** Lists one blob, as barman-cloud does: unlike Get Container Properties, a container SAS allows it. */
    @Override
    public void checkAvailable() throws IOException {
        try {
            container.listBlobs(new ListBlobsOptions().setMaxResultsPerPage(1), null).iterableByPage().iterator()
                    .hasNext();
        } catch (RuntimeException e) {
            throw translate(e, "");
        }
    }

    @Override
    public String describe() {
        return containerUrl;
    }

    private String describe(String key) {
        return containerUrl + "/" + key;
    }

    @Override
    public void close() throws IOException {
        uploads.shutdown();
        try {
            // writers still open when the store closes fail; their blocks must not outlive the client
            if (!uploads.awaitTermination(config.readTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            uploads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The one place where SDK failures become the SPI's exceptions. Messages name the container and
     * key, the status, Azure's error code and request id. They never carry the SDK's own text for
     * refused credentials (it quotes the string that was signed), nor a URL with its query (a SAS).
     */
    IOException translate(RuntimeException e, String key) {
        String where = key.isEmpty() ? describe() : describe(key);
        if (e instanceof BlobStorageException storage) {
            BlobErrorCode code = storage.getErrorCode();
            int status = storage.getStatusCode();
            String detail = " (" + status + (code == null ? "" : " " + code) + requestId(storage) + ")";
            if (BlobErrorCode.CONTAINER_NOT_FOUND.equals(code)) {
                return new ContainerNotFoundException("container " + config.container() + " does not exist at "
                        + describe() + ": create it first" + detail, e);
            }
            if (BlobErrorCode.BLOB_NOT_FOUND.equals(code) || status == 404) {
                return withCause(new FileNotFoundException(where + detail), e);
            }
            if (BlobErrorCode.MD5MISMATCH.equals(code)) {
                return new IOException(where + ": Azure received other bytes than were sent (their Content-MD5 does not"
                        + " match; nothing was stored): check the network path to the store and retry" + detail, e);
            }
            if (in(ALREADY_EXISTS, code) || status == 412) {
                return withCause(new FileAlreadyExistsException(where, null, "an object already exists" + detail), e);
            }
            if (status == 401 || status == 403 || in(DENIED, code)) {
                // no cause: Azure's message for a refused signature quotes what was signed
                return new AccessDeniedException(where, null, "access denied: check the credentials" + detail);
            }
            if (status >= 500 || status == 408 || status == 429 || in(UNAVAILABLE, code)) {
                return new StoreUnavailableException(where + " is unavailable" + detail + serviceMessage(storage), e);
            }
            return new IOException(where + ": request failed" + detail + serviceMessage(storage), e);
        }
        if (e instanceof ClientAuthenticationException) {
            // token acquisition (CLI, managed identity, default chain) failed: Azure never saw a request
            return new AccessDeniedException(where, null, "no usable Azure credential: "
                    + ShownUrls.inText(firstLine(e.getMessage())));
        }
        if (e instanceof HttpResponseException http && http.getResponse() != null) {
            int status = http.getResponse().getStatusCode();
            if (status == 401 || status == 403) {
                return new AccessDeniedException(where, null, "access denied: check the credentials (" + status + ")");
            }
            if (status >= 500 || status == 408 || status == 429) {
                return new StoreUnavailableException(where + " is unavailable (" + status + ")", e);
            }
            return new IOException(where + ": request failed (" + status + ")", e);
        }
        if (Thread.currentThread().isInterrupted() || hasCause(e, InterruptedException.class)) {
            return withCause(new InterruptedIOException("interrupted while accessing " + where), e);
        }
        if (hasCause(e, IOException.class) || hasCause(e, TimeoutException.class)) {
            // connection refused, reset, timed out (the SDK's retries are spent by now)
            return new StoreUnavailableException("cannot reach " + describe() + " for " + where + ": "
                    + rootCause(e), e);
        }
        // e.g. the SDK failing before it sends: its URISyntaxException or NumberFormatException quotes the URL
        return new IOException(where + ": " + shown(e), e);
    }

    /**
     * An SDK exception as a message may show it: its class and text, through {@link ShownUrls#inText}
     * (the SDK quotes whole request URLs, a SAS query included, or parts of an endpoint's user info).
     * Never put an SDK exception's own text in a message otherwise.
     */
    static String shown(Throwable e) {
        return ShownUrls.inText(e.toString());
    }

    /** Whether {@code code} is one of {@code codes}; an answer without a body has none, which Set.of cannot look up. */
    private static boolean in(Set<BlobErrorCode> codes, BlobErrorCode code) {
        return code != null && codes.contains(code);
    }

    private static String requestId(BlobStorageException e) {
        String id = e.getResponse() == null ? null : e.getResponse().getHeaders().getValue(HttpHeaderName.X_MS_REQUEST_ID);
        return id == null ? "" : ", request " + id;
    }

    /** The first line of Azure's own message ("The specified blob does not exist."), without its XML. */
    private static String serviceMessage(BlobStorageException e) {
        String message = e.getServiceMessage();
        return message == null || message.isBlank() ? "" : ": " + firstLine(message);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int end = message.indexOf('\n');
        return (end < 0 ? message : message.substring(0, end)).trim();
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getClass().getSimpleName() + ": "
                + ShownUrls.inText(root.getMessage());
    }

    private static <T extends IOException> T withCause(T exception, Throwable cause) {
        exception.initCause(cause);
        return exception;
    }

    /**
     * Refuses a key no accepted URL leads to. Empty segments are allowed: barman-cloud keeps those of
     * a URL's path ({@code a//b}) in its blob names, and Azure keeps them too. A leading slash comes
     * only from a URL {@link AzureLocation#parse} refuses, and a trailing one would be a directory
     * marker, never an object either tool writes.
     */
    private static void checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
    }
}
