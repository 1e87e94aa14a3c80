package io.cumulus.storage.gcs;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a barman-cloud Google Cloud Storage URL points: the bucket and the key prefix inside it.
 * {@link #parse(String)} reads the two forms barman-cloud accepts.
 *
 * @param bucket the bucket name
 * @param prefix the key prefix inside the bucket, without leading or trailing slash (may be empty)
 */
public record GcsLocation(String bucket, String prefix) {

    /** The Cloud Console's address for a bucket's objects, which barman-cloud also takes. */
    public static final String CONSOLE_PREFIX = "https://console.cloud.google.com/storage/browser/";

    private static final String EXPECTED = "expected gs://BUCKET[/PATH] or " + CONSOLE_PREFIX + "BUCKET[/PATH]";

    public GcsLocation {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Parses {@code gs://BUCKET[/PATH]} or {@code https://console.cloud.google.com/storage/browser/BUCKET[/PATH]}.
     * A console URL's query string (the console's own state, such as {@code ?project=}) is ignored.
     *
     * @throws IllegalArgumentException naming what is wrong with the URL
     */
    public static GcsLocation parse(String url) {
        Objects.requireNonNull(url, "url");
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        List<String> segments;
        if (scheme.equals("gs")) {
            if (uri.getRawAuthority() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': " + EXPECTED);
            }
            segments = segments("/" + uri.getRawAuthority() + (uri.getPath() == null ? "" : uri.getPath()));
        } else if (scheme.equals("https") && "console.cloud.google.com".equalsIgnoreCase(uri.getHost())
                && uri.getPath() != null && uri.getPath().startsWith("/storage/browser/")) {
            segments = segments(uri.getPath().substring("/storage/browser/".length()));
        } else {
            throw new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': " + EXPECTED);
        }
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': no bucket, " + EXPECTED);
        }
        String problem = GcsStoreConfig.bucketProblem(segments.get(0));
        if (problem != null) {
            throw new IllegalArgumentException("invalid Google Cloud Storage URL '" + url + "': " + problem);
        }
        return new GcsLocation(segments.get(0), String.join("/", segments.subList(1, segments.size())));
    }

    /** The path's segments, without the empty ones that leading, trailing or doubled slashes make. */
    private static List<String> segments(String path) {
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }
}
