package io.cumulus.storage.azure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Barman-cloud's two Azure URL forms, and the malformed ones refused with a message that says why. */
class AzureLocationTest {

    @Test
    void azureUrlNamesAccountByHostAndContainerByFirstSegment() {
        AzureLocation location = AzureLocation.parse("https://myaccount.blob.core.windows.net/backups/pg/main");
        assertEquals(URI.create("https://myaccount.blob.core.windows.net"), location.endpoint());
        assertEquals("myaccount", location.account());
        assertEquals("backups", location.container());
        assertEquals("pg/main", location.prefix());
    }

    /** A query string is where a SAS token would be: refused, never repeated. */
    @Test
    void aQueryStringIsRefusedWithoutRepeatingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AzureLocation.parse("https://a.blob.core.windows.net/c/p?sv=2024&sig=SECRET#x"));
        assertTrue(e.getMessage().contains("must not carry a query string; give a SAS token through"), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
    }

    /** A fragment is named as such (it was reported as a query string, pointing at SAS tokens). */
    @Test
    void aFragmentIsRefusedAsAFragment() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AzureLocation.parse("http://127.0.0.1:10000/devstoreaccount1/pgc/h#x"));
        assertEquals("invalid Azure URL 'http://127.0.0.1:10000/devstoreaccount1/pgc/h#...': a fragment ('#' and what"
                + " follows) is not part of an Azure location; remove it", e.getMessage());
    }

    /**
     * A tab or line break in the path: barman-cloud's urlparse drops it, the SDK would keep it, so each tool
     * would archive where the other does not look. Refused, as for s3:// and gs://.
     */
    @Test
    void aControlCharacterIsRefused() {
        for (String url : List.of("http://127.0.0.1:10000/devstoreaccount1/pgc/tab\tx",
                "https://a.blob.core.windows.net/c/nl\nx", "https://a.blob.core.windows.net/c/cr\r")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureLocation.parse(url));
            assertTrue(e.getMessage().contains("it holds a control character (a tab or line break?) at position"),
                    e.getMessage());
            assertFalse(e.getMessage().contains("\t") || e.getMessage().contains("\n") || e.getMessage().contains("\r"),
                    e.getMessage());
        }
    }

    @Test
    void azureUrlWithoutPathHasAnEmptyPrefix() {
        assertEquals("", AzureLocation.parse("https://myaccount.blob.core.windows.net/backups").prefix());
        assertEquals("", AzureLocation.parse("https://myaccount.blob.core.windows.net/backups/").prefix());
        assertEquals("a/b", AzureLocation.parse("https://MyAccount.Blob.Core.Windows.Net/backups/a/b/").prefix());
        assertEquals("myaccount", AzureLocation.parse("https://MyAccount.Blob.Core.Windows.Net/backups").account());
    }

    @Test
    void anyOtherHostIsAnEmulatorWithTheAccountInThePath() {
        AzureLocation location = AzureLocation.parse("http://127.0.0.1:10000/devstoreaccount1/backups/pg");
        assertEquals(URI.create("http://127.0.0.1:10000/devstoreaccount1"), location.endpoint());
        assertEquals("devstoreaccount1", location.account());
        assertEquals("backups", location.container());
        assertEquals("pg", location.prefix());
        assertEquals("", AzureLocation.parse("https://azurite.internal/devstoreaccount1/backups").prefix());
    }

    /**
     * barman-cloud takes the path as written (its SDK then sends a {@code %} as {@code %25}): a site
     * moving from it with such a URL must find its objects under the same names.
     */
    @Test
    void pathIsTakenLiterallyAsBarmanCloudDoes() {
        assertEquals("my%20dir/x", AzureLocation.parse("https://a1.blob.core.windows.net/c01/my%20dir/x").prefix());
        assertEquals("my dir/x", AzureLocation.parse("https://a1.blob.core.windows.net/c01/my dir/x").prefix());
        assertEquals("100%/é", AzureLocation.parse("http://127.0.0.1:10000/devstoreaccount1/c01/100%/é").prefix());
    }

    /**
     * barman-cloud 3.4 splits the path on every slash and joins what follows the container back
     * with one: {@code a//b} stays {@code a//b}, the names its objects have. Its os.path.join adds no
     * slash after one that ends the path, so one trailing slash counts for nothing and only one is
     * dropped: {@code a//} is the prefix {@code a/}, whose objects are {@code a//SERVER/...}.
     */
    @Test
    void emptyPathSegmentsAreKeptAsBarmanCloudKeepsThem() {
        assertEquals("a//b", AzureLocation.parse("http://127.0.0.1:10777/devstoreaccount1/cont/a//b").prefix());
        assertEquals("a//b", AzureLocation.parse("https://acct.blob.core.windows.net/cont/a//b/").prefix());
        assertEquals("a///b", AzureLocation.parse("https://acct.blob.core.windows.net/cont/a///b").prefix());
        assertEquals("a/", AzureLocation.parse("https://acct.blob.core.windows.net/cont/a//").prefix());
        assertEquals("a", AzureLocation.parse("http://127.0.0.1:10777/devstoreaccount1/cont/a/").prefix());
        assertEquals("", AzureLocation.parse("http://127.0.0.1:10777/devstoreaccount1/cont/").prefix());
    }

    /**
     * A slash right after the container makes barman-cloud's path start with one: it puts WAL and
     * backup.info under {@code /a/...} but a backup's archives under {@code a/...} (its upload
     * controller strips the slash) and cannot restore its own backups. Refused (exit 3), never
     * answered "not found".
     */
    @Test
    void aPathStartingWithASlashAfterTheContainerIsRefused() {
        assertRefused("http://127.0.0.1:10777/devstoreaccount1/cont//a", "the path after the container 'cont'"
                + " starts with a slash");
        assertRefused("https://acct.blob.core.windows.net/cont//a/b", "remove the extra slash");
        assertRefused("https://acct.blob.core.windows.net/cont//", "starts with a slash");
    }

    /** barman-cloud takes the account and container by position, so an extra slash before them leaves one empty. */
    @Test
    void aSlashThatLeavesTheAccountOrContainerEmptyIsRefused() {
        assertRefused("https://acct.blob.core.windows.net//cont/a", "no container");
        assertRefused("http://127.0.0.1:10777/devstoreaccount1//cont/a", "no container");
        assertRefused("http://127.0.0.1:10777//devstoreaccount1/cont/a", "no account");
    }

    /**
     * barman-cloud hands only the host of an Azure URL to its SDK, which always uses https; so any
     * scheme, or none, names the account, and a SAS token never goes over plain http.
     */
    @Test
    void anAzureHostIsReachedOverHttpsWhateverTheScheme() {
        for (String url : List.of("https://acct.blob.core.windows.net/c01/p", "http://acct.blob.core.windows.net/c01/p",
                "HTTP://acct.blob.core.windows.net/c01/p", "azure://acct.blob.core.windows.net/c01/p",
                "//acct.blob.core.windows.net/c01/p")) {
            AzureLocation location = AzureLocation.parse(url);
            assertEquals(URI.create("https://acct.blob.core.windows.net"), location.endpoint(), url);
            assertEquals("c01", location.container(), url);
            assertEquals("p", location.prefix(), url);
        }
        assertEquals(URI.create("https://acct.blob.core.windows.net:8443"),
                AzureLocation.parse("http://acct.blob.core.windows.net:8443/c01").endpoint());
    }

    @Test
    void anEmulatorKeepsItsSchemeWhichMustBeHttpOrHttps() {
        assertEquals(URI.create("http://127.0.0.1:10000/devstoreaccount1"),
                AzureLocation.parse("HTTP://127.0.0.1:10000/devstoreaccount1/c01").endpoint());
        assertEquals(URI.create("http://[::1]:10000/devstoreaccount1"),
                AzureLocation.parse("http://[::1]:10000/devstoreaccount1/c01").endpoint());
        assertRefused("azure://127.0.0.1:10000/devstoreaccount1/c01", "or for an emulator such as Azurite http://");
        assertRefused("//127.0.0.1:10000/devstoreaccount1/c01", "or for an emulator such as Azurite http://");
        assertRefused("acct.blob.core.windows.net/c01", "expected https://ACCOUNT.blob.core.windows.net/CONTAINER");
    }

    @Test
    void malformedUrlsAreRefusedWithAReason() {
        assertRefused("s3://bucket/path", "expected https://ACCOUNT.blob.core.windows.net/CONTAINER");
        assertRefused("https://myaccount.blob.core.windows.net", "no container");
        assertRefused("https://myaccount.blob.core.windows.net/", "no container");
        assertRefused("http://127.0.0.1:10000/devstoreaccount1", "expected http://HOST:PORT/ACCOUNT/CONTAINER");
        assertRefused("https://myaccount.blob.core.windows.net/Upper_Case", "invalid container name 'Upper_Case'");
        assertRefused("https://myaccount.blob.core.windows.net/ab", "3 to 63 lowercase letters");
        assertRefused("https://myaccount.blob.core.windows.net/a--b", "single hyphens");
        assertRefused("https://my-account.blob.core.windows.net/backups", "invalid storage account name");
        assertRefused("https://myaccount.blob.core.windows.net/back ups", "invalid container name 'back ups'");
        assertRefused("https://my account.blob.core.windows.net/backups", "invalid host name 'my account");
        assertRefused("https:///backups", "expected a host name");
    }

    @Test
    void aSasTokenOrPasswordInTheUrlIsRefusedWithoutBeingRepeated() {
        IllegalArgumentException sas = assertThrows(IllegalArgumentException.class, () -> AzureLocation.parse(
                "https://myaccount.blob.core.windows.net/backups/pg?sv=2021&sig=SECRETSIGNATURE"));
        assertTrue(sas.getMessage().contains(AzureCredential.SAS_TOKEN_VARIABLE), sas.getMessage());
        assertFalse(sas.getMessage().contains("SECRETSIGNATURE"), sas.getMessage());
        IllegalArgumentException user = assertThrows(IllegalArgumentException.class, () -> AzureLocation.parse(
                "https://user:SECRETPASSWORD@myaccount.blob.core.windows.net/backups"));
        assertFalse(user.getMessage().contains("SECRETPASSWORD"), user.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> AzureLocation.parse(
                "https://myaccount.blob.core.windows.net/b c?sig=SECRETSIGNATURE"));
        assertFalse(bad.getMessage().contains("SECRETSIGNATURE"), bad.getMessage());
    }

    @Test
    void parsedLocationOpensAValidConfig() {
        AzureLocation location = AzureLocation.parse("http://127.0.0.1:10000/devstoreaccount1/backups/pg");
        AzureStoreConfig config = AzureStoreConfig.of(location, new AzureCredential.DefaultChain());
        assertEquals("backups", config.container());
        assertEquals(location.endpoint(), config.endpoint());
    }

    private static void assertRefused(String url, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureLocation.parse(url));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
