package io.cumulus.cli;

import io.cumulus.core.backup.ArchiveSizing;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.MultipartOutputStream;
import io.cumulus.storage.file.FileBlobStores;
import io.cumulus.storage.file.FileStoreConfig;
import io.cumulus.storage.s3.S3BlobStores;
import io.cumulus.storage.s3.S3StoreConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The provider table: turns a URL and the command-line options into an immutable provider config and
 * opens the store through that provider's factory. The only place that knows every provider; a
 * provider's classes load only when its URL is used.
 */
public final class StoreOpener {
    private StoreOpener() {
    }

    /** Opens the store for a tool that only reads. */
    public static StoreLocation open(String url, String serverName, StorageOptions storage) throws IOException {
        return open(url, serverName, storage, new EncryptionOptions());
    }

    /** Opens the store for a tool that writes, with its server-side encryption. */
    public static StoreLocation open(String url, String serverName, StorageOptions storage,
                                     EncryptionOptions encryption) throws IOException {
        return open(url, serverName, storage, encryption, Optional.empty());
    }

    /**
     * Opens the store for a tool that writes large objects, with parts sized by {@code tuning} (see
     * {@link #uploadParts}) and {@link UploadTuning#jobs()} parts in flight per object.
     */
    public static StoreLocation open(String url, String serverName, StorageOptions storage,
                                     EncryptionOptions encryption, UploadTuning tuning) throws IOException {
        return open(url, serverName, storage, encryption, Optional.of(tuning));
    }

    /**
     * Opens the store for cumulus-wal-archive, with barman-cloud-wal-archive's Azure block options
     * (its defaults when unset: one Put Blob per segment).
     */
    public static StoreLocation open(String url, String serverName, StorageOptions storage,
                                     EncryptionOptions encryption, AzureBlockOptions blocks) throws IOException {
        return open(url, serverName, storage, encryption, Optional.empty(), Optional.of(blocks));
    }

    private static StoreLocation open(String url, String serverName, StorageOptions storage,
            EncryptionOptions encryption, Optional<UploadTuning> tuning) throws IOException {
        return open(url, serverName, storage, encryption, tuning, Optional.empty());
    }

    private static StoreLocation open(String url, String serverName, StorageOptions storage,
            EncryptionOptions encryption, Optional<UploadTuning> tuning, Optional<AzureBlockOptions> blocks)
            throws IOException {
        StoreUrl parsed = StoreUrl.parse(url, storage.cloudProvider);
        encryption.sseKmsKeyId(); // validates the pair whatever the provider
        validate(storage, blocks);
        ServerLayout layout = new ServerLayout(parsed.prefix(), serverName);
        BlobStore store = switch (parsed.provider()) {
            case FILE -> FileBlobStores.open(new FileStoreConfig(Path.of(parsed.container())));
            case AWS_S3 -> S3BlobStores.open(tuned(s3Config(parsed, storage, encryption), tuning));
            case AZURE_BLOB_STORAGE, GOOGLE_CLOUD_STORAGE -> ProviderBridges.get(parsed.provider()).open(url,
                    new ProviderBridge.OpenRequest(storage, encryption, tuning, blocks, System.getenv()));
        };
        return new StoreLocation(store, layout);
    }

    /**
     * Refuses (exit 3) a numeric option that cannot work, whatever the provider: a provider that does not use
     * an option ignores it, but a value such as {@code --read-timeout -5} is a mistake worth saying, not
     * something a later switch of provider should bring to light.
     */
    public static void validate(StorageOptions storage, Optional<AzureBlockOptions> blocks) {
        storage.readTimeout();
        storage.azureCredential();
        blocks.ifPresent(b -> {
            b.maxBlockSize();
            b.maxConcurrency();
            b.maxSinglePutSize();
        });
    }

    /**
     * How large objects are cut into parts at {@code url} with {@code tuning}: the first part is
     * barman-cloud's {@code max(2 × maxObjectSize / maxParts, smallest part, --min-chunk-size)} with the
     * provider's limits (S3: 10,000 parts of at least 5 MiB; Azure: 50,000 blocks of at least 64 KiB;
     * Google Cloud Storage: 10,000 parts of at least 256 KiB), {@code -J} of them in flight; parts grow
     * from there beyond the size a writer plans for ({@link MultipartOutputStream.Settings#largestPartSize},
     * {@link io.cumulus.storage.WriteOptions#plannedSize}). Empty for providers that write without parts.
     */
    public static Optional<MultipartOutputStream.Settings> uploadParts(String url, StorageOptions storage,
            UploadTuning tuning) {
        StoreUrl parsed = StoreUrl.parse(url, storage.cloudProvider);
        return switch (parsed.provider()) {
            case FILE -> Optional.empty();
            case AWS_S3 -> Optional.of(new MultipartOutputStream.Settings((int) s3PartSize(tuning),
                    S3StoreConfig.MAX_PARTS, S3StoreConfig.MAX_PART_SIZE, tuning.jobs()));
            case AZURE_BLOB_STORAGE, GOOGLE_CLOUD_STORAGE -> {
                ProviderBridge bridge = ProviderBridges.get(parsed.provider());
                // every provider's largest part is beyond a Java array's, which the stream stops at
                yield Optional.of(new MultipartOutputStream.Settings((int) bridge.partSize(tuning), bridge.maxParts(),
                        UploadTuning.MAX_PART_SIZE, tuning.jobs()));
            }
        };
    }

    private static long s3PartSize(UploadTuning tuning) {
        long size = ArchiveSizing.partSize(tuning.maxObjectSize(), S3StoreConfig.MAX_PARTS,
                S3StoreConfig.MIN_PART_SIZE, tuning.minChunkSize());
        return Math.min(size, UploadTuning.MAX_PART_SIZE);
    }

    private static S3StoreConfig tuned(S3StoreConfig config, Optional<UploadTuning> tuning) {
        if (tuning.isEmpty()) {
            return config;
        }
        return config.withPartSize((int) s3PartSize(tuning.get())).withUploadConcurrency(tuning.get().jobs());
    }

    private static S3StoreConfig s3Config(StoreUrl url, StorageOptions storage, EncryptionOptions encryption) {
        S3StoreConfig config = S3StoreConfig.of(url.container());
        Optional<URI> endpoint = storage.endpointUrl();
        if (endpoint.isPresent()) {
            config = config.withEndpoint(endpoint.get());
        }
        if (storage.awsProfile != null) {
            config = config.withProfile(storage.awsProfile);
        }
        Optional<Duration> readTimeout = storage.readTimeout();
        if (readTimeout.isPresent()) {
            config = config.withReadTimeout(readTimeout.get());
        }
        if (storage.maxAttempts().isPresent()) {
            config = config.withMaxAttempts(storage.maxAttempts().getAsInt());
        }
        Optional<String> sse = encryption.encryption();
        if (sse.isPresent()) {
            config = config.withServerSideEncryption(sse.get(), encryption.sseKmsKeyId());
        }
        return config;
    }
}
