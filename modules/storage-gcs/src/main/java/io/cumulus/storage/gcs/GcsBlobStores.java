package io.cumulus.storage.gcs;

import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.HttpStorageOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import io.cumulus.storage.BlobStore;
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

    /** The client settings {@link #open(GcsStoreConfig)} uses. */
    static StorageOptions storageOptions(GcsStoreConfig config) {
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
        return options.build();
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
