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
}
