package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** The limits Azure and barman-cloud set, checked once in the config. */
class AzureStoreConfigTest {

    private static final URI AZURE = URI.create("https://myaccount.blob.core.windows.net");
    private final AzureStoreConfig config = AzureStoreConfig.of(AZURE, "myaccount", "backups",
            new AzureCredential.SharedKey("SECRET-KEY"));

    @Test
    void defaultsAreBarmanCloudsAndWalArchiveHasItsOwn() {
        assertEquals(2 * 1024 * 1024, config.maxBlockSize());
        assertEquals(8, config.maxConcurrency());
        assertEquals(4 * 1024 * 1024, config.maxSinglePutSize());
        AzureStoreConfig wal = config.withWalArchiveDefaults();
        assertEquals(4 * 1024 * 1024, wal.maxBlockSize());
        assertEquals(1, wal.maxConcurrency());
        assertEquals(64 * 1024 * 1024, wal.maxSinglePutSize());
    }

    @Test
    void limitsAreEnforced() {
        assertThrows(IllegalArgumentException.class, () -> config.withMaxBlockSize(0));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxConcurrency(0));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxSinglePutSize(0));
        assertThrows(IllegalArgumentException.class, () -> config.withListPageSize(5001));
        assertThrows(IllegalArgumentException.class, () -> config.withDeleteBatchSize(257));
        assertThrows(IllegalArgumentException.class, () -> config.withMaxAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> config.withEncryptionScope(" "));
        assertThrows(IllegalArgumentException.class, () -> config.withReadTimeout(java.time.Duration.ZERO));
    }

    /** As barman-cloud-wal-archive's check_size: any block size from one byte; Azure sets no minimum. */
    @Test
    void anyBlockSizeFromOneByteIsAccepted() {
        assertEquals(1, config.withMaxBlockSize(1).maxBlockSize());
        assertEquals(1024, config.withMaxBlockSize(1024).maxBlockSize());
    }

    @Test
    void endpointMustBelongToTheAccount() {
        AzureCredential key = new AzureCredential.SharedKey("k");
        assertThrows(IllegalArgumentException.class, () -> AzureStoreConfig.of(AZURE, "otheraccount", "backups", key));
        assertThrows(IllegalArgumentException.class, () -> AzureStoreConfig.of(
                URI.create("http://127.0.0.1:10000/otheraccount"), "devstoreaccount1", "backups", key));
        assertThrows(IllegalArgumentException.class, () -> AzureStoreConfig.of(URI.create("ftp://host/a"), "a",
                "backups", key));
        IllegalArgumentException sas = assertThrows(IllegalArgumentException.class, () -> AzureStoreConfig.of(
                URI.create("https://myaccount.blob.core.windows.net?sig=SECRET-SIG"), "myaccount", "backups", key));
        assertFalse(sas.getMessage().contains("SECRET"), sas.getMessage());
        IllegalArgumentException http = assertThrows(IllegalArgumentException.class, () -> AzureStoreConfig.of(
                URI.create("http://myaccount.blob.core.windows.net"), "myaccount", "backups", key));
        assertTrue(http.getMessage().contains("must use https"), http.getMessage());
        assertEquals("devstoreaccount1", AzureStoreConfig.of(URI.create("http://127.0.0.1:10000/devstoreaccount1/"),
                "devstoreaccount1", "backups", key).account());
    }

    @Test
    void printedConfigShowsNoSecret() {
        String printed = config.toString();
        assertFalse(printed.contains("SECRET"), printed);
        assertTrue(printed.contains("myaccount"), printed);
    }
}
