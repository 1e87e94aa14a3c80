package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void secretsNeverPrint() {
        for (String variable : ALL.keySet()) {
            AzureCredential credential = AzureCredential.resolve(Optional.empty(), Map.of(variable, ALL.get(variable)));
            assertFalse(credential.toString().contains("SECRET"), credential.toString());
        }
    }
}
