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
