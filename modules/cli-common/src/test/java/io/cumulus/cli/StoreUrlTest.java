package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.layout.ServerLayout;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * S3 URLs as barman-cloud 3.4 reads them: {@code urlparse(url).netloc} is the bucket and {@code
 * urlparse(url).path.lstrip("/")} the prefix, as written. The expected values are what that gives (the
 * trailing slash aside, which barman's os.path.join makes no difference of).
 */
class StoreUrlTest {

    private static StoreUrl s3(String url) {
        return StoreUrl.parse(url, null);
    }

    @Test
    void bucketAndPrefixAreSplitAsBarmanCloudSplitsThem() {
        assertEquals(new StoreUrl(StoreUrl.Provider.AWS_S3, "bucket", "pg"), s3("s3://bucket/pg"));
        assertEquals(new StoreUrl(StoreUrl.Provider.AWS_S3, "bucket", ""), s3("s3://bucket"));
        assertEquals(new StoreUrl(StoreUrl.Provider.AWS_S3, "bucket", ""), s3("s3://bucket/"));
        assertEquals(new StoreUrl(StoreUrl.Provider.AWS_S3, "bucket", "a//b"), s3("s3://bucket//a//b/"));
        assertEquals(new StoreUrl(StoreUrl.Provider.AWS_S3, "my_bucket", "x"), s3("S3://my_bucket/x"));
    }

    @Test
    void walKeysAreTheOnesBarmanCloudJoinsForEveryTrailingSlash() {
        // os.path.join(urlparse(url).path.lstrip("/"), "srv", "wals"), as printed by Python 3
        Map<String, String> barman = Map.of("s3://bucket/pg", "pg/srv/wals/", "s3://bucket/pg/", "pg/srv/wals/",
                "s3://bucket/a//", "a//srv/wals/", "s3://bucket//a//b/", "a//b/srv/wals/",
                "s3://bucket/a///", "a///srv/wals/", "s3://bucket//", "srv/wals/", "s3://bucket", "srv/wals/");
        barman.forEach((url, wals) -> assertEquals(wals, new ServerLayout(s3(url).prefix(), "srv").walsPrefix(), url));
    }

    @Test
    void thePrefixIsTakenAsWrittenNotPercentDecoded() {
        // barman-cloud stored its objects under the literal "my%20dir/": reading "my dir/" would find nothing
        assertEquals("my%20dir/sub", s3("s3://bucket/my%20dir/sub").prefix());
        assertEquals("my dir", s3("s3://bucket/my dir").prefix());
    }

    @Test
    void whatWouldBeDroppedOrIsNoS3UrlIsRefused() {
        for (String url : new String[] {"s3://bucket/pg?versionId=1", "s3://bucket/pg#x", "s3://bucket/p\ng",
                "s3:///pg", "s3://", "bucket/pg", "gs://bucket/pg", "https://bucket/pg"}) {
            InvalidInputException refused = assertThrows(InvalidInputException.class, () -> s3(url), url);
            assertTrue(refused.getMessage().startsWith("invalid S3 URL"), refused.getMessage());
        }
    }
}
