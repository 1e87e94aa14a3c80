package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A destination or source URL as barman-cloud takes it, split into the provider, the container
 * (bucket, Azure container, or the root directory for {@code file://}) and the key prefix.
 *
 * @param provider which store the URL names
 * @param container the bucket, or the absolute root directory for {@link Provider#FILE}
 * @param prefix the key prefix inside the container, without leading or trailing slash
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
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new InvalidInputException("invalid URL '" + url + "': " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return file ? file(url, uri) : s3(url, uri, scheme);
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

    private static StoreUrl s3(String url, URI uri, String scheme) {
        if (!scheme.equals("s3") || uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new InvalidInputException("invalid S3 URL '" + url + "': expected s3://BUCKET[/PATH]");
        }
        return new StoreUrl(Provider.AWS_S3, uri.getHost(), trim(uri.getPath()));
    }

    private static String trim(String path) {
        String p = path == null ? "" : path;
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }
}
