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

    /**
     * An account key that is not base64 (a quote kept, a line break, a key from elsewhere) was taken and
     * failed the first request with the SDK's "Illegal base64 character": exit 4, as if the store were
     * away. It is a setting to mend (exit 3), named, never echoed.
     */
    @Test
    void anAccountKeyThatIsNotBase64IsAConfigurationErrorNamingWhereItCameFrom() throws Exception {
        AzureLocation location = AzureLocation.parse("https://acct.blob.core.windows.net/backups");
        for (String key : List.of("SECRET-KEY", "\"U0VDUkVU\"", "U0VD UkVU", "U0VDUkVU\n")) {
            StoreConfigurationException shared = assertThrows(StoreConfigurationException.class,
                    () -> AzureBlobStores.open(AzureStoreConfig.of(location, new AzureCredential.SharedKey(key))).close(),
                    key);
            assertTrue(shared.getMessage().startsWith(AzureCredential.KEY_VARIABLE + " is not a storage account key"),
                    shared.getMessage());
            assertFalse(shared.getMessage().contains("SECRET") || shared.getMessage().contains("U0VD"),
                    shared.getMessage());
        }
        StoreConfigurationException inString = assertThrows(StoreConfigurationException.class,
                () -> AzureBlobStores.open(AzureStoreConfig.of(location, new AzureCredential.ConnectionString(
                        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=SECRET-KEY"))).close());
        assertTrue(inString.getMessage().startsWith(AzureCredential.CONNECTION_STRING_VARIABLE + "'s AccountKey"),
                inString.getMessage());
        assertFalse(inString.getMessage().contains("SECRET"), inString.getMessage());
        AzureBlobStores.open(AzureStoreConfig.of(location, new AzureCredential.SharedKey("U0VDUkVU"))).close();
    }

    @Test
    void secretsNeverPrint() {
        for (String variable : ALL.keySet()) {
            AzureCredential credential = AzureCredential.resolve(Optional.empty(), Map.of(variable, ALL.get(variable)));
            assertFalse(credential.toString().contains("SECRET"), credential.toString());
        }
    }

    /**
     * A SAS the SDK could not put in a URL (found: quotes kept by a Docker --env-file) made every request
     * fail with the SDK's URISyntaxException quoting the URL, the SAS with it; such a token is refused
     * up front naming the variable and what to fix, never the token.
     */
    @Test
    void aSasThatIsNoUrlQueryIsRefusedWithoutBeingRepeated() {
        for (String sas : List.of("\"sv=2020-08-04&sig=SECRET%2B\"", "'sv=2020-08-04&sig=SECRET'", "sv=2020 &sig=SECRET",
                "sv=2020&sig=SECRET\n", "sv=2020&sig=SE|CRET", "sv=2020&sig=SECRET%2", "sv=2020&sig=SECRET%zz",
                "sv=2020&sig=SECRET\u0001", "sv=2020&sig=SECR\u00e9T")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureCredential.resolve(
                    Optional.empty(), Map.of(AzureCredential.SAS_TOKEN_VARIABLE, sas)), sas);
            assertTrue(e.getMessage().startsWith(AzureCredential.SAS_TOKEN_VARIABLE + " is not a valid SAS token"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("without quotes"), e.getMessage());
            assertFalse(e.getMessage().contains("SECRET") || e.getMessage().contains("2020"), e.getMessage());
        }
        for (String sas : List.of("?sv=2020-08-04&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=ab%2Bcd%3D",
                "sv=2020-08-04&sig=abc")) {
            assertEquals(new AzureCredential.SasToken(sas), AzureCredential.resolve(Optional.empty(),
                    Map.of(AzureCredential.SAS_TOKEN_VARIABLE, sas)));
        }
    }

    /** A BlobEndpoint's user info reached errors through the SDK's NumberFormatException ("SECRET@host:port"). */
    @Test
    void aConnectionStringWithUserInfoOrABadSasIsRefusedWithoutBeingRepeated() {
        for (String cs : List.of("BlobEndpoint=http://u:SECRET@127.0.0.1:10000/devstoreaccount1;AccountName=a;AccountKey=a2V5",
                "AccountName=a;blobendpoint = http://SECRET@host/a;AccountKey=a2V5",
                "BlobEndpoint=http://127.0.0.1:10000/a;SharedAccessSignature=\"sv=2020&sig=SECRET\"")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureCredential.resolve(
                    Optional.empty(), Map.of(AzureCredential.CONNECTION_STRING_VARIABLE, cs)), cs);
            assertTrue(e.getMessage().startsWith(AzureCredential.CONNECTION_STRING_VARIABLE), e.getMessage());
            assertFalse(e.getMessage().contains("SECRET") || e.getMessage().contains("127.0.0.1"), e.getMessage());
        }
        String fine = "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;SharedAccessSignature=sv=2020&sig=a%2B";
        assertEquals(new AzureCredential.ConnectionString(fine), AzureCredential.resolve(Optional.empty(),
                Map.of(AzureCredential.CONNECTION_STRING_VARIABLE, fine)));
    }

    @Test
    void aConnectionStringSettingIsFoundByItsKeyInAnyCaseAndTrimmed() {
        AzureCredential.ConnectionString cs = new AzureCredential.ConnectionString(
                "DefaultEndpointsProtocol=https; accountkey = a2V5= ;AccountName=a;AccountKey=second");
        assertEquals(Optional.of("a2V5="), cs.setting("AccountKey"));
        assertEquals(Optional.of("https"), cs.setting("defaultendpointsprotocol"));
        assertEquals(Optional.empty(), cs.setting("SharedAccessSignature"));
    }
}
