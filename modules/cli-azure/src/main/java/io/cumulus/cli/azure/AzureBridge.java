package io.cumulus.cli.azure;

import io.cumulus.cli.AzureBlockOptions;
import io.cumulus.cli.ProviderBridge;
import io.cumulus.cli.StoreUrl;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.backup.ArchiveSizing;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.azure.AzureBlobStores;
import io.cumulus.storage.azure.AzureCredential;
import io.cumulus.storage.azure.AzureLocation;
import io.cumulus.storage.azure.AzureStoreConfig;

/**
 * Azure Blob Storage for the tools (reference §9.2): barman-cloud's two URL forms, its credential
 * order ({@code --azure-credential}, then {@code AZURE_STORAGE_CONNECTION_STRING}, {@code
 * AZURE_STORAGE_SAS_TOKEN}, {@code AZURE_STORAGE_KEY}, then the default chain), {@code
 * --encryption-scope}, and barman-cloud-wal-archive's block options. Backups upload blocks sized by
 * barman-cloud-backup's rule with Azure's limits, {@code -J} of them at once.
 */
public final class AzureBridge implements ProviderBridge {

    @Override
    public StoreUrl parse(String url) {
        AzureLocation location = location(url);
        return new StoreUrl(StoreUrl.Provider.AZURE_BLOB_STORAGE, location.container(), location.prefix());
    }

    @Override
    public BlobStore open(String url, OpenRequest request) {
        AzureLocation location = location(url);
        AzureCredential credential;
        try {
            credential = AzureCredential.resolve(request.storage().azureCredential(), request.environment());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage()); // names the option value, never a secret
        }
        boolean token = credential instanceof AzureCredential.AzureCli
                || credential instanceof AzureCredential.ManagedIdentity
                || credential instanceof AzureCredential.DefaultChain;
        if (token && "http".equalsIgnoreCase(location.endpoint().getScheme())) {
            // the SDK sends bearer tokens over https only, and fails at the first request with its own words
            throw new InvalidInputException("the Azure URL uses http (an emulator such as Azurite): set "
                    + AzureCredential.CONNECTION_STRING_VARIABLE + " (or " + AzureCredential.SAS_TOKEN_VARIABLE
                    + " or " + AzureCredential.KEY_VARIABLE + "); --azure-credential and the default chain"
                    + " need https");
        }
        return AzureBlobStores.open(config(location, credential, request));
    }

    /** The store's configuration; every limit is checked by {@link AzureStoreConfig}. */
    static AzureStoreConfig config(AzureLocation location, AzureCredential credential, OpenRequest request) {
        try {
            AzureStoreConfig config = AzureStoreConfig.of(location, credential);
            if (request.storage().readTimeout().isPresent()) {
                config = config.withReadTimeout(request.storage().readTimeout().get());
            }
            if (request.storage().maxAttempts().isPresent()) {
                config = config.withMaxAttempts(request.storage().maxAttempts().getAsInt());
            }
            if (request.encryption().encryptionScope().isPresent()) {
                config = config.withEncryptionScope(request.encryption().encryptionScope().get());
            }
            if (request.blocks().isPresent()) {
                AzureBlockOptions blocks = request.blocks().get();
                config = config.withWalArchiveDefaults();
                if (blocks.maxBlockSize().isPresent()) {
                    config = config.withMaxBlockSize(blocks.maxBlockSize().getAsInt());
                }
                if (blocks.maxConcurrency().isPresent()) {
                    config = config.withMaxConcurrency(blocks.maxConcurrency().getAsInt());
                }
                if (blocks.maxSinglePutSize().isPresent()) {
                    config = config.withMaxSinglePutSize(blocks.maxSinglePutSize().getAsInt());
                }
            }
            if (request.tuning().isPresent()) {
                UploadTuning tuning = request.tuning().get();
                config = config.withMaxBlockSize((int) blockSize(tuning)).withMaxConcurrency(tuning.jobs());
            }
            return config;
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("invalid Azure option: " + e.getMessage());
        }
    }

    @Override
    public long partSize(UploadTuning tuning) {
        return blockSize(tuning);
    }

    @Override
    public int maxParts() {
        return AzureStoreConfig.MAX_BLOCKS;
    }

    /**
     * barman-cloud-backup's chunk rule with Azure's 50,000 blocks and barman-cloud-backup's 64 KiB
     * floor, the one place that floor applies.
     */
    static long blockSize(UploadTuning tuning) {
        long size = ArchiveSizing.partSize(tuning.maxObjectSize(), AzureStoreConfig.MAX_BLOCKS,
                AzureStoreConfig.BACKUP_MIN_BLOCK_SIZE, tuning.minChunkSize());
        return Math.min(size, UploadTuning.MAX_PART_SIZE);
    }

    private static AzureLocation location(String url) {
        try {
            return AzureLocation.parse(url);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage()); // the message never repeats a query string
        }
    }
}
