package io.cumulus.storage.gcs;

import com.google.api.gax.paging.Page;
import com.google.api.services.storage.model.ComposeRequest;
import com.google.api.services.storage.model.StorageObject;
import com.google.cloud.ReadChannel;
import com.google.cloud.RetryHelper;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageBatch;
import com.google.cloud.storage.StorageBatchResult;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.spi.v1.HttpStorageRpc;
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
import java.nio.channels.Channels;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A {@link BlobStore} on one Google Cloud Storage bucket through the google-cloud-storage library.
 * GCS has no multipart upload like S3's, so a large object goes up as temporary part objects, uploaded
 * in parallel through {@link MultipartOutputStream}, then composed into the object (in a tree: a
 * compose takes at most 32 sources) and deleted. The parts live under {@code
 * <key>.cumulus-parts/<upload id>/}, which listings never show. Every library failure goes through
 * {@link #translate(RuntimeException, String)}; retries are the library's own, tuned in {@link GcsBlobStores}.
 * Composes alone bypass the library's {@code Storage}, for its JSON API client underneath: see {@link #compose}.
 */
final class GcsBlobStore implements BlobStore {

    /** What follows an object's key in the names of its temporary parts; such keys are never listed. */
    static final String PARTS_MARKER = ".cumulus-parts/";
    /**
     * The suffix of every temporary part, so that one lifecycle rule ({@code matchesSuffix}) can remove
     * the parts an interrupted process (kill -9) never deleted.
     */
    static final String PART_SUFFIX = ".cumulus-part";

    private static final System.Logger LOG = System.getLogger(GcsBlobStore.class.getName());

    private final Storage storage;
    /**
     * The JSON API client under {@link #storage} when it talks HTTP, which composes go through; null
     * for another transport (gRPC, a test double).
     */
    private final com.google.api.services.storage.Storage jsonApi;
    private final ExecutorService uploads;
    private final GcsStoreConfig config;
    private final String bucket;
    private final MultipartOutputStream.Settings partSettings;
    private final BatchDeleter deleter;
    private final SecureRandom random = new SecureRandom();
    /**
     * Set once a request proved the bucket exists. GCS answers 404 alike for a missing object and a
     * missing bucket; until then an absent object costs one listing to tell them apart.
     */
    private volatile boolean bucketSeen;
    /** Cleared when the library cannot batch (its gRPC transport, or a test double): keys then go one by one. */
    private volatile boolean batchDeletes = true;

    GcsBlobStore(Storage storage, ExecutorService uploads, GcsStoreConfig config) {
        this.storage = storage;
        this.jsonApi = jsonApi(storage);
        this.uploads = uploads;
        this.config = config;
        this.bucket = config.bucket();
        this.partSettings = new MultipartOutputStream.Settings(config.partSize(), GcsStoreConfig.MAX_PARTS,
                GcsStoreConfig.MAX_OBJECT_SIZE, config.uploadConcurrency());
        this.deleter = new BatchDeleter(config.deleteBatchSize(), this::deleteBatch, this::delete);
    }

    // ---------------------------------------------------------------- reads

    @Override
    public InputStream openRead(String key) throws IOException {
        Blob blob = get(key).orElseThrow(() -> absent(key));
        return stream(reader(blob), key);
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        Blob blob = get(key).orElseThrow(() -> absent(key));
        long size = blob.getSize() == null ? 0 : blob.getSize();
        if (length == 0 || offset >= size) {
            return InputStream.nullInputStream();
        }
        ReadChannel reader = reader(blob);
        try {
            reader.seek(offset);
            reader.limit(offset + Math.min(length, size - offset));
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e instanceof RuntimeException runtime ? translate(runtime, key) : (IOException) e;
        }
        return stream(reader, key);
    }

    /** A reader of the generation just looked up: an object replaced meanwhile fails the read instead of mixing. */
    private ReadChannel reader(Blob blob) throws IOException {
        try {
            return storage.reader(blob.getBlobId());
        } catch (RuntimeException e) {
            throw translate(e, blob.getName());
        }
    }

    private InputStream stream(ReadChannel reader, String key) {
        return new TranslatingInputStream(Channels.newInputStream(reader), e -> translateRead(e, key));
    }

    /** The read channel wraps the library's failures in plain IOExceptions; unwrap them so callers can tell. */
    private IOException translateRead(Exception e, String key) {
        Throwable cause = e instanceof RuntimeException ? e : e.getCause();
        if (cause instanceof StorageException storageFailure) {
            return translate(storageFailure, key);
        }
        if (e instanceof RuntimeException runtime) {
            return translate(runtime, key);
        }
        return (IOException) e;
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        Optional<Blob> blob = get(key);
        if (blob.isEmpty()) {
            requireBucket();
            return Optional.empty();
        }
        return blob.map(b -> new BlobInfo(key, b.getSize() == null ? 0 : b.getSize(), lastModified(b), b.getEtag()));
    }

    private Optional<Blob> get(String key) throws IOException {
        try {
            Blob blob = storage.get(BlobId.of(bucket, key));
            if (blob != null) {
                bucketSeen = true;
            }
            return Optional.ofNullable(blob);
        } catch (RuntimeException e) {
            throw translate(e, key);
        }
    }

    private static Instant lastModified(Blob blob) {
        OffsetDateTime updated = blob.getUpdateTimeOffsetDateTime();
        if (updated == null) {
            updated = blob.getCreateTimeOffsetDateTime();
        }
        return updated == null ? Instant.EPOCH : updated.toInstant();
    }

    /** The exception for an absent object: a missing bucket, if that is why, else not found. */
    private IOException absent(String key) {
        try {
            requireBucket();
        } catch (IOException e) {
            return e;
        }
        return new FileNotFoundException(describe(key));
    }

    /** Checks the bucket once per store, by listing (which objects-only permissions allow). */
    private void requireBucket() throws IOException {
        if (!bucketSeen) {
            checkAvailable();
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

    /** The GCS calls behind one writer: one object, or parts composed into one. */
    private final class Upload implements MultipartOutputStream.MultipartTarget {
        private final String key;
        private final WriteOptions options;
        /** Every part and intermediate composite this upload made, for the cleanup. */
        private final Set<String> made = ConcurrentHashMap.newKeySet();

        Upload(String key, WriteOptions options) {
            this.key = key;
            this.options = options;
        }

        @Override
        public void putSingle(byte[] data, int length) throws IOException {
            try {
                storage.create(blobInfo(key, metadata()), data, 0, length, uploadOptions(options.ifAbsent()));
                bucketSeen = true;
            } catch (RuntimeException e) {
                throw translateWrite(e, key);
            }
        }

        @Override
        public String startUpload() {
            byte[] id = new byte[8];
            random.nextBytes(id);
            return HexFormat.of().formatHex(id);
        }

        /**
         * Creates one part. It may not exist yet, which lets the library retry the request: a 412 then
         * means an earlier attempt got through, and that part is ours.
         */
        @Override
        public String uploadPart(String uploadId, int partNumber, byte[] data, int length) throws IOException {
            String name = partName(key, uploadId, String.format("%05d", partNumber));
            made.add(name);
            Blob part;
            try {
                part = storage.create(com.google.cloud.storage.BlobInfo.newBuilder(bucket, name).build(), data, 0,
                        length, uploadOptions(true));
            } catch (StorageException e) {
                if (e.getCode() != 412) {
                    throw translateWrite(e, name);
                }
                part = storage.get(BlobId.of(bucket, name));
            } catch (RuntimeException e) {
                throw translateWrite(e, name);
            }
            if (part == null || part.getSize() != null && part.getSize() != length) {
                throw new IOException("part " + partNumber + " of " + describe(key) + " was not stored whole");
            }
            return new Source(name, part.getGeneration(), length).token();
        }

        /** Composes the parts, 32 at a time, round after round, until one compose makes the object. */
        @Override
        public void complete(String uploadId, List<MultipartOutputStream.CompletedPart> parts) throws IOException {
            List<Source> sources = parts.stream().map(p -> Source.parse(p.etag())).toList();
            long size = sources.stream().mapToLong(Source::size).sum();
            for (int round = 1; sources.size() > GcsStoreConfig.MAX_COMPOSE_SOURCES; round++) {
                sources = composeRound(uploadId, round, sources);
            }
            Source object;
            try {
                object = compose(sources, key, metadata(), options.ifAbsent());
            } catch (RuntimeException e) {
                throw translateCompose(e, key);
            }
            if (object == null || object.size() != size) {
                IOException wrong = new IOException("composing " + describe(key) + " from " + parts.size()
                        + " parts gave " + Source.describe(object) + ", not " + size);
                if (object != null) {
                    try {
                        // exactly the generation just made, never an older one
                        storage.delete(BlobId.of(bucket, key, object.generation()));
                    } catch (RuntimeException e) {
                        wrong.addSuppressed(translate(e, key));
                    }
                }
                throw wrong;
            }
            try {
                deleteParts(uploadId);
            } catch (IOException e) {
                // the object is complete and visible: failing close now would report a write that happened
                LOG.log(System.Logger.Level.WARNING, "could not delete the temporary parts of " + describe(key)
                        + " under " + partsPrefix(key, uploadId) + "; a lifecycle rule on the suffix " + PART_SUFFIX
                        + " removes them: " + ShownUrls.inText(e.getMessage()));
            }
        }

        /** Composes groups of 32 sources in parallel into intermediate composites, the next round's sources. */
        private List<Source> composeRound(String uploadId, int round, List<Source> sources) throws IOException {
            List<CompletableFuture<Source>> composites = new ArrayList<>();
            for (int start = 0, n = 1; start < sources.size(); start += GcsStoreConfig.MAX_COMPOSE_SOURCES, n++) {
                List<Source> group = sources.subList(start,
                        Math.min(sources.size(), start + GcsStoreConfig.MAX_COMPOSE_SOURCES));
                String name = partName(key, uploadId, String.format("r%d-%05d", round, n));
                made.add(name);
                try {
                    composites.add(CompletableFuture.supplyAsync(() -> composeIntermediate(group, name), uploads));
                } catch (RejectedExecutionException e) {
                    throw new IOException("cannot upload " + describe(key) + ": the store is closed", e);
                }
            }
            List<Source> next = new ArrayList<>(composites.size());
            for (CompletableFuture<Source> composite : composites) {
                try {
                    next.add(composite.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while composing " + describe(key));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException runtime) {
                        throw translateCompose(runtime, key);
                    }
                    throw new IOException("composing " + describe(key) + " failed: " + cause, cause);
                }
            }
            return next;
        }

        private Source composeIntermediate(List<Source> group, String name) {
            long size = group.stream().mapToLong(Source::size).sum();
            Source composite;
            try {
                composite = compose(group, name, Map.of(), true);
            } catch (StorageException e) {
                if (e.getCode() != 412) {
                    throw e;
                }
                composite = Source.of(storage.get(BlobId.of(bucket, name))); // an earlier attempt got through
            }
            if (composite == null || composite.size() != size) {
                throw new IllegalStateException("composing " + name + " gave " + Source.describe(composite) + ", not "
                        + size);
            }
            return composite;
        }

        @Override
        public void abort(String uploadId) throws IOException {
            deleteParts(uploadId);
        }

        /**
         * Deletes every part and composite of this upload: those it knows it made, and whatever else a
         * listing finds under its prefix (a part whose answer was lost).
         */
        private void deleteParts(String uploadId) throws IOException {
            Set<String> names = new LinkedHashSet<>(made);
            BlobIterator leftovers = listRaw(partsPrefix(key, uploadId));
            while (leftovers.hasNext()) {
                names.add(leftovers.next().key());
            }
            deleter.deleteAll(names);
        }

        /** barman-cloud stores GCS "tags" as custom metadata. */
        private Map<String, String> metadata() {
            return Map.copyOf(options.tags());
        }
    }

    private com.google.cloud.storage.BlobInfo blobInfo(String name, Map<String, String> metadata) {
        com.google.cloud.storage.BlobInfo.Builder target = com.google.cloud.storage.BlobInfo.newBuilder(bucket, name);
        if (!metadata.isEmpty()) {
            target.setMetadata(metadata);
        }
        return target.build();
    }

    /**
     * Composes {@code sources}, each pinned to its generation, into the object {@code name}, encrypted
     * with the store's KMS key. GCS takes a composite's key from the compose request (else the bucket's
     * default), never from its sources; the library's compose over HTTP sends no key (2.75.0 drops its
     * kmsKeyName option there, and {@code BlobInfo}'s own is not settable), so over HTTP the request goes
     * through the library's JSON API client, with the {@code kmsKeyName} parameter. That client carries
     * the library's credentials, host, timeouts and headers; the retries are the library's retry loop, with
     * the client's settings and {@link GcsBlobStores#RETRY_STRATEGY} (a compose is safe to replay). Other
     * transports keep the library's compose (gRPC sends the key).
     *
     * @return the object made: its name, generation and size; null when the client answers nothing
     * @throws StorageException as the library's own compose throws it
     */
    private Source compose(List<Source> sources, String name, Map<String, String> metadata, boolean ifAbsent) {
        if (jsonApi == null) {
            Storage.ComposeRequest.Builder request = Storage.ComposeRequest.newBuilder()
                    .setTarget(blobInfo(name, metadata)).setTargetOptions(targetOptions(ifAbsent));
            for (Source source : sources) {
                if (source.generation() == null) {
                    request.addSource(source.name());
                } else {
                    request.addSource(source.name(), source.generation()); // exactly the part we uploaded
                }
            }
            return Source.of(storage.compose(request.build()));
        }
        ComposeRequest request = new ComposeRequest()
                .setDestination(new StorageObject().setBucket(bucket).setName(name)
                        .setMetadata(metadata.isEmpty() ? null : metadata))
                .setSourceObjects(sources.stream().map(GcsBlobStore::composeSource).toList());
        Callable<StorageObject> attempt = () -> {
            try {
                com.google.api.services.storage.Storage.Objects.Compose call =
                        jsonApi.objects().compose(bucket, name, request);
                if (ifAbsent) {
                    call.setIfGenerationMatch(0L);
                }
                config.kmsKeyName().ifPresent(call::setKmsKeyName);
                return call.execute();
            } catch (IOException e) {
                throw StorageException.translate(e); // as the library's HTTP layer does
            }
        };
        StorageOptions options = storage.getOptions();
        StorageObject made;
        try {
            made = RetryHelper.runWithRetries(attempt, options.getRetrySettings(),
                    GcsBlobStores.RETRY_STRATEGY.getIdempotentHandler(), options.getClock());
        } catch (RetryHelper.RetryHelperException e) {
            throw StorageException.translateAndThrow(e);
        }
        return made == null ? null : new Source(made.getName(), made.getGeneration(),
                made.getSize() == null ? Source.UNKNOWN_SIZE : made.getSize().longValueExact());
    }

    /** A source of a JSON API compose, pinned to its generation as the library pins it: exactly the part uploaded. */
    private static ComposeRequest.SourceObjects composeSource(Source source) {
        ComposeRequest.SourceObjects object = new ComposeRequest.SourceObjects().setName(source.name());
        if (source.generation() != null) {
            object.setGeneration(source.generation()).setObjectPreconditions(
                    new ComposeRequest.SourceObjects.ObjectPreconditions().setIfGenerationMatch(source.generation()));
        }
        return object;
    }

    /** The JSON API client under an HTTP {@code Storage}, or null for another transport. */
    private static com.google.api.services.storage.Storage jsonApi(Storage storage) {
        try {
            return storage.getOptions().getRpc() instanceof HttpStorageRpc http ? http.getStorage() : null;
        } catch (RuntimeException e) { // a client that cannot say (a test double)
            return null;
        }
    }

    /** Where an object's parts go: next to it, so that permissions limited to a prefix still cover them. */
    static String partsPrefix(String key, String uploadId) {
        return key + PARTS_MARKER + uploadId + "/";
    }

    private static String partName(String key, String uploadId, String part) {
        return partsPrefix(key, uploadId) + part + PART_SUFFIX;
    }

    /**
     * {@link #targetOptions} for a request that carries the object's bytes: sent as they are. The
     * library would otherwise gzip every upload on the wire, which costs a CPU-second per WAL segment
     * on a small machine and gains nothing on data that is mostly compressed already.
     */
    private Storage.BlobTargetOption[] uploadOptions(boolean ifAbsent) {
        List<Storage.BlobTargetOption> options = new ArrayList<>(List.of(targetOptions(ifAbsent)));
        options.add(Storage.BlobTargetOption.disableGzipContent());
        return options.toArray(Storage.BlobTargetOption[]::new);
    }

    private Storage.BlobTargetOption[] targetOptions(boolean ifAbsent) {
        List<Storage.BlobTargetOption> options = new ArrayList<>(2);
        if (ifAbsent) {
            options.add(Storage.BlobTargetOption.doesNotExist());
        }
        config.kmsKeyName().ifPresent(k -> options.add(Storage.BlobTargetOption.kmsKeyName(k)));
        return options.toArray(Storage.BlobTargetOption[]::new);
    }

    /**
     * An object a compose reads or makes: name, generation and size. Parts' uploads report theirs to the
     * commit in a {@link #token()}.
     */
    private record Source(String name, Long generation, long size) {
        /** The size of an object whose size the answer did not give. */
        static final long UNKNOWN_SIZE = -1;

        /** The source of a library answer; null for none. */
        static Source of(Blob blob) {
            return blob == null ? null : new Source(blob.getName(), blob.getGeneration(),
                    blob.getSize() == null ? UNKNOWN_SIZE : blob.getSize());
        }

        /** What a compose gave, for a message. */
        static String describe(Source made) {
            return made == null ? "nothing"
                    : made.size() == UNKNOWN_SIZE ? "an object of unknown size" : made.size() + " bytes";
        }

        String token() {
            return size + " " + (generation == null ? "-" : generation) + " " + name;
        }

        static Source parse(String token) {
            String[] fields = token.split(" ", 3);
            return new Source(fields[2], fields[1].equals("-") ? null : Long.valueOf(fields[1]),
                    Long.parseLong(fields[0]));
        }
    }

    /**
     * Compose failures. GCS answers 404 alike for a missing bucket and for a source that is gone
     * ("Object X (generation: N) not found."): a part deleted during the upload, which is what a
     * lifecycle rule on {@link #PART_SUFFIX} does to an upload that lasts longer than the rule's age.
     * A look at the bucket tells which.
     */
    private IOException translateCompose(RuntimeException e, String key) {
        if (!(e instanceof StorageException storageFailure) || storageFailure.getCode() != 404) {
            return translate(e, key);
        }
        try {
            checkAvailable();
        } catch (ContainerNotFoundException missing) {
            return missing;
        } catch (IOException unknown) {
            IOException failure = translate(e, key);
            failure.addSuppressed(unknown);
            return failure;
        }
        return new IOException("a temporary part of " + describe(key) + " vanished before it was composed ("
                + ShownUrls.inText(firstLine(e.getMessage())) + "): something deleted it during the upload, such as a lifecycle rule"
                + " on the suffix " + PART_SUFFIX + " with an age shorter than this upload took; give the rule an"
                + " age longer than the longest upload, then write again", e);
    }

    /** Create failures: a 404 on a create can only mean the bucket is missing. */
    private IOException translateWrite(RuntimeException e, String key) {
        if (e instanceof StorageException storageFailure && storageFailure.getCode() == 404
                && !String.valueOf(e.getMessage()).startsWith("No such object")) {
            return missingBucket(e);
        }
        return translate(e, key);
    }

    // ---------------------------------------------------------------- listing

    /**
     * Pages in ascending key order. GCS sends each page sorted already; sorting it again costs nothing
     * and keeps the order for stores that answer unsorted (the in-process test store).
     */
    @Override
    public BlobIterator list(String prefix) {
        BlobIterator all = listRaw(prefix);
        return BlobIterator.from(() -> {
            while (all.hasNext()) {
                BlobInfo next = all.next();
                if (!next.key().contains(PARTS_MARKER)) {
                    return next;
                }
            }
            return null;
        });
    }

    /** Every object under {@code prefix}, temporary parts included. */
    private BlobIterator listRaw(String prefix) {
        return BlobIterator.from(new BlobIterator.Source() {
            private Page<Blob> page;
            private Iterator<Blob> items = List.<Blob>of().iterator();

            @Override
            public BlobInfo nextOrNull() throws IOException {
                try {
                    while (true) {
                        while (items.hasNext()) {
                            Blob blob = items.next();
                            if (!blob.getName().endsWith("/")) { // "folder" placeholders made by the console
                                return new BlobInfo(blob.getName(), blob.getSize() == null ? 0 : blob.getSize(),
                                        lastModified(blob), blob.getEtag());
                            }
                        }
                        if (page != null && !page.hasNextPage()) {
                            return null;
                        }
                        page = page == null ? firstPage(prefix) : page.getNextPage();
                        items = sorted(page.getValues());
                    }
                } catch (RuntimeException e) {
                    throw translateList(e, prefix);
                }
            }
        });
    }

    private Page<Blob> firstPage(String prefix) {
        List<Storage.BlobListOption> options = new ArrayList<>(List.of(
                Storage.BlobListOption.pageSize(config.listPageSize()),
                Storage.BlobListOption.fields(Storage.BlobField.NAME, Storage.BlobField.SIZE,
                        Storage.BlobField.UPDATED, Storage.BlobField.ETAG)));
        if (!prefix.isEmpty()) {
            options.add(Storage.BlobListOption.prefix(prefix));
        }
        Page<Blob> first = storage.list(bucket, options.toArray(Storage.BlobListOption[]::new));
        bucketSeen = true;
        return first;
    }

    private static Iterator<Blob> sorted(Iterable<Blob> values) {
        List<Blob> page = new ArrayList<>();
        values.forEach(page::add);
        page.sort((a, b) -> KEY_ORDER.compare(a.getName(), b.getName()));
        return page.iterator();
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        List<Storage.BlobListOption> options = new ArrayList<>(List.of(Storage.BlobListOption.currentDirectory(),
                Storage.BlobListOption.pageSize(config.listPageSize())));
        if (!prefix.isEmpty()) {
            options.add(Storage.BlobListOption.prefix(prefix));
        }
        List<String> prefixes = new ArrayList<>();
        try {
            for (Blob blob : storage.list(bucket, options.toArray(Storage.BlobListOption[]::new)).iterateAll()) {
                if (blob.isDirectory() && !blob.getName().contains(PARTS_MARKER)) {
                    prefixes.add(blob.getName());
                }
            }
        } catch (RuntimeException e) {
            throw translateList(e, prefix);
        }
        bucketSeen = true;
        prefixes.sort(KEY_ORDER);
        return prefixes;
    }

    /** Listing failures: a 404 on a listing can only mean the bucket is missing. */
    private IOException translateList(RuntimeException e, String prefix) {
        if (e instanceof StorageException storageFailure && storageFailure.getCode() == 404) {
            return missingBucket(e);
        }
        return translate(e, prefix);
    }

    // ---------------------------------------------------------------- deletes

    @Override
    public void delete(String key) throws IOException {
        boolean deleted;
        try {
            deleted = storage.delete(BlobId.of(bucket, key));
        } catch (RuntimeException e) {
            throw translate(e, key);
        }
        if (!deleted) {
            requireBucket(); // the library answers false for a missing bucket too
        }
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        deleter.deleteAll(keys);
    }

    /**
     * One batch request of deletes; an absent object counts as deleted. The library sends batches
     * with its own fixed timeouts (20 s), not the store's: a store that never answers costs that long
     * before the keys go one by one.
     */
    private List<String> deleteBatch(List<String> keys) throws IOException {
        if (!batchDeletes) {
            throw new IOException("batch deletes are not available on " + describe());
        }
        StorageBatch batch;
        try {
            batch = storage.batch();
        } catch (UnsupportedOperationException e) {
            batchDeletes = false;
            throw new IOException("batch deletes are not available on " + describe() + ": "
                    + ShownUrls.inText(e.getMessage()), e);
        }
        List<StorageBatchResult<Boolean>> results = new ArrayList<>(keys.size());
        for (String key : keys) {
            results.add(batch.delete(BlobId.of(bucket, key)));
        }
        try {
            batch.submit();
        } catch (RuntimeException e) {
            throw translate(e, keys.get(0));
        }
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            try {
                results.get(i).get(); // true, or false when absent
            } catch (RuntimeException e) {
                failed.add(keys.get(i));
            }
        }
        return failed;
    }

    // ---------------------------------------------------------------- store

    /** Lists one object: needs only the objects permissions a backup needs anyway, not the bucket's. */
    @Override
    public void checkAvailable() throws IOException {
        try {
            storage.list(bucket, Storage.BlobListOption.pageSize(1), Storage.BlobListOption.fields(Storage.BlobField.NAME));
        } catch (RuntimeException e) {
            throw translateList(e, "");
        }
        bucketSeen = true;
    }

    @Override
    public String describe() {
        return "gs://" + bucket + atEmulator();
    }

    @Override
    public String describeKey(String key) {
        return describe(key) + atEmulator();
    }

    /** " at HOST" for an emulator, never with its user info (a password); empty for Google Cloud. */
    private String atEmulator() {
        return config.emulatorHost().map(host -> " at " + ShownUrls.withoutUserInfo(host)).orElse("");
    }

    private String describe(String key) {
        return "gs://" + bucket + "/" + key;
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
            try {
                storage.close();
            } catch (Exception e) {
                throw new IOException("closing the client of " + describe() + ": " + ShownUrls.inText(e.getMessage()), e);
            }
        }
    }

    /**
     * The one place where library failures become the SPI's exceptions. Messages name the bucket and
     * key, the status and the first line of GCS's own message, and the library's own words only through
     * {@link ShownUrls#inText} (it may quote a request URL with an emulator's user info).
     */
    IOException translate(RuntimeException e, String key) {
        String where = key.isEmpty() ? "gs://" + bucket : describe(key);
        if (e instanceof StorageException storageFailure) {
            int status = storageFailure.getCode();
            String detail = " (" + status + (storageFailure.getReason() == null ? "" : " " + storageFailure.getReason())
                    + "): " + ShownUrls.inText(firstLine(e.getMessage()));
            if (status == 404) {
                if (String.valueOf(e.getMessage()).contains("bucket does not exist")) {
                    return missingBucket(e);
                }
                return withCause(new FileNotFoundException(where + detail), e);
            }
            if (status == 412) {
                return withCause(new FileAlreadyExistsException(where, null, "an object already exists" + detail), e);
            }
            if (status == 401 || status == 403) {
                return withCause(new AccessDeniedException(where, null, "access denied: check the credentials" + detail),
                        e);
            }
            if (status >= 500 || status == 408 || status == 429) {
                return new StoreUnavailableException(where + " is unavailable" + detail, e);
            }
            if (status == 0 || status == -1) { // the library's code for a failure before any answer
                return beforeAnswer(e, where);
            }
            return new IOException(where + ": request failed" + detail, e);
        }
        return beforeAnswer(e, where);
    }

    /** A failure without an HTTP answer: no credentials at all, interrupted, or the store unreachable. */
    private IOException beforeAnswer(RuntimeException e, String where) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("Application Default Credentials")) {
                return new AccessDeniedException(where, null, "no Google credentials: set"
                        + " GOOGLE_APPLICATION_CREDENTIALS or run where Application Default Credentials exist");
            }
        }
        if (Thread.currentThread().isInterrupted() || hasCause(e, InterruptedException.class)
                || hasCause(e, InterruptedIOException.class) && !hasCause(e, java.net.SocketTimeoutException.class)) {
            return withCause(new InterruptedIOException("interrupted while accessing " + where), e);
        }
        if (hasCause(e, IOException.class)) {
            // connection refused, reset, timed out (the library's retries are spent by now)
            return new StoreUnavailableException("cannot reach " + describe() + " for " + where + ": "
                    + rootCause(e), e);
        }
        return new IOException(where + ": " + rootCause(e), e);
    }

    private ContainerNotFoundException missingBucket(Throwable e) {
        return new ContainerNotFoundException("bucket " + bucket + " does not exist" + atEmulator()
                + ": create it first", e);
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
        // the library quotes request URLs (an emulator's user info, a signed URL's query)
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": "
                + ShownUrls.inText(root.getMessage()));
    }

    private static <T extends IOException> T withCause(T exception, Throwable cause) {
        exception.initCause(cause);
        return exception;
    }

    /** Empty segments are allowed: barman-cloud keeps them in a URL's path ({@code gs://b/a//c}), and GCS takes them. */
    private static void checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/")) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
        if (key.contains(PARTS_MARKER)) {
            throw new IllegalArgumentException("invalid key '" + key + "': '" + PARTS_MARKER
                    + "' names the temporary parts of uploads");
        }
    }
}
