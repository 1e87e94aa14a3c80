package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.StorageOptions;
import io.cumulus.storage.BatchDeleteException;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import io.cumulus.storage.StoreUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client {@link GcsBlobStores#open(GcsStoreConfig)} builds, its limits, and how it fails over
 * real HTTP against a loopback port that refuses or never answers.
 */
class GcsBlobStoresTest {

    @Test
    void clientHonoursProjectTimeoutsRetriesAndEmulator() {
        GcsStoreConfig config = GcsStoreConfig.of("bucket").withProjectId("demo").withMaxAttempts(2)
                .withReadTimeout(Duration.ofSeconds(7)).withEmulatorHost(URI.create("http://127.0.0.1:4443"));
        StorageOptions options = GcsBlobStores.storageOptions(config);
        assertEquals("demo", options.getProjectId());
        assertEquals("http://127.0.0.1:4443", options.getHost());
        assertEquals(NoCredentials.getInstance(), options.getCredentials());
        assertEquals(2, options.getRetrySettings().getMaxAttempts());
        assertEquals(7000, ((HttpTransportOptions) options.getTransportOptions()).getReadTimeout());
    }

    @Test
    void aCredentialsFileThatCannotBeReadFailsAtOnceNamingTheVariable(@TempDir Path dir) throws IOException {
        GcsStoreConfig config = GcsStoreConfig.of("bucket");
        StoreConfigurationException missing = assertThrows(StoreConfigurationException.class,
                () -> GcsBlobStores.storageOptions(config, dir.resolve("absent.json").toString()));
        assertTrue(missing.getMessage().startsWith("GOOGLE_APPLICATION_CREDENTIALS names " + dir.resolve("absent.json")
                + ", which does not exist"), missing.getMessage());
        Path cut = Files.writeString(dir.resolve("cut.json"), "{\"type\": \"service_account\", \"private_key\": \"-----BEG");
        StoreConfigurationException corrupt = assertThrows(StoreConfigurationException.class,
                () -> GcsBlobStores.storageOptions(config, cut.toString()));
        assertTrue(corrupt.getMessage().contains("cannot read as credentials"), corrupt.getMessage());
        assertFalse(corrupt.getMessage().contains("BEG"), corrupt.getMessage());

        Path user = Files.writeString(dir.resolve("user.json"), "{\"type\": \"authorized_user\", \"client_id\": \"id\","
                + " \"client_secret\": \"s\", \"refresh_token\": \"t\"}");
        assertInstanceOf(com.google.auth.oauth2.UserCredentials.class,
                GcsBlobStores.storageOptions(config, user.toString()).getCredentials());
        // an emulator takes no credentials, whatever the variable says
        assertEquals(NoCredentials.getInstance(), GcsBlobStores.storageOptions(
                config.withEmulatorHost(URI.create("http://127.0.0.1:4443")), cut.toString()).getCredentials());
    }

    @Test
    void configRejectsWhatGcsRefuses() {
        GcsStoreConfig config = GcsStoreConfig.of("bucket");
        assertThrows(IllegalArgumentException.class, () -> config.withPartSize(GcsStoreConfig.MIN_PART_SIZE - 1));
        assertThrows(IllegalArgumentException.class, () -> config.withDeleteBatchSize(101));
        assertThrows(IllegalArgumentException.class, () -> config.withListPageSize(1001));
        assertThrows(IllegalArgumentException.class, () -> config.withUploadConcurrency(0));
        assertThrows(IllegalArgumentException.class, () -> config.withKmsKeyName("my-key"));
        assertThrows(IllegalArgumentException.class, () -> config.withEmulatorHost(URI.create("localhost:4443")));
        assertThrows(IllegalArgumentException.class, () -> GcsStoreConfig.of("Bucket"));
        assertEquals("projects/p/locations/l/keyRings/r/cryptoKeys/k",
                config.withKmsKeyName("projects/p/locations/l/keyRings/r/cryptoKeys/k").kmsKeyName().orElseThrow());
    }

    @Test
    void refusedConnectionIsStoreUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (BlobStore gcs = GcsBlobStores.open(GcsStoreConfig.of("bucket").withMaxAttempts(1)
                .withEmulatorHost(URI.create("http://127.0.0.1:" + closedPort)))) {
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class, gcs::checkAvailable);
            assertTrue(e.getMessage().contains("cannot reach gs://bucket"), e.getMessage());
        }
    }

    @Test
    void anEmulatorHostsUserInfoIsNeverShown() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String secret = "emulator-password-do-not-print";
        GcsStoreConfig config = GcsStoreConfig.of("bucket").withMaxAttempts(1)
                .withEmulatorHost(URI.create("http://user:" + secret + "@127.0.0.1:" + closedPort));
        assertFalse(config.toString().contains(secret), config.toString());
        try (BlobStore gcs = GcsBlobStores.open(config)) {
            assertEquals("gs://bucket at http://***@127.0.0.1:" + closedPort, gcs.describe());
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class, gcs::checkAvailable);
            for (Throwable t = e; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(secret), t.toString());
            }
        }
        IllegalArgumentException notAUrl = assertThrows(IllegalArgumentException.class,
                () -> GcsStoreConfig.of("bucket").withEmulatorHost(URI.create("user:" + secret + "@127.0.0.1:4443")));
        assertFalse(notAUrl.getMessage().contains(secret), notAUrl.getMessage());
    }

    @Test
    void storeThatNeverAnswersTimesOutAndLeavesExactlyTheUndeletedKeys() throws Exception {
        try (SilentServer silent = new SilentServer();
                BlobStore gcs = GcsBlobStores.open(GcsStoreConfig.of("bucket").withMaxAttempts(1)
                        .withReadTimeout(Duration.ofSeconds(1)).withEmulatorHost(silent.endpoint()))) {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                assertThrows(StoreUnavailableException.class, gcs::checkAvailable);
                BatchDeleteException e = assertThrows(BatchDeleteException.class,
                        () -> gcs.deleteAll(List.of("wal/a", "wal/b")));
                assertEquals(List.of("wal/a", "wal/b"), e.failedKeys());
                assertInstanceOf(StoreUnavailableException.class, e.getCause());
            });
        }
    }

    /** A loopback server that accepts connections and never answers: a hung store. */
    static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        SilentServer() throws IOException {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(socket.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
