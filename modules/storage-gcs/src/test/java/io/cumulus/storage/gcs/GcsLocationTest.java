package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Barman-cloud's two Google Cloud Storage URL forms, and the malformed ones refused with a reason. */
class GcsLocationTest {

    @Test
    void gsUrlNamesBucketAndPrefix() {
        assertEquals(new GcsLocation("my-bucket", "pg/main"), GcsLocation.parse("gs://my-bucket/pg/main"));
        assertEquals(new GcsLocation("my-bucket", ""), GcsLocation.parse("gs://my-bucket"));
        assertEquals(new GcsLocation("my-bucket", ""), GcsLocation.parse("gs://my-bucket/"));
        assertEquals(new GcsLocation("my_bucket.example.com", "a/b"),
                GcsLocation.parse("gs://my_bucket.example.com/a/b/"));
    }

    @Test
    void consoleUrlNamesBucketAndPrefix() {
        assertEquals(new GcsLocation("my-bucket", "pg/main"),
                GcsLocation.parse("https://console.cloud.google.com/storage/browser/my-bucket/pg/main"));
        assertEquals(new GcsLocation("my-bucket", "pg"),
                GcsLocation.parse("https://console.cloud.google.com/storage/browser/my-bucket/pg?project=demo"));
    }

    /**
     * barman-cloud keeps the path as written, only stripped of its slashes at either end (Python's
     * {@code urlparse(url).path.strip("/")}); these are its answers, from its own {@code _parse_url}.
     * Reading them otherwise would put the archive under other keys than barman-cloud's.
     */
    @Test
    void thePathIsTakenAsBarmanCloudTakesIt() {
        assertEquals(new GcsLocation("bkt", "a//b"), GcsLocation.parse("gs://bkt/a//b"));
        assertEquals(new GcsLocation("bkt", "my%20dir"), GcsLocation.parse("gs://bkt/my%20dir"));
        assertEquals(new GcsLocation("bkt", "my dir"), GcsLocation.parse("gs://bkt/my dir"));
        assertEquals(new GcsLocation("bkt", "semi;colon/x"), GcsLocation.parse("gs://bkt/semi;colon/x"));
        assertEquals(new GcsLocation("bkt", "a"), GcsLocation.parse("gs://bkt//a/"));
        assertEquals(new GcsLocation("bkt", ""), GcsLocation.parse("gs://bkt///"));
        assertEquals(new GcsLocation("bkt", "my%20dir"),
                GcsLocation.parse("https://console.cloud.google.com/storage/browser/bkt/my%20dir?project=p"));
        assertEquals(new GcsLocation("bkt", ""),
                GcsLocation.parse("https://console.cloud.google.com/storage/browser/bkt?project=p"));
        // barman-cloud replaces every console prefix in the URL, not only the leading one
        assertEquals(new GcsLocation("bkt", "x/gs://y"),
                GcsLocation.parse("gs://bkt/x/https://console.cloud.google.com/storage/browser/y"));
    }

    /** What barman-cloud would silently cut out of a URL is refused: the archive would not be where the URL says. */
    @Test
    void whatBarmanCloudWouldDropIsRefused() {
        assertRefused("gs://bkt/a#frag", "a query string or fragment ('#...')");
        assertRefused("gs://bkt/a?x=1", "a query string or fragment ('?...')");
        assertRefused("gs://bkt/a\tb", "control character");
        assertRefused("gs://bkt/a\nb", "control character");
    }

    @Test
    void malformedUrlsAreRefusedWithAReason() {
        assertRefused("s3://bucket/path", "expected gs://BUCKET[/PATH]");
        assertRefused("https://storage.googleapis.com/bucket/path", "expected gs://BUCKET[/PATH]");
        assertRefused("https://console.cloud.google.com/storage/browser/", "no bucket");
        assertRefused("gs://Bucket/path", "invalid bucket name 'Bucket'");
        assertRefused("gs://ab", "3 to 222 lowercase letters");
        assertRefused("gs://bucket/path?x=1", "expected gs://BUCKET[/PATH]");
        assertRefused("gs:///path", "expected gs://BUCKET[/PATH]");
    }

    private static void assertRefused(String url, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GcsLocation.parse(url));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }
}
