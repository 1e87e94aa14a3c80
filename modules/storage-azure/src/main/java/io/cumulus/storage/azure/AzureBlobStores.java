package io.cumulus.storage.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.AzureCliCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.batch.BlobBatchClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Opens Azure stores: builds the one SDK client a store uses, with its credential, timeouts and retries. */
public final class AzureBlobStores {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The SDK's exponential back-off: 4 s, 8 s, 16 s... capped at two minutes, as its own defaults. */
    private static final Duration RETRY_DELAY = Duration.ofSeconds(4);
    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(120);

    private AzureBlobStores() {}

    /**
     * Opens a store on {@code config.container()}. No request is sent: {@link BlobStore#checkAvailable()}
     * is the explicit check, and a credential that cannot be had (no {@code az} login, no managed
     * identity) shows at the first request. The caller closes the store.
     *
     * @throws StoreConfigurationException for a connection string the SDK cannot read, or an account key
     *     that is not base64 (neither repeated)
     */
    public static BlobStore open(AzureStoreConfig config) {
        return open(config, builder -> { });
    }

    /** As {@link #open(AzureStoreConfig)}, letting tests add to the client (a policy that records requests). */
    static BlobStore open(AzureStoreConfig config, Consumer<BlobContainerClientBuilder> customizer) {
        // the JDK's HTTP client: the SDK's default (Netty) is a large dependency for a tool run per WAL segment
        HttpClient http = new JdkHttpClientBuilder()
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(config.readTimeout())
                .readTimeout(config.readTimeout())
                .writeTimeout(config.readTimeout())
                .build();
        BlobContainerClientBuilder builder = new BlobContainerClientBuilder()
                .httpClient(http)
                // no per-try timeout: a large block on a slow link may take long; the read timeout catches a hang
                .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, config.maxAttempts(),
                        (Duration) null, RETRY_DELAY, MAX_RETRY_DELAY, null));
        applyCredential(builder, config);
        builder.containerName(config.container());
        config.encryptionScope().ifPresent(builder::encryptionScope);
        customizer.accept(builder);
        BlobContainerClient container = builder.buildClient();
        return new AzureBlobStore(container, new BlobBatchClientBuilder(container).buildClient(),
                uploadExecutor(config.container()), config);
    }

    private static void applyCredential(BlobContainerClientBuilder builder, AzureStoreConfig config) {
        AzureCredential credential = config.credential();
        if (credential instanceof AzureCredential.ConnectionString cs) {
            try {
                builder.connectionString(cs.value()); // endpoint included, as barman-cloud's from_connection_string
            } catch (IllegalArgumentException e) {
                // neither the SDK's words nor a cause: the string holds an account key or a SAS
                throw new StoreConfigurationException(AzureCredential.CONNECTION_STRING_VARIABLE
                        + " is not a valid connection string: give KEY=VALUE pairs separated by ';', as in"
                        + " DefaultEndpointsProtocol=https;AccountName=ACCOUNT;AccountKey=KEY or"
                        + " BlobEndpoint=URL;SharedAccessSignature=SAS, or unset it");
            }
            cs.setting("AccountKey").ifPresent(key -> requireBase64(key, AzureCredential.CONNECTION_STRING_VARIABLE
                    + "'s AccountKey"));
            return;
        }
        builder.endpoint(config.endpoint().toString());
        if (credential instanceof AzureCredential.SasToken sas) {
            builder.sasToken(sas.token());
        } else if (credential instanceof AzureCredential.SharedKey key) {
            requireBase64(key.accountKey(), AzureCredential.KEY_VARIABLE);
            builder.credential(new StorageSharedKeyCredential(config.account(), key.accountKey()));
        } else {
            builder.credential(tokenCredential(credential));
        }
    }

    /**
     * Refuses an account key that is not base64, as the portal shows it: the SDK would take it and then
     * fail the first request with "Illegal base64 character", a failure of the store (exit 4) where a
     * setting is to be mended. Names {@code where}, never the key.
     */
    private static void requireBase64(String key, String where) {
        try {
            Base64.getDecoder().decode(key);
        } catch (IllegalArgumentException e) {
            throw new StoreConfigurationException(where + " is not a storage account key: it is not base64 (as"
                    + " the portal's key1 or key2, 88 characters ending in '='). Give the key as Azure shows it,"
                    + " without quotes, spaces or line breaks");
        }
    }

    private static TokenCredential tokenCredential(AzureCredential credential) {
        if (credential instanceof AzureCredential.AzureCli) {
            return new AzureCliCredentialBuilder().build();
        }
        if (credential instanceof AzureCredential.ManagedIdentity identity) {
            ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder();
            identity.clientId().ifPresent(builder::clientId);
            return builder.build();
        }
        if (credential instanceof AzureCredential.DefaultChain) {
            return new DefaultAzureCredentialBuilder().build();
        }
        throw new IllegalArgumentException("not a token credential: " + credential);
    }

    /** Threads for block uploads; each writer bounds its own blocks in flight, so the pool need not. */
    private static ExecutorService uploadExecutor(String container) {
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory threads = task -> {
            Thread thread = new Thread(task, "cumulus-azure-upload-" + container + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newCachedThreadPool(threads);
    }
}
