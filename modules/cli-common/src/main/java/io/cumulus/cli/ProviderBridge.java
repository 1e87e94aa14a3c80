package io.cumulus.cli;

import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * The command-line side of a provider whose SDK is loaded only when its URLs are used (Azure, Google
 * Cloud Storage): it reads the provider's URL and options and opens its store. Implementations live
 * beside their SDK (modules/cli-azure, modules/cli-gcs), in the tool's {@code lib/<provider>/}
 * directory, loaded by {@link ProviderBridges}; they have a public no-argument constructor. Invalid
 * input is thrown as {@link io.cumulus.core.InvalidInputException}.
 */
public interface ProviderBridge {

    /** Parses one of the provider's URLs into container and prefix. */
    StoreUrl parse(String url);

    /** Opens the store {@code url} names, configured by {@code request}. No request is sent yet. */
    BlobStore open(String url, OpenRequest request) throws IOException;

    /**
     * The part (block) size large objects are uploaded in with {@code tuning}, with the provider's
     * limits; see {@link StoreOpener#uploadParts}.
     */
    long partSize(UploadTuning tuning);

    /**
     * The provider's limit on parts (blocks) per object, which decides how large the parts of an
     * object beyond its planned size grow; see {@link StoreOpener#uploadParts}.
     */
    int maxParts();

    /**
     * What a tool asks of the store it opens.
     *
     * @param storage the storage options (credential, read timeout...)
     * @param encryption the encryption options (encryption scope, KMS key name...)
     * @param tuning how large objects are uploaded (backups); empty for tools that write small objects
     * @param blocks barman-cloud-wal-archive's Azure block options; present for WAL archiving only
     * @param environment the process environment (credentials, emulator hosts)
     */
    record OpenRequest(StorageOptions storage, EncryptionOptions encryption, Optional<UploadTuning> tuning,
                       Optional<AzureBlockOptions> blocks, Map<String, String> environment) {
    }
}
