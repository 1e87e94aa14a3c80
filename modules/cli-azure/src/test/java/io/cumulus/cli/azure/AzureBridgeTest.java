package io.cumulus.cli.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.AzureBlockOptions;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.ProviderBridge.OpenRequest;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreUrl;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.azure.AzureCredential;
import io.cumulus.storage.azure.AzureLocation;
import io.cumulus.storage.azure.AzureStoreConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** How the tools' options and environment become an Azure store's configuration. */
class AzureBridgeTest {

    private static final String KEY = "a2V5a2V5a2V5";

    /** The options a command takes, parsed as picocli parses the command line. */
    @Command(name = "t")
    static final class Options {
        @Mixin StorageOptions storage;
        @Mixin EncryptionOptions encryption;
        @Mixin AzureBlockOptions blocks;
    }

    private static Options parse(String... args) {
        Options options = new Options();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    private static AzureStoreConfig config(Options o, Optional<UploadTuning> tuning, boolean walArchive,
                                           Map<String, String> env) {
        AzureLocation location = AzureLocation.parse("https://acct.blob.core.windows.net/pgc/cluster");
        OpenRequest request = new OpenRequest(o.storage, o.encryption, tuning,
                walArchive ? Optional.of(o.blocks) : Optional.empty(), env);
        return AzureBridge.config(location, AzureCredential.resolve(o.storage.azureCredential(), env), request);
    }

    @Test
    void parsesBothUrlFormsIntoContainerAndPrefix() {
        AzureBridge bridge = new AzureBridge();
        assertEquals(new StoreUrl(StoreUrl.Provider.AZURE_BLOB_STORAGE, "pgc", "a/b"),
                bridge.parse("https://acct.blob.core.windows.net/pgc/a/b/"));
        assertEquals(new StoreUrl(StoreUrl.Provider.AZURE_BLOB_STORAGE, "pgc", "a"),
                bridge.parse("http://127.0.0.1:10000/devstoreaccount1/pgc/a"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> bridge.parse("https://acct.blob.core.windows.net/pgc?sig=SECRET"));
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }

    /**
     * The keys a URL's path leads to are barman-cloud 3.4's, which joins the path after the container
     * with os.path.join: a doubled slash stays, one trailing slash adds nothing, a trailing doubled
     * slash leaves one. Each expected key below is what barman-cloud-wal-archive stored on Azurite.
     */
    @Test
    void keysUnderPathsWithEmptySegmentsAreBarmanCloudsKeys() {
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("cont/a//b", "a//b/srv/wals/0000000100000000/000000010000000000000046");
        expected.put("cont/a///b", "a///b/srv/wals/0000000100000000/000000010000000000000046");
        expected.put("cont/a//", "a//srv/wals/0000000100000000/000000010000000000000046");
        expected.put("cont/a/", "a/srv/wals/0000000100000000/000000010000000000000046");
        expected.put("cont/", "srv/wals/0000000100000000/000000010000000000000046");
        AzureBridge bridge = new AzureBridge();
        WalName wal = WalName.parse("000000010000000000000046");
        for (Map.Entry<String, String> url : expected.entrySet()) {
            for (String base : List.of("http://127.0.0.1:10777/devstoreaccount1/", "https://acct.blob.core.windows.net/")) {
                StoreUrl parsed = bridge.parse(base + url.getKey());
                assertEquals("cont", parsed.container(), url.getKey());
                assertEquals(url.getValue(), new ServerLayout(parsed.prefix(), "srv").walKey(wal, Compression.NONE),
                        base + url.getKey());
            }
        }
    }

    /** A path starting with a slash after the container is refused (exit 3), never read as another prefix. */
    @Test
    void aPathStartingWithASlashIsInvalidInput() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new AzureBridge().parse("http://127.0.0.1:10777/devstoreaccount1/cont//a"));
        assertTrue(e.getMessage().contains("starts with a slash"), e.getMessage());
    }

    /**
     * An http:// URL of an Azure host opens the account's https endpoint, as barman-cloud's SDK would:
     * a token credential is then allowed, and a SAS token never travels in clear.
     */
    @Test
    void anHttpUrlOfAnAzureHostOpensItsHttpsEndpoint() throws Exception {
        Options options = parse("--azure-credential", "azure-cli");
        OpenRequest request = new OpenRequest(options.storage, options.encryption, Optional.empty(), Optional.empty(),
                Map.of());
        try (BlobStore store = new AzureBridge().open("http://acct.blob.core.windows.net/pgc/p", request)) {
            assertEquals("https://acct.blob.core.windows.net/pgc", store.describe());
        }
        Options sas = parse();
        try (BlobStore store = new AzureBridge().open("azure://acct.blob.core.windows.net/pgc/p",
                new OpenRequest(sas.storage, sas.encryption, Optional.empty(), Optional.empty(),
                        Map.of("AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=x")))) {
            assertEquals("https://acct.blob.core.windows.net/pgc", store.describe());
        }
    }

    /** A SAS with quotes (a Docker --env-file keeps them), or an endpoint with a password: exit 3, never shown. */
    @Test
    void anUnsendableSasOrAnEndpointPasswordIsInvalidInputNamingTheVariable() {
        Options options = parse();
        for (Map<String, String> environment : List.of(Map.of("AZURE_STORAGE_SAS_TOKEN", "\"sv=1&sig=SECRET\""),
                Map.of("AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=http://u:SECRET@127.0.0.1:1/a;AccountName=a"))) {
            OpenRequest request = new OpenRequest(options.storage, options.encryption, Optional.empty(),
                    Optional.empty(), environment);
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> new AzureBridge().open("https://acct.blob.core.windows.net/pgc/p", request).close());
            assertEquals(ExitCodes.INVALID_INPUT, ExitCodes.forFailure(e));
            assertTrue(e.getMessage().contains(environment.keySet().iterator().next()), e.getMessage());
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
        }
    }

    @Test
    void aMalformedConnectionStringIsInvalidInputNamingTheVariable() {
        Options options = parse();
        OpenRequest request = new OpenRequest(options.storage, options.encryption, Optional.empty(), Optional.empty(),
                Map.of("AZURE_STORAGE_CONNECTION_STRING", "AccountKey=SECRET"));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> new AzureBridge().open("https://acct.blob.core.windows.net/pgc/p", request).close());
        assertEquals(ExitCodes.INVALID_INPUT, ExitCodes.forFailure(e));
        assertTrue(e.getMessage().contains("AZURE_STORAGE_CONNECTION_STRING"), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }

    @Test
    void walArchiveTakesBarmanWalArchiveDefaultsAndItsOptions() {
        AzureStoreConfig defaults = config(parse(), Optional.empty(), true, Map.of());
        assertEquals(4 * 1024 * 1024, defaults.maxBlockSize());
        assertEquals(1, defaults.maxConcurrency());
        assertEquals(64 * 1024 * 1024, defaults.maxSinglePutSize());

        AzureStoreConfig given = config(parse("--max-block-size", "1MB", "--max-concurrency", "3",
                "--max-single-put-size", "2MB", "--encryption-scope", "scope1", "--read-timeout", "7"),
                Optional.empty(), true, Map.of());
        assertEquals(1024 * 1024, given.maxBlockSize());
        assertEquals(3, given.maxConcurrency());
        assertEquals(2 * 1024 * 1024, given.maxSinglePutSize());
        assertEquals(Optional.of("scope1"), given.encryptionScope());
        assertEquals(Duration.ofSeconds(7), given.readTimeout());
    }

    /** A tool that limits the attempts per request (a standby's cumulus-wal-restore) gets that many from Azure. */
    @Test
    void attemptsPerRequestAreTheDefaultUnlessTheToolLimitsThem() {
        Options options = parse();
        assertEquals(AzureStoreConfig.DEFAULT_MAX_ATTEMPTS, config(options, Optional.empty(), false, Map.of())
                .maxAttempts());
        options.storage.limitAttempts(1);
        assertEquals(1, config(options, Optional.empty(), false, Map.of()).maxAttempts());
    }

    /** barman-cloud-wal-archive's --max-block-size takes any size from one byte (check_size), and so does Azure. */
    @Test
    void walArchiveTakesAnyBlockSizeFromOneByte() {
        assertEquals(1024, config(parse("--max-block-size", "1kB"), Optional.empty(), true, Map.of()).maxBlockSize());
        assertEquals(1, config(parse("--max-block-size", "1"), Optional.empty(), true, Map.of()).maxBlockSize());
    }

    /**
     * barman-cloud takes any size for these (Azure allows a 5000 MiB Put Blob): an archive_command with
     * {@code --max-single-put-size 5000MB} must archive, not fail every call; a WAL file is at most 1 GiB, so
     * the largest buffer Java has uploads it the same.
     */
    @Test
    void walArchiveTakesSizesFromTwoGigabytesOnAsTheLargestBuffer() {
        AzureStoreConfig config = config(parse("--max-single-put-size", "5000MB", "--max-block-size", "4000MB"),
                Optional.empty(), true, Map.of());
        assertEquals(Integer.MAX_VALUE - 8, config.maxSinglePutSize());
        assertEquals(Integer.MAX_VALUE - 8, config.maxBlockSize());
    }

    @Test
    void otherCommandsTakeTheClassDefaultsAndBackupsTheirBlockRule() {
        AzureStoreConfig reader = config(parse(), Optional.empty(), false, Map.of());
        assertEquals(AzureStoreConfig.DEFAULT_MAX_BLOCK_SIZE, reader.maxBlockSize());
        assertEquals(AzureStoreConfig.DEFAULT_MAX_CONCURRENCY, reader.maxConcurrency());

        // -S 100GB: 2 x 100 GiB / 50,000 blocks; -J 5 blocks at once
        AzureStoreConfig backup = config(parse(), Optional.of(new UploadTuning(100L << 30, 0, 5)), false, Map.of());
        assertEquals(2 * ((100L << 30) / 50_000), backup.maxBlockSize());
        assertEquals(5, backup.maxConcurrency());
        // small archives: Azure's (and barman-cloud's) 64 KiB floor, or --min-chunk-size
        assertEquals(64 * 1024, new AzureBridge().partSize(new UploadTuning(1 << 20, 0, 1)));
        assertEquals(8 << 20, new AzureBridge().partSize(new UploadTuning(1 << 20, 8 << 20, 1)));
    }

    @Test
    void credentialsFollowBarmanCloudsOrder() {
        Map<String, String> all = Map.of("AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=" + KEY,
                "AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=x", "AZURE_STORAGE_KEY", KEY);
        assertInstanceOf(AzureCredential.AzureCli.class,
                config(parse("--azure-credential", "azure-cli"), Optional.empty(), false, all).credential());
        assertInstanceOf(AzureCredential.ManagedIdentity.class,
                config(parse("--credential", "managed-identity"), Optional.empty(), false, all).credential());
        assertInstanceOf(AzureCredential.ConnectionString.class,
                config(parse(), Optional.empty(), false, all).credential());
        assertInstanceOf(AzureCredential.SasToken.class, config(parse(), Optional.empty(), false,
                Map.of("AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=x", "AZURE_STORAGE_KEY", KEY)).credential());
        assertInstanceOf(AzureCredential.SharedKey.class, config(parse(), Optional.empty(), false,
                Map.of("AZURE_STORAGE_KEY", KEY)).credential());
        assertInstanceOf(AzureCredential.DefaultChain.class,
                config(parse(), Optional.empty(), false, Map.of()).credential());
        assertFalse(config(parse(), Optional.empty(), false, all).toString().contains(KEY));
    }

    @Test
    void outOfRangeOptionsAreInvalidInputNamingTheLimit() {
        assertThrows(InvalidInputException.class,
                () -> config(parse("--max-block-size", "0"), Optional.empty(), true, Map.of()));
        assertThrows(InvalidInputException.class,
                () -> config(parse("--max-concurrency", "0"), Optional.empty(), true, Map.of()));
        assertThrows(InvalidInputException.class,
                () -> config(parse("--max-single-put-size", "lots"), Optional.empty(), true, Map.of()));
        assertThrows(InvalidInputException.class,
                () -> config(parse("--read-timeout", "0"), Optional.empty(), false, Map.of()));
        assertEquals(URI.create("https://acct.blob.core.windows.net"),
                config(parse(), Optional.empty(), false, Map.of()).endpoint());
    }
}
