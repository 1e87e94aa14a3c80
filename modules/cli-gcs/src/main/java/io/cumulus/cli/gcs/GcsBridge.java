package io.cumulus.cli.gcs;

import io.cumulus.cli.ProviderBridge;
import io.cumulus.cli.StoreUrl;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.backup.ArchiveSizing;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ShownUrls;
import io.cumulus.storage.gcs.GcsBlobStores;
import io.cumulus.storage.gcs.GcsLocation;
import io.cumulus.storage.gcs.GcsStoreConfig;
import com.google.cloud.storage.Storage;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.function.Supplier;

/**
 * Google Cloud Storage for the tools (reference §9.3): {@code gs://BUCKET[/PATH]} (or the Cloud
 * Console's address), Application Default Credentials, {@code --kms-key-name}, and an emulator named by
 * {@code STORAGE_EMULATOR_HOST} as the Google libraries take it. Backups upload parts sized by
 * barman-cloud-backup's rule (10,000 parts of at least 256 KiB), {@code -J} of them at once, composed
 * into the archive at close; barman-cloud instead spools each archive to a local file.
 */
public final class GcsBridge implements ProviderBridge {

    /** The variable the Google libraries read for an emulator's address ({@code host:port} or a URL). */
    public static final String EMULATOR_VARIABLE = "STORAGE_EMULATOR_HOST";

    @Override
    public StoreUrl parse(String url) {
        GcsLocation location = location(url);
        return new StoreUrl(StoreUrl.Provider.GOOGLE_CLOUD_STORAGE, location.bucket(), location.prefix());
    }

    /**
     * Tests only: the client every store is opened with instead of one built from its configuration,
     * such as google-cloud-nio's in-process LocalStorageHelper, which no separate process can reach.
     */
    private static volatile Supplier<Storage> clientForTests;

    static void useClientForTests(Supplier<Storage> client) {
        clientForTests = client;
    }

    @Override
    public BlobStore open(String url, OpenRequest request) {
        GcsStoreConfig config = config(location(url), request);
        Supplier<Storage> client = clientForTests;
        return client == null ? GcsBlobStores.open(config) : GcsBlobStores.open(config, client);
    }

    /** The store's configuration; every limit is checked by {@link GcsStoreConfig}. */
    public static GcsStoreConfig config(GcsLocation location, OpenRequest request) {
        try {
            GcsStoreConfig config = GcsStoreConfig.of(location.bucket());
            if (request.storage().readTimeout().isPresent()) {
                config = config.withReadTimeout(request.storage().readTimeout().get());
            }
            if (request.storage().maxAttempts().isPresent()) {
                config = config.withMaxAttempts(request.storage().maxAttempts().getAsInt());
            }
            if (request.encryption().kmsKeyName().isPresent()) {
                config = config.withKmsKeyName(request.encryption().kmsKeyName().get());
            }
            String emulator = request.environment().get(EMULATOR_VARIABLE);
            if (emulator != null && !emulator.isBlank()) {
                config = config.withEmulatorHost(emulatorHost(emulator));
            }
            if (request.tuning().isPresent()) {
                UploadTuning tuning = request.tuning().get();
                config = config.withPartSize((int) partSizeOf(tuning)).withUploadConcurrency(tuning.jobs());
            }
            return config;
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("invalid Google Cloud Storage option: " + e.getMessage());
        }
    }

    /** {@code STORAGE_EMULATOR_HOST} as a URL; a malformed one is named without its user info (a password). */
    private static URI emulatorHost(String value) {
        String url = value.contains("://") ? value : "http://" + value;
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(EMULATOR_VARIABLE + " is not a URL such as http://127.0.0.1:4443: "
                    + ShownUrls.withoutUserInfo(url) + " (" + e.getReason() + ")");
        }
    }

    @Override
    public long partSize(UploadTuning tuning) {
        return partSizeOf(tuning);
    }

    @Override
    public int maxParts() {
        return GcsStoreConfig.MAX_PARTS;
    }

    static long partSizeOf(UploadTuning tuning) {
        long size = ArchiveSizing.partSize(tuning.maxObjectSize(), GcsStoreConfig.MAX_PARTS,
                GcsStoreConfig.MIN_PART_SIZE, tuning.minChunkSize());
        return Math.min(size, UploadTuning.MAX_PART_SIZE);
    }

    /** Parses {@code url}. */
    public static GcsLocation location(String url) {
        try {
            return GcsLocation.parse(url);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }
}
