package io.cumulus.storage.azure;

import io.cumulus.storage.ShownUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a barman-cloud Azure URL points: the account's blob endpoint, the account, the container and
 * the key prefix inside it. {@link #parse(String)} reads the two forms barman-cloud accepts.
 *
 * @param endpoint the account's blob endpoint: {@code https://ACCOUNT.blob.core.windows.net}, or
 *     for an emulator {@code http://HOST:PORT/ACCOUNT}
 * @param account the storage account name
 * @param container the container name
 * @param prefix the key prefix inside the container, without leading or trailing slash (may be empty)
 */
public record AzureLocation(URI endpoint, String account, String container, String prefix) {

    /** Hosts under this domain are Azure itself; barman-cloud treats every other host as an emulator. */
    public static final String AZURE_BLOB_DOMAIN = ".blob.core.windows.net";

    public AzureLocation {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(account, "account");
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(prefix, "prefix");
    }

    /**
     * Parses {@code https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]}, or for any other host
     * (an emulator such as Azurite) {@code http(s)://HOST[:PORT]/ACCOUNT/CONTAINER[/PATH]}.
     *
     * @throws IllegalArgumentException naming what is wrong with the URL. The message never repeats a
     *     query string, since that is where a SAS token would be.
     */
    public static AzureLocation parse(String url) {
        Objects.requireNonNull(url, "url");
        String shown = withoutQuery(url);
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown
                    + "': expected https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown
                    + "': it must not carry a query string; give a SAS token through " + AzureCredential.SAS_TOKEN_VARIABLE);
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': expected a host name, as in"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        String authority = scheme + "://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        List<String> segments = segments(uri.getPath());
        if (host.endsWith(AZURE_BLOB_DOMAIN)) {
            String account = host.substring(0, host.length() - AZURE_BLOB_DOMAIN.length());
            if (segments.isEmpty()) {
                throw new IllegalArgumentException("invalid Azure URL '" + shown
                        + "': no container, expected https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
            }
            return checked(shown, URI.create(authority), account, segments.get(0), join(segments, 1));
        }
        if (segments.size() < 2) {
            throw new IllegalArgumentException("invalid Azure emulator URL '" + shown
                    + "': expected http://HOST:PORT/ACCOUNT/CONTAINER[/PATH] (hosts other than *"
                    + AZURE_BLOB_DOMAIN + " are emulators such as Azurite)");
        }
        String account = segments.get(0);
        return checked(shown, URI.create(authority + "/" + account), account, segments.get(1), join(segments, 2));
    }

    private static AzureLocation checked(String shown, URI endpoint, String account, String container, String prefix) {
        String problem = AzureStoreConfig.accountProblem(account);
        if (problem == null) {
            problem = AzureStoreConfig.containerProblem(container);
        }
        if (problem != null) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': " + problem);
        }
        return new AzureLocation(endpoint, account, container, prefix);
    }

    /** The decoded path's segments, without the empty ones that leading, trailing or doubled slashes make. */
    private static List<String> segments(String path) {
        if (path == null) {
            return List.of();
        }
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    private static String join(List<String> segments, int from) {
        return String.join("/", segments.subList(Math.min(from, segments.size()), segments.size()));
    }

    /** The URL as messages may show it: no query string (a SAS token) and no user info (a password). */
    private static String withoutQuery(String url) {
        int query = url.indexOf('?');
        int fragment = url.indexOf('#');
        int cut = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
        String shown = cut < 0 ? url : url.substring(0, cut);
        return ShownUrls.withoutUserInfo(shown);
    }
}
