package io.cumulus.storage.gcs;

import io.cumulus.storage.ShownUrls;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything a Google Cloud Storage store is opened with; the CLI builds it from barman-cloud's URL,
 * options and environment, and the provider reads nothing else (credentials aside: Application
 * Default Credentials, which the Google library resolves the standard way). Start from {@link
 * #of(String)} and change what differs with the {@code with} methods; every limit is checked here, once.
 *
 * @param bucket the bucket (it must exist: the store never creates it)
 * @param projectId the project, for requests that need one; empty to let the library find it
 * @param kmsKeyName the Cloud KMS key new objects are encrypted with ({@code --kms-key-name})
 * @param partSize the first part size, and the largest object sent in one request; longer objects
 *     go up as parallel parts composed into one
 * @param uploadConcurrency parts uploaded at once by one writer; memory is (this + 1) × part size
 * @param listPageSize objects per list page
 * @param deleteBatchSize deletes per batch request
 * @param maxAttempts attempts per request (the library's retries), the first one included
 * @param readTimeout how long a request may wait for the next bytes
 * @param emulatorHost an emulator's address (the CLI takes it from {@code STORAGE_EMULATOR_HOST}, as
 *     the Google libraries do): requests go there, without credentials
 */
public record GcsStoreConfig(
        String bucket,
        Optional<String> projectId,
        Optional<String> kmsKeyName,
        int partSize,
        int uploadConcurrency,
        int listPageSize,
        int deleteBatchSize,
        int maxAttempts,
        Duration readTimeout,
        Optional<URI> emulatorHost) {

    /** Smallest part: each part is one request and one temporary object. */
    public static final int MIN_PART_SIZE = 256 * 1024;
    /** 16 MiB: a WAL segment goes up in one request. */
    public static final int DEFAULT_PART_SIZE = 16 * 1024 * 1024;
    /**
     * Parts per object. GCS itself has no such limit; this one bounds the compose requests (one per 31
     * parts) and temporary objects of one upload. Parts grow so that a stream of any length stays under it.
     */
    public static final int MAX_PARTS = 10_000;
    /** GCS's largest object. */
    public static final long MAX_OBJECT_SIZE = 5L * 1024 * 1024 * 1024 * 1024;
    /** GCS's limit on the sources of one compose request. */
    public static final int MAX_COMPOSE_SOURCES = 32;
    /** Parts in flight per writer by default, as the S3 provider. */
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;
    /** A sanity bound: each part in flight is a buffer of the part size. */
    public static final int MAX_UPLOAD_CONCURRENCY = 1024;
    /** GCS's largest list page, and the default. */
    public static final int MAX_LIST_PAGE_SIZE = 1000;
    /** GCS's largest batch request, and the default. */
    public static final int MAX_DELETE_BATCH_SIZE = 100;
    /** Attempts per request by default: the first and three retries, as the S3 provider. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** barman-cloud's read timeout for S3, used for GCS too. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

    /** GCS's rule: 3 to 222 lowercase letters, digits, dashes, underscores and dots, a letter or digit at each end. */
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]");

    public GcsStoreConfig {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(projectId, "projectId");
        Objects.requireNonNull(kmsKeyName, "kmsKeyName");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(emulatorHost, "emulatorHost");
        String problem = bucketProblem(bucket);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        projectId.ifPresent(p -> requireText(p, "project id"));
        kmsKeyName.ifPresent(k -> {
            if (!k.startsWith("projects/") || !k.contains("/cryptoKeys/")) {
                throw new IllegalArgumentException("KMS key name must look like projects/P/locations/L/keyRings/R/cryptoKeys/K,"
                        + " not '" + k + "'");
            }
        });
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("part size must be at least 256 KiB, not " + partSize);
        }
        checkBetween("upload concurrency", uploadConcurrency, 1, MAX_UPLOAD_CONCURRENCY);
        checkBetween("list page size", listPageSize, 1, MAX_LIST_PAGE_SIZE);
        checkBetween("delete batch size", deleteBatchSize, 1, MAX_DELETE_BATCH_SIZE);
        checkBetween("max attempts", maxAttempts, 1, 100);
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("read timeout must be positive, not " + readTimeout);
        }
        emulatorHost.ifPresent(uri -> {
            if (uri.getScheme() == null || uri.getHost() == null || uri.getRawQuery() != null) {
                throw new IllegalArgumentException("emulator host must be a URL such as http://127.0.0.1:4443, not "
                        + ShownUrls.withoutUserInfo(uri));
            }
        });
    }

    /** The defaults for {@code bucket}: Google Cloud, credentials and project from the environment. */
    public static GcsStoreConfig of(String bucket) {
        return new GcsStoreConfig(bucket, Optional.empty(), Optional.empty(), DEFAULT_PART_SIZE,
                DEFAULT_UPLOAD_CONCURRENCY, MAX_LIST_PAGE_SIZE, MAX_DELETE_BATCH_SIZE, DEFAULT_MAX_ATTEMPTS,
                DEFAULT_READ_TIMEOUT, Optional.empty());
    }

    public GcsStoreConfig withProjectId(String value) {
        return new GcsStoreConfig(bucket, Optional.of(value), kmsKeyName, partSize, uploadConcurrency, listPageSize,
                deleteBatchSize, maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withKmsKeyName(String value) {
        return new GcsStoreConfig(bucket, projectId, Optional.of(value), partSize, uploadConcurrency, listPageSize,
                deleteBatchSize, maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withPartSize(int value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, value, uploadConcurrency, listPageSize,
                deleteBatchSize, maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withUploadConcurrency(int value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, value, listPageSize, deleteBatchSize,
                maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withListPageSize(int value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, uploadConcurrency, value,
                deleteBatchSize, maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withDeleteBatchSize(int value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, uploadConcurrency, listPageSize, value,
                maxAttempts, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withMaxAttempts(int value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, uploadConcurrency, listPageSize,
                deleteBatchSize, value, readTimeout, emulatorHost);
    }

    public GcsStoreConfig withReadTimeout(Duration value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, uploadConcurrency, listPageSize,
                deleteBatchSize, maxAttempts, value, emulatorHost);
    }

    public GcsStoreConfig withEmulatorHost(URI value) {
        return new GcsStoreConfig(bucket, projectId, kmsKeyName, partSize, uploadConcurrency, listPageSize,
                deleteBatchSize, maxAttempts, readTimeout, Optional.of(value));
    }

    /** The record's form, with the emulator host shown without its user info (a password). */
    @Override
    public String toString() {
        return "GcsStoreConfig[bucket=" + bucket + ", projectId=" + projectId + ", kmsKeyName=" + kmsKeyName
                + ", partSize=" + partSize + ", uploadConcurrency=" + uploadConcurrency + ", listPageSize="
                + listPageSize + ", deleteBatchSize=" + deleteBatchSize + ", maxAttempts=" + maxAttempts
                + ", readTimeout=" + readTimeout + ", emulatorHost=" + emulatorHost.map(ShownUrls::withoutUserInfo) + "]";
    }

    /** What is wrong with a bucket name, or null. */
    static String bucketProblem(String bucket) {
        return BUCKET.matcher(bucket).matches() ? null
                : "invalid bucket name '" + bucket + "': 3 to 222 lowercase letters, digits, dashes, underscores"
                        + " and dots, starting and ending with a letter or digit";
    }

    private static void requireText(String value, String what) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("empty " + what);
        }
    }

    private static void checkBetween(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
        }
    }
}
