package io.cumulus.e2e;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.sas.AccountSasPermission;
import com.azure.storage.common.sas.AccountSasResourceType;
import com.azure.storage.common.sas.AccountSasService;
import com.azure.storage.common.sas.AccountSasSignatureValues;
import io.cumulus.testsupport.AzuriteServer;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An Azure store: a container and prefix on Azurite (installed from npm and started on a free
 * loopback port), reached by the tools through barman-cloud's emulator URL
 * ({@code http://127.0.0.1:PORT/devstoreaccount1/CONTAINER/PREFIX}) with {@code
 * AZURE_STORAGE_CONNECTION_STRING} in their environment, and inspected through the Azure SDK.
 */
final class AzureArchiveStore implements ArchiveStore {

    private final AzuriteServer server;
    private final String container;
    private final String prefix;
    private final BlobServiceClient admin;
    private final boolean ownsServer;

    private AzureArchiveStore(AzuriteServer server, String container, String prefix, boolean ownsServer) {
        this.server = server;
        this.container = container;
        this.prefix = prefix;
        this.ownsServer = ownsServer;
        this.admin = new BlobServiceClientBuilder().connectionString(server.connectionString()).buildClient();
    }

    /** Starts a new Azurite with {@code container} created; closing the store stops it. */
    static AzureArchiveStore start(String container, String prefix) {
        AzuriteServer server;
        try {
            server = AzuriteServer.start();
        } catch (Exception e) {
            throw new IllegalStateException("Azurite did not start", e);
        }
        try {
            AzureArchiveStore store = new AzureArchiveStore(server, container, prefix, true);
            store.createContainer();
            return store;
        } catch (RuntimeException e) {
            try {
                server.close();
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** A store at {@code otherContainer} (created or not) on the same Azurite; closing it leaves the server. */
    AzureArchiveStore inContainer(String otherContainer) {
        return new AzureArchiveStore(server, otherContainer, prefix, false);
    }

    /** A store under {@code otherPrefix}, taken literally as the tools take it, on the same container; closing it leaves the server. */
    AzureArchiveStore withPrefix(String otherPrefix) {
        return new AzureArchiveStore(server, container, otherPrefix, false);
    }

    void createContainer() {
        admin.getBlobContainerClient(container).createIfNotExists();
    }

    String connectionString() {
        return server.connectionString();
    }

    /**
     * An account SAS for the blob service signed with Azurite's well-known key, granting {@code
     * permissions} (e.g. "rl": read and list) on containers and objects for an hour.
     */
    String accountSas(String permissions) {
        return admin.generateAccountSas(new AccountSasSignatureValues(OffsetDateTime.now().plusHours(1),
                AccountSasPermission.parse(permissions), AccountSasService.parse("b"),
                AccountSasResourceType.parse("sco")));
    }

    /** The blob endpoint, as the tools' emulator URL starts. */
    String endpoint() {
        return server.endpoint().toString();
    }

    @Override
    public String url() {
        return endpoint() + "/" + container + "/" + prefix;
    }

    @Override
    public List<String> toolOptions() {
        return List.of("--cloud-provider", "azure-blob-storage");
    }

    @Override
    public Map<String, String> toolEnv() {
        return Map.of("AZURE_STORAGE_CONNECTION_STRING", server.connectionString());
    }

    private BlobContainerClient client() {
        return admin.getBlobContainerClient(container);
    }

    @Override
    public List<String> keys(String relativePrefix) {
        String base = prefix + "/";
        return client().listBlobs(new ListBlobsOptions().setPrefix(base + relativePrefix), null).stream()
                .map(BlobItem::getName).map(name -> name.substring(base.length())).sorted().toList();
    }

    @Override
    public Optional<byte[]> read(String key) {
        try {
            return Optional.of(client().getBlobClient(prefix + "/" + key).downloadContent().toBytes());
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The blob index tags of the object at {@code key}. */
    Map<String, String> tags(String key) {
        return client().getBlobClient(prefix + "/" + key).getTags();
    }

    /** How many committed blocks the blob at {@code key} is made of (0 for one Put Blob). */
    int committedBlocks(String key) {
        return client().getBlobClient(prefix + "/" + key).getBlockBlobClient()
                .listBlocks(com.azure.storage.blob.models.BlockListType.COMMITTED).getCommittedBlocks().size();
    }

    @Override
    public void close() {
        if (ownsServer) {
            Cleanup.closeAll(server);
        }
    }

    @Override
    public String toString() {
        return "Azure store " + url();
    }
}
