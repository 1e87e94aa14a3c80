package io.cumulus.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import org.junit.jupiter.api.Test;

class ShownUrlsTest {

    @Test
    void userInfoIsHiddenAndTheRestShown() {
        assertEquals("http://***@minio.internal:9000", ShownUrls.withoutUserInfo(URI.create("http://user:pw@minio.internal:9000")));
        assertEquals("https://***@host/path?q=1", ShownUrls.withoutUserInfo("https://user@host/path?q=1"));
        assertEquals("http://minio.internal:9000", ShownUrls.withoutUserInfo(URI.create("http://minio.internal:9000")));
        assertEquals("s3://bucket/prefix", ShownUrls.withoutUserInfo("s3://bucket/prefix"));
    }

    @Test
    void aPasswordWithAnUnescapedAtOrSlashIsHiddenWhole() {
        assertEquals("http://***@host:9000", ShownUrls.withoutUserInfo("http://user:p@ss@host:9000"));
        assertEquals("http://***@host:9000", ShownUrls.withoutUserInfo("http://user:pa/ss@host:9000"));
        assertEquals("***@host:9000", ShownUrls.withoutUserInfo("user:secret@host:9000"));
    }

    /** One URL (a container's, one a user typed): cut at its query or fragment, user info hidden. */
    @Test
    void aUrlLosesItsQueryFragmentAndUserInfo() {
        assertEquals("https://acct.blob.core.windows.net/cont",
                ShownUrls.withoutQuery("https://acct.blob.core.windows.net/cont?sv=2020&sig=SECRET"));
        assertEquals("azure://***@host/acct/cont", ShownUrls.withoutQuery("azure://u:SECRET@host/acct/cont#x?sig=S"));
        assertEquals("azure://host/acct/cont", ShownUrls.withoutQuery("azure://host/acct/cont"));
    }

    /** What SDKs and parsers quote of a URL: a query cut to the end of its line, user info however quoted. */
    @Test
    void textsLoseQueriesToTheEndOfTheLineAndUserInfo() {
        assertEquals("java.net.URISyntaxException: Illegal character in query at index 151:"
                + " http://127.0.0.1:18400/devstoreaccount1/cont?***", ShownUrls.inText("java.net.URISyntaxException:"
                + " Illegal character in query at index 151: http://127.0.0.1:18400/devstoreaccount1/cont?restype="
                + "container&comp=list&\"sv=2020-08-04&ss=b sig=SECRET\" | more"));
        assertEquals("first?***\nsecond line", ShownUrls.inText("first?sig=SECRET\nsecond line"));
        assertEquals("For input string: \"***@127.0.0.1:18400\"",
                ShownUrls.inText("For input string: \"SECRET@127.0.0.1:18400\""));
        assertEquals("GET http://***@127.0.0.1:18400/storage/v1/b/bkt/o?***",
                ShownUrls.inText("GET http://u:SECRET@127.0.0.1:18400/storage/v1/b/bkt/o?prefix=x&key=SECRET"));
        assertEquals("Unknown option: '--endpoint=http://***@host:9000'",
                ShownUrls.inText("Unknown option: '--endpoint=http://minio:SE@CR/ET@host:9000'"));
        assertEquals("no URL here: 12 files", ShownUrls.inText("no URL here: 12 files"));
        assertEquals(null, ShownUrls.inText(null));
    }
}
