package io.cumulus.storage.gcs;

import java.util.Objects;

/**
 * Where a barman-cloud Google Cloud Storage URL points: the bucket and the key prefix inside it.
 * {@link #parse(String)} reads the two forms barman-cloud accepts, as barman-cloud reads them.
 *
 * @param bucket the bucket name
 * @param prefix the key prefix inside the bucket, without leading or trailing slash (may be empty),
 *     otherwise as written in the URL
 */
public record GcsLocation(String bucket, String prefix) {

    /** The Cloud Console's address for a bucket's objects, which barman-cloud also takes. */
    public static final String CONSOLE_PREFIX = "https://console.cloud.google.com/storage/browser/";

    private static final String GS = "gs://";
    private static final String EXPECTED = "expected gs://BUCKET[/PATH] or " + CONSOLE_PREFIX + "BUCKET[/PATH]";

    public GcsLocation {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Parses {@code gs://BUCKET[/PATH]} or {@code https://console.cloud.google.com/storage/browser/BUCKET[/PATH]}
     * as barman-cloud does ({@code url.replace(CONSOLE_PREFIX, "gs://")}, then Python's {@code urlparse}):
     * the bucket is what follows {@code //} up to the next {@code /}, and the prefix is the rest of the
     * path exactly as written, only without the slashes at either end. So {@code gs://b/a//c} is
     * {@code a//c}, {@code gs://b/my%20dir} is {@code my%20dir} and {@code gs://b/my dir} is {@code my dir}:
     * the keys barman-cloud writes. A console URL's query string (the console's own state, such as
     * {@code ?project=}) is ignored, as barman-cloud ignores it. Where barman-cloud would silently drop
     * part of a {@code gs://} URL (a query string, a fragment) or Python would remove characters (tabs,
     * line breaks), the URL is refused instead: the archive would be elsewhere than the URL says.
     *
     * @throws IllegalArgumentException naming what is wrong with the URL
     */
    public static GcsLocation parse(String url) {
        Objects.requireNonNull(url, "url");
        boolean console = url.regionMatches(true, 0, CONSOLE_PREFIX, 0, CONSOLE_PREFIX.length());
        if (!console && !url.regionMatches(true, 0, GS, 0, GS.length())) {
            throw invalid(url, EXPECTED);
        }
        for (int i = 0; i < url.length(); i++) {
            if (Character.isISOControl(url.charAt(i))) {
                throw invalid(url, "it holds a control character (a tab or line break?) at position " + (i + 1));
            }
        }
        // every occurrence, as barman-cloud's str.replace: a console address inside the path too
        String rest = url.substring(console ? CONSOLE_PREFIX.length() : GS.length()).replace(CONSOLE_PREFIX, GS);
        int end = firstOf(rest, "?#", 0);
        if (end < rest.length() && !console) {
            throw invalid(url, "a query string or fragment ('" + rest.charAt(end) + "...') is not part of a"
                    + " gs:// location; " + EXPECTED);
        }
        int slash = firstOf(rest, "/", 0);
        int bucketEnd = Math.min(slash, end);
        String bucket = rest.substring(0, bucketEnd);
        if (bucket.isEmpty()) {
            throw invalid(url, "no bucket, " + EXPECTED);
        }
        String problem = GcsStoreConfig.bucketProblem(bucket);
        if (problem != null) {
            throw invalid(url, problem);
        }
        return new GcsLocation(bucket, trimSlashes(rest.substring(bucketEnd, end)));
    }

    private static IllegalArgumentException invalid(String url, String reason) {
        return new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': " + reason);
    }

    /** The index of the first of {@code chars} in {@code s} from {@code from}, or its length. */
    private static int firstOf(String s, String chars, int from) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    /** Python's {@code str.strip("/")}: every slash at either end, none inside. */
    private static String trimSlashes(String path) {
        int start = 0;
        int end = path.length();
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        while (end > start && path.charAt(end - 1) == '/') {
            end--;
        }
        return path.substring(start, end);
    }
}
