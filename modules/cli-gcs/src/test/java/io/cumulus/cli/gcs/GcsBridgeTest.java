package io.cumulus.cli.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ProviderBridge.OpenRequest;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreUrl;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.InvalidInputException;
import io.cumulus.storage.gcs.GcsStoreConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** How the tools' options and environment become a Google Cloud Storage store's configuration. */
class GcsBridgeTest {

    @Command(name = "t")
    static final class Options {
        @Mixin StorageOptions storage;
        @Mixin EncryptionOptions encryption;
    }

    private static GcsStoreConfig config(Optional<UploadTuning> tuning, Map<String, String> env, String... args) {
        Options o = new Options();
        new CommandLine(o).parseArgs(args);
        return GcsBridge.config(GcsBridge.location("gs://bucket-1/a/b"),
                new OpenRequest(o.storage, o.encryption, tuning, Optional.empty(), env));
    }

    @Test
    void parsesGsAndConsoleUrls() {
        GcsBridge bridge = new GcsBridge();
        StoreUrl expected = new StoreUrl(StoreUrl.Provider.GOOGLE_CLOUD_STORAGE, "bucket-1", "a/b");
        assertEquals(expected, bridge.parse("gs://bucket-1/a/b/"));
        assertEquals(expected, bridge.parse("https://console.cloud.google.com/storage/browser/bucket-1/a/b"));
        assertThrows(InvalidInputException.class, () -> bridge.parse("gs://"));
        // the path as barman-cloud keeps it: neither decoded nor collapsed
        assertEquals(new StoreUrl(StoreUrl.Provider.GOOGLE_CLOUD_STORAGE, "bucket-1", "a//my%20dir/my dir"),
                bridge.parse("gs://bucket-1/a//my%20dir/my dir/"));
        assertThrows(InvalidInputException.class, () -> bridge.parse("s3://bucket-1/a"));
    }

    @Test
    void optionsAndEnvironmentReachTheConfig() {
        String key = "projects/p/locations/l/keyRings/r/cryptoKeys/k";
        GcsStoreConfig config = config(Optional.empty(), Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:4443"),
                "--kms-key-name", key, "--read-timeout", "9");
        assertEquals(Optional.of(key), config.kmsKeyName());
        assertEquals(Duration.ofSeconds(9), config.readTimeout());
        assertEquals(Optional.of(URI.create("http://127.0.0.1:4443")), config.emulatorHost());
        assertEquals("bucket-1", config.bucket());
        // a WAL segment goes up in one request
        assertEquals(GcsStoreConfig.DEFAULT_PART_SIZE, config(Optional.empty(), Map.of()).partSize());
        assertEquals(Optional.empty(), config(Optional.empty(), Map.of()).emulatorHost());
    }

    /** A tool that limits the attempts per request (a standby's cumulus-wal-restore) gets that many from GCS. */
    @Test
    void attemptsPerRequestAreTheDefaultUnlessTheToolLimitsThem() {
        Options o = new Options();
        new CommandLine(o).parseArgs();
        assertEquals(GcsStoreConfig.DEFAULT_MAX_ATTEMPTS, GcsBridge.config(GcsBridge.location("gs://bucket-1/a"),
                new OpenRequest(o.storage, o.encryption, Optional.empty(), Optional.empty(), Map.of())).maxAttempts());
        o.storage.limitAttempts(1);
        assertEquals(1, GcsBridge.config(GcsBridge.location("gs://bucket-1/a"),
                new OpenRequest(o.storage, o.encryption, Optional.empty(), Optional.empty(), Map.of())).maxAttempts());
    }

    @Test
    void backupsUploadPartsByBarmanCloudsRuleJobsAtOnce() {
        GcsStoreConfig config = config(Optional.of(new UploadTuning(100L << 30, 0, 6)), Map.of());
        assertEquals(2 * ((100L << 30) / 10_000), config.partSize());
        assertEquals(6, config.uploadConcurrency());
        assertEquals(GcsStoreConfig.MIN_PART_SIZE, new GcsBridge().partSize(new UploadTuning(1 << 20, 0, 1)));
    }

    @Test
    void aMalformedEmulatorHostIsInvalidInputNamedWithoutItsPassword() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> config(Optional.empty(),
                Map.of("STORAGE_EMULATOR_HOST", "http://user:pass word@127.0.0.1:4443")));
        assertTrue(e.getMessage().contains("STORAGE_EMULATOR_HOST is not a URL"), e.getMessage());
        assertTrue(e.getMessage().contains("http://***@127.0.0.1:4443"), e.getMessage());
        assertFalse(e.getMessage().contains("pass word"), e.getMessage());
    }

    @Test
    void aMalformedKmsKeyNameIsInvalidInput() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> config(Optional.empty(), Map.of(), "--kms-key-name", "my-key"));
        assertTrue(e.getMessage().contains("projects/P/locations/L"), e.getMessage());
    }
}
