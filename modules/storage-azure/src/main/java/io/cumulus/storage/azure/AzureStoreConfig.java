package io.cumulus.storage.azure;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything an Azure store is opened with; the CLI builds it from barman-cloud's URL, options and
 * environment, and the provider reads nothing else. Start from {@link #of(AzureLocation,
 * AzureCredential)} and change what differs with the {@code with} methods; every limit is checked
 * here, once. Its {@code toString()} never shows a secret.
 *
 * @param endpoint the account's blob endpoint ({@link AzureLocation#endpoint()}); not used with a
 *     {@link AzureCredential.ConnectionString}, which names its own, as in barman-cloud
 * @param account the storage account name
 * @param container the container (it must exist: the store never creates it)
 * @param credential how requests are authenticated
 * @param maxBlockSize the first size of a staged block ({@code --max-block-size}), from one byte;
 *     blocks grow past it so that a stream of any length stays under {@link #MAX_BLOCKS}
 * @param maxConcurrency blocks uploaded at once by one writer ({@code --max-concurrency}); memory is
 *     (this + 1) × block size, plus the single-put buffer
 * @param maxSinglePutSize objects up to this size (or up to the block size, if larger) go up in one
 *     Put Blob ({@code --max-single-put-size}); longer ones as staged blocks
 * @param encryptionScope the encryption scope for new blobs ({@code --encryption-scope})
 * @param listPageSize blobs per List Blobs page
 * @param deleteBatchSize deletes per Blob Batch request
 * @param maxAttempts attempts per request (the SDK's exponential retry), the first one included
 * @param readTimeout how long a request may wait for the response and for each next bytes
 */
public record AzureStoreConfig(
        URI endpoint,
        String account,
        String container,
        AzureCredential credential,
        int maxBlockSize,
        int maxConcurrency,
        int maxSinglePutSize,
        Optional<String> encryptionScope,
        int listPageSize,
        int deleteBatchSize,
        int maxAttempts,
        Duration readTimeout) {

    /** Azure's limit on blocks per blob. */
    public static final int MAX_BLOCKS = 50_000;
    /** Azure's largest block (service version 2019-12-12 and later). */
    public static final long MAX_BLOCK_SIZE = 4000L * 1024 * 1024;
    /**
     * barman-cloud-backup's smallest chunk for Azure (its {@code MIN_CHUNK_SIZE}), which only its
     * archive chunk rule applies. Azure itself sets no smallest block, and barman-cloud-wal-archive's
     * {@code --max-block-size} takes any size from one byte.
     */
    public static final int BACKUP_MIN_BLOCK_SIZE = 64 * 1024;
    /**
     * The largest single-put buffer: the object is held in one array, while Azure would take up to
     * 5000 MiB in one Put Blob.
     */
    public static final int MAX_SINGLE_PUT_SIZE = Integer.MAX_VALUE - 8;
    /** barman-cloud's default block size for every command but wal-archive. */
    public static final int DEFAULT_MAX_BLOCK_SIZE = 2 * 1024 * 1024;
    /** barman-cloud's default concurrency for every command but wal-archive. */
    public static final int DEFAULT_MAX_CONCURRENCY = 8;
    /** barman-cloud's default single-put size for every command but wal-archive. */
    public static final int DEFAULT_MAX_SINGLE_PUT_SIZE = 4 * 1024 * 1024;
    /** barman-cloud-wal-archive's default block size. */
    public static final int WAL_ARCHIVE_MAX_BLOCK_SIZE = 4 * 1024 * 1024;
    /** barman-cloud-wal-archive's default concurrency: one segment at a time needs no more. */
    public static final int WAL_ARCHIVE_MAX_CONCURRENCY = 1;
    /** barman-cloud-wal-archive's default single-put size: a 16 MiB WAL segment goes up in one request. */
    public static final int WAL_ARCHIVE_MAX_SINGLE_PUT_SIZE = 64 * 1024 * 1024;
    /** Azure's largest List Blobs page, and the default. */
    public static final int MAX_LIST_PAGE_SIZE = 5000;
    /** Azure's largest Blob Batch request, and the default. */
    public static final int MAX_DELETE_BATCH_SIZE = 256;
    /** A sanity bound: each block in flight is a buffer of the block size. */
    public static final int MAX_CONCURRENCY = 1024;
    /** Attempts per request by default: the first and three retries, as the S3 provider. */
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    /** barman-cloud's read timeout for S3, used for Azure too. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

    private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9]{1,64}");
    /** Azure's rule: 3 to 63 lowercase letters, digits and single hyphens, no hyphen at either end. */
    private static final Pattern CONTAINER = Pattern.compile("\\$root|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}");

    public AzureStoreConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(encryptionScope, "encryptionScope");
        Objects.requireNonNull(readTimeout, "readTimeout");
        String problem = accountProblem(account);
        if (problem == null) {
            problem = containerProblem(container);
        }
        if (problem == null) {
            problem = endpointProblem(endpoint, account);
        }
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        // an int is below Azure's 4000 MiB largest block anyway
        checkBetween("max block size", maxBlockSize, 1, Integer.MAX_VALUE);
        checkBetween("max concurrency", maxConcurrency, 1, MAX_CONCURRENCY);
        checkBetween("max single put size", maxSinglePutSize, 1, MAX_SINGLE_PUT_SIZE);
        checkBetween("list page size", listPageSize, 1, MAX_LIST_PAGE_SIZE);
        checkBetween("delete batch size", deleteBatchSize, 1, MAX_DELETE_BATCH_SIZE);
        checkBetween("max attempts", maxAttempts, 1, 100);
        encryptionScope.ifPresent(scope -> {
            if (scope.isBlank()) {
                throw new IllegalArgumentException("empty encryption scope");
            }
        });
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("read timeout must be positive, not " + readTimeout);
        }
    }

    /** barman-cloud's defaults for the container {@code location} names. */
    public static AzureStoreConfig of(AzureLocation location, AzureCredential credential) {
        return of(location.endpoint(), location.account(), location.container(), credential);
    }

    /** barman-cloud's defaults (those of every command but wal-archive) for one container. */
    public static AzureStoreConfig of(URI endpoint, String account, String container, AzureCredential credential) {
        return new AzureStoreConfig(endpoint, account, container, credential, DEFAULT_MAX_BLOCK_SIZE,
                DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_SINGLE_PUT_SIZE, Optional.empty(), MAX_LIST_PAGE_SIZE,
                MAX_DELETE_BATCH_SIZE, DEFAULT_MAX_ATTEMPTS, DEFAULT_READ_TIMEOUT);
    }

    /** barman-cloud-wal-archive's block size, concurrency and single-put size (4 MiB, 1, 64 MiB). */
    public AzureStoreConfig withWalArchiveDefaults() {
        return withMaxBlockSize(WAL_ARCHIVE_MAX_BLOCK_SIZE).withMaxConcurrency(WAL_ARCHIVE_MAX_CONCURRENCY)
                .withMaxSinglePutSize(WAL_ARCHIVE_MAX_SINGLE_PUT_SIZE);
    }

    public AzureStoreConfig withCredential(AzureCredential value) {
        return new AzureStoreConfig(endpoint, account, container, value, maxBlockSize, maxConcurrency,
                maxSinglePutSize, encryptionScope, listPageSize, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withMaxBlockSize(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, value, maxConcurrency,
                maxSinglePutSize, encryptionScope, listPageSize, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withMaxConcurrency(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, value,
                maxSinglePutSize, encryptionScope, listPageSize, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withMaxSinglePutSize(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                value, encryptionScope, listPageSize, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withEncryptionScope(String value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                maxSinglePutSize, Optional.of(value), listPageSize, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withListPageSize(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                maxSinglePutSize, encryptionScope, value, deleteBatchSize, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withDeleteBatchSize(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                maxSinglePutSize, encryptionScope, listPageSize, value, maxAttempts, readTimeout);
    }

    public AzureStoreConfig withMaxAttempts(int value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                maxSinglePutSize, encryptionScope, listPageSize, deleteBatchSize, value, readTimeout);
    }

    public AzureStoreConfig withReadTimeout(Duration value) {
        return new AzureStoreConfig(endpoint, account, container, credential, maxBlockSize, maxConcurrency,
                maxSinglePutSize, encryptionScope, listPageSize, deleteBatchSize, maxAttempts, value);
    }

    /** What is wrong with an account name, or null. */
    static String accountProblem(String account) {
        return ACCOUNT.matcher(account).matches() ? null
                : "invalid storage account name '" + account + "': letters and digits only";
    }

    /** What is wrong with a container name, or null. */
    static String containerProblem(String container) {
        return CONTAINER.matcher(container).matches() ? null
                : "invalid container name '" + container + "': 3 to 63 lowercase letters, digits and single hyphens,"
                        + " starting and ending with a letter or digit";
    }

    /**
     * What is wrong with an endpoint for {@code account}, or null. An Azure endpoint must be the
     * account's own host, over https; an emulator's must end with the account (path-style), so that a
     * shared key signs for the account the requests go to.
     */
    private static String endpointProblem(URI endpoint, String account) {
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || endpoint.getHost() == null) {
            return "endpoint must be an absolute http(s) URL such as https://ACCOUNT.blob.core.windows.net";
        }
        if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null || endpoint.getRawUserInfo() != null) {
            // never echo the endpoint here: its query string may be a SAS token
            return "endpoint must not carry a query string or user info; give a SAS token as the credential";
        }
        String host = endpoint.getHost().toLowerCase(Locale.ROOT);
        String path = endpoint.getPath() == null ? "" : endpoint.getPath().replaceAll("/+$", "");
        if (host.endsWith(AzureLocation.AZURE_BLOB_DOMAIN)) {
            String hostAccount = host.substring(0, host.length() - AzureLocation.AZURE_BLOB_DOMAIN.length());
            if (!hostAccount.equalsIgnoreCase(account) || !path.isEmpty()) {
                return "endpoint " + endpoint + " is not the blob endpoint of account " + account;
            }
            if (!scheme.equals("https")) {
                // as barman-cloud's SDK: a SAS token, a bearer token or blob data never cross the network in clear
                return "endpoint " + endpoint + " must use https, as every Azure blob endpoint does";
            }
        } else if (!path.equals("/" + account)) {
            return "emulator endpoint " + endpoint + " must end with the account, as in http://127.0.0.1:10000/"
                    + account;
        }
        return null;
    }

    private static void checkBetween(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
        }
    }
}
