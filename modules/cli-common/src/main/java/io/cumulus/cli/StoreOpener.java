package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.file.FileBlobStores;
import io.cumulus.storage.file.FileStoreConfig;
import io.cumulus.storage.s3.S3BlobStores;
import io.cumulus.storage.s3.S3StoreConfig;
import java.io.IOException;
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
        StoreUrl parsed = StoreUrl.parse(url, storage.cloudProvider);
        encryption.sseKmsKeyId(); // validates the pair whatever the provider
        ServerLayout layout = new ServerLayout(parsed.prefix(), serverName);
        BlobStore store = switch (parsed.provider()) {
            case FILE -> FileBlobStores.open(new FileStoreConfig(Path.of(parsed.container())));
            case AWS_S3 -> S3BlobStores.open(s3Config(parsed, storage, encryption));
            default -> throw new IllegalStateException("unreachable: " + parsed.provider());
        };
        return new StoreLocation(store, layout);
    }

    private static S3StoreConfig s3Config(StoreUrl url, StorageOptions storage, EncryptionOptions encryption) {
        S3StoreConfig config = S3StoreConfig.of(url.container());
        if (storage.endpointUrl != null) {
            config = config.withEndpoint(storage.endpointUrl);
        }
        if (storage.awsProfile != null) {
            config = config.withProfile(storage.awsProfile);
        }
        if (storage.readTimeout != null) {
            if (storage.readTimeout <= 0) {
                throw new InvalidInputException("--read-timeout must be a positive number of seconds");
            }
            config = config.withReadTimeout(Duration.ofSeconds(storage.readTimeout));
        }
        Optional<String> sse = encryption.encryption();
        if (sse.isPresent()) {
            config = config.withServerSideEncryption(sse.get(), encryption.sseKmsKeyId());
        }
        return config;
    }
}
