package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.StoreConfigurationException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Barman-cloud's credential precedence, and secrets that never print. */
class AzureCredentialTest {

    private static final Map<String, String> ALL = Map.of(
            AzureCredential.CONNECTION_STRING_VARIABLE, "AccountName=a;AccountKey=SECRET-IN-CS",
            AzureCredential.SAS_TOKEN_VARIABLE, "sv=2021&sig=SECRET-SIG",
            AzureCredential.KEY_VARIABLE, "SECRET-KEY");

    @Test
    void explicitOptionWinsOverEveryVariable() {
        assertEquals(new AzureCredential.AzureCli(), AzureCredential.resolve(Optional.of("azure-cli"), ALL));
        assertEquals(new AzureCredential.ManagedIdentity(Optional.empty()),
                AzureCredential.resolve(Optional.of("managed-identity"), ALL));
        assertEquals(new AzureCredential.DefaultChain(), AzureCredential.resolve(Optional.of("default"), ALL));
    }

    @Test
    void variablesCountInBarmansOrder() {
        assertEquals(new AzureCredential.ConnectionString("AccountName=a;AccountKey=SECRET-IN-CS"),
                AzureCredential.resolve(Optional.empty(), ALL));
        assertEquals(new AzureCredential.SasToken("sv=2021&sig=SECRET-SIG"), AzureCredential.resolve(Optional.empty(),
                Map.of(AzureCredential.SAS_TOKEN_VARIABLE, "sv=2021&sig=SECRET-SIG",
                        AzureCredential.KEY_VARIABLE, "SECRET-KEY")));
        assertEquals(new AzureCredential.SharedKey("SECRET-KEY"), AzureCredential.resolve(Optional.empty(),
                Map.of(AzureCredential.KEY_VARIABLE, "SECRET-KEY")));
        assertEquals(new AzureCredential.DefaultChain(), AzureCredential.resolve(Optional.empty(), Map.of()));
    }

    @Test
    void emptyVariablesAreIgnored() {
        assertEquals(new AzureCredential.SharedKey("SECRET-KEY"), AzureCredential.resolve(Optional.empty(), Map.of(
                AzureCredential.CONNECTION_STRING_VARIABLE, "", AzureCredential.SAS_TOKEN_VARIABLE, " ",
                AzureCredential.KEY_VARIABLE, "SECRET-KEY")));
    }

    @Test
    void unknownOptionIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AzureCredential.resolve(Optional.of("password"), Map.of()));
        assertTrue(e.getMessage().contains("azure-cli, managed-identity or default"), e.getMessage());
    }

    /** A connection string the SDK cannot read is a setting to mend (the tools' exit 3), never echoed. */
    @Test
    void malformedConnectionStringIsAConfigurationErrorNamingTheVariable() {
        AzureLocation location = AzureLocation.parse("https://acct.blob.core.windows.net/backups");
        for (String value : List.of("SECRET-NOT-A-CONNECTION-STRING", "AccountName=acct;AccountKey=SECRET-KEY;Bad",
                "UseDevelopmentStorage=SECRET", "AccountKey=SECRET-KEY")) {
            StoreConfigurationException e = assertThrows(StoreConfigurationException.class, () -> AzureBlobStores.open(
                    AzureStoreConfig.of(location, new AzureCredential.ConnectionString(value))).close(), value);
            assertTrue(e.getMessage().contains(AzureCredential.CONNECTION_STRING_VARIABLE), e.getMessage());
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertNull(e.getCause());
        }
    }

    @Test
    void secretsNeverPrint() {
        for (String variable : ALL.keySet()) {
            AzureCredential credential = AzureCredential.resolve(Optional.empty(), Map.of(variable, ALL.get(variable)));
            assertFalse(credential.toString().contains("SECRET"), credential.toString());
        }
    }
}
