package io.cumulus.storage.gcs;

import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.HttpStorageOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Opens Google Cloud Storage stores: builds the one client a store uses, with its timeouts and retries. */
public final class GcsBlobStores {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Retries every request the retry settings allow, writes included. The default strategy retries a
     * create or compose only with ifGenerationMatch, so one 503 on the compose that ends a 100 GB upload
     * would fail the backup. Every write of the store is safe to replay: the same bytes again, compose
     * sources pinned to their generations, a conditional create that finds its own object "already
     * exists" (which WalArchiver resolves by comparing content), a delete that finds nothing counts as done.
     */
    static final StorageRetryStrategy RETRY_STRATEGY = StorageRetryStrategy.getUniformStorageRetryStrategy();

    private GcsBlobStores() {}

    /**
     * Opens a store on {@code config.bucket()} with the library's JSON (HTTP) client and Application
     * Default Credentials, or none with an emulator. No request is sent: {@link
     * BlobStore#checkAvailable()} is the explicit check. The caller closes the store.
     */
    public static BlobStore open(GcsStoreConfig config) {
        return open(config, () -> storageOptions(config).getService());
    }

    /**
     * Opens a store on {@code config.bucket()} through the client {@code storage} supplies, such as
     * one an embedding application configured, or a test's in-process store. It is asked once; the
     * store owns the client and closes it. It should use the HTTP transport: batch deletes need it
     * (without it, deletes go one by one).
     */
    public static BlobStore open(GcsStoreConfig config, Supplier<Storage> storage) {
        Objects.requireNonNull(storage, "storage");
        return new GcsBlobStore(Objects.requireNonNull(storage.get(), "storage supplied null"),
                uploadExecutor(config.bucket()), config);
    }

    /** The variable naming the credentials file, as Application Default Credentials read it. */
    static final String CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS";

    /** The client settings {@link #open(GcsStoreConfig)} uses. */
    static StorageOptions storageOptions(GcsStoreConfig config) {
        return storageOptions(config, System.getenv(CREDENTIALS_VARIABLE));
    }

    /**
     * The client settings, with {@code credentialsFile} the value of {@value #CREDENTIALS_VARIABLE}
     * (null when unset). A file it names is read here: the library, finding it missing, unreadable or
     * no credentials file, goes on without credentials and without a word, and GCS then answers "access
     * denied", which sends the DBA to the account's rights instead of to the file (barman-cloud's
     * google-auth fails at once, naming it).
     *
     * @throws StoreConfigurationException when the file cannot be read as credentials
     */
    static StorageOptions storageOptions(GcsStoreConfig config, String credentialsFile) {
        HttpStorageOptions.Builder options = StorageOptions.http()
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                        .setReadTimeout((int) Math.min(Integer.MAX_VALUE, config.readTimeout().toMillis()))
                        .build())
                .setRetrySettings(ServiceOptions.getDefaultRetrySettings().toBuilder()
                        .setMaxAttempts(config.maxAttempts())
                        .build())
                .setStorageRetryStrategy(RETRY_STRATEGY);
        config.projectId().ifPresent(options::setProjectId);
        config.emulatorHost().ifPresent(host -> {
            // as the Google libraries do for STORAGE_EMULATOR_HOST: an emulator takes no credentials
            options.setHost(host.toString());
            options.setCredentials(NoCredentials.getInstance());
        });
        if (config.emulatorHost().isEmpty() && credentialsFile != null && !credentialsFile.isBlank()) {
            options.setCredentials(credentialsFrom(Path.of(credentialsFile)));
        }
        return options.build();
    }

    private static GoogleCredentials credentialsFrom(Path file) {
        String named = CREDENTIALS_VARIABLE + " names " + file;
        try (InputStream in = Files.newInputStream(file)) {
            return GoogleCredentials.fromStream(in);
        } catch (NoSuchFileException e) {
            throw new StoreConfigurationException(named + ", which does not exist: set it to the service account's"
                    + " key file, or unset it to use the machine's own credentials", e);
        } catch (AccessDeniedException e) {
            throw new StoreConfigurationException(named + ", which user " + System.getProperty("user.name")
                    + " may not read: let it read the file (PostgreSQL runs archive_command as its own user)", e);
        } catch (IOException | RuntimeException e) {
            // the parser's words name a line, a field or a key format, never the file's content
            String reason = e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage().lines().findFirst().orElse("").strip();
            throw new StoreConfigurationException(named + ", which Google's libraries cannot read as credentials ("
                    + reason + "): give a service account key file or an authorized-user file", e);
        }
    }

    /** Threads for part uploads and composes; each writer bounds its own parts in flight, so the pool need not. */
    private static ExecutorService uploadExecutor(String bucket) {
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory threads = task -> {
            Thread thread = new Thread(task, "cumulus-gcs-upload-" + bucket + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newCachedThreadPool(threads);
    }
}
