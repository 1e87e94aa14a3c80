package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * A destination or source URL as barman-cloud takes it, split into the provider, the container
 * (bucket, Azure container, or the root directory for {@code file://}) and the key prefix.
 *
 * @param provider which store the URL names
 * @param container the bucket, or the absolute root directory for {@link Provider#FILE}
 * @param prefix the key prefix inside the container, without leading slash; without trailing slash
 *     but for an S3 or Azure path ending in two ({@link io.cumulus.core.layout.ServerLayout} then makes
 *     barman-cloud's doubled slash)
 */
public record StoreUrl(Provider provider, String container, String prefix) {

    /** The providers Cumulus knows, with barman-cloud's {@code --cloud-provider} names. */
    public enum Provider {
        FILE("file"), AWS_S3("aws-s3"), AZURE_BLOB_STORAGE("azure-blob-storage"),
        GOOGLE_CLOUD_STORAGE("google-cloud-storage");

        private final String optionName;

        Provider(String optionName) {
            this.optionName = optionName;
        }

        public String optionName() {
            return optionName;
        }

        static Provider ofOption(String name) {
            for (Provider p : values()) {
                if (p != FILE && p.optionName.equals(name)) {
                    return p;
                }
            }
            throw new InvalidInputException("unknown --cloud-provider '" + name
                    + "': expected aws-s3, azure-blob-storage or google-cloud-storage");
        }
    }

    /**
     * Parses {@code url}. A {@code file://} URL selects the file provider whatever {@code cloudProvider}
     * says; otherwise {@code cloudProvider} (default aws-s3) decides how the URL is read: {@code
     * s3://BUCKET[/PATH]}; {@code https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]} or, for any
     * other host (an emulator), {@code http://HOST:PORT/ACCOUNT/CONTAINER[/PATH]}; {@code
     * gs://BUCKET[/PATH]}.
     *
     * @throws InvalidInputException if the URL does not fit the provider
     */
    public static StoreUrl parse(String url, String cloudProvider) {
        boolean file = url.regionMatches(true, 0, "file:", 0, 5);
        Provider provider = file ? Provider.FILE
                : cloudProvider == null ? Provider.AWS_S3 : Provider.ofOption(cloudProvider);
        if (provider == Provider.AZURE_BLOB_STORAGE || provider == Provider.GOOGLE_CLOUD_STORAGE) {
            // read by the provider's bridge, whose SDK loads only now; its messages never repeat a
            // query string, where an Azure SAS token would be
            return ProviderBridges.get(provider).parse(url);
        }
        if (!file) {
            return s3(url);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidInputException("invalid URL '" + url + "': " + e.getReason());
        }
        return file(url, uri);
    }

    private static StoreUrl file(String url, URI uri) {
        if (uri.getRawAuthority() != null && !uri.getRawAuthority().equals("localhost")) {
            throw new InvalidInputException("invalid URL '" + url + "': a file URL names a local path, as in"
                    + " file:///var/backups/pg");
        }
        String path = uri.getPath();
        if (path == null || !path.startsWith("/")) {
            throw new InvalidInputException("invalid URL '" + url + "': use an absolute path, as in"
                    + " file:///var/backups/pg");
        }
        String root = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        return new StoreUrl(Provider.FILE, root, "");
    }

    /**
     * {@code s3://BUCKET[/PATH]} as barman-cloud reads it (urllib's urlparse, then the path without its
     * leading slashes): the bucket is what lies between {@code s3://} and the next slash, the prefix the
     * rest as written, not percent-decoded ({@code my%20dir} is the prefix {@code my%20dir}, as in the
     * objects barman-cloud wrote; a space is taken as it is). A query or fragment, which urlparse would
     * silently drop from the prefix, and control characters are refused.
     */
    private static StoreUrl s3(String url) {
        int separator = url.indexOf("://");
        if (separator < 0 || !url.substring(0, separator).equalsIgnoreCase("s3")) {
            throw new InvalidInputException("invalid S3 URL '" + url + "': expected s3://BUCKET[/PATH]");
        }
        String rest = url.substring(separator + 3);
        if (rest.chars().anyMatch(c -> c == '?' || c == '#' || Character.isISOControl(c))) {
            throw new InvalidInputException("invalid S3 URL '" + url + "': a query (?), a fragment (#) or a control"
                    + " character has no place in s3://BUCKET[/PATH]");
        }
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        if (bucket.isEmpty()) {
            throw new InvalidInputException("invalid S3 URL '" + url + "': expected s3://BUCKET[/PATH]");
        }
        return new StoreUrl(Provider.AWS_S3, bucket, asJoined(slash < 0 ? "" : rest.substring(slash)));
    }

    /**
     * barman-cloud's S3 path ({@code urlparse(url).path.lstrip("/")}) as a prefix that {@link
     * io.cumulus.core.layout.ServerLayout} joins with one slash into barman-cloud's keys: its
     * os.path.join adds no slash after a path ending in one, so one trailing slash is dropped and the
     * rest kept ({@code a/} is {@code a}, keys {@code a/SERVER/...}; {@code a//} is {@code a/}, keys
     * {@code a//SERVER/...}); a doubled slash inside stays ({@code a//b}).
     */
    private static String asJoined(String path) {
        String p = path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
