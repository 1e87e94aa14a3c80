package io.cumulus.storage.azure;

import io.cumulus.storage.ShownUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a barman-cloud Azure URL points: the account's blob endpoint, the account, the container and
 * the key prefix inside it. {@link #parse(String)} reads the two forms barman-cloud accepts.
 *
 * @param endpoint the account's blob endpoint: {@code https://ACCOUNT.blob.core.windows.net} (always
 *     https), or for an emulator {@code http://HOST:PORT/ACCOUNT}
 * @param account the storage account name
 * @param container the container name
 * @param prefix the key prefix inside the container, literally as the URL spells it (not
 *     percent-decoded), empty segments included ({@code a//b}); never starting with a slash, and
 *     ending with one only for a path that ends in two ({@code a//} is {@code a/}, whose keys are
 *     {@code a//SERVER/...} as barman-cloud's); may be empty
 */
public record AzureLocation(URI endpoint, String account, String container, String prefix) {

    /** Hosts under this domain are Azure itself; barman-cloud treats every other host as an emulator. */
    public static final String AZURE_BLOB_DOMAIN = ".blob.core.windows.net";

    /** urlparse's scheme: a letter, then letters, digits, {@code +}, {@code -} or {@code .}, then a colon. */
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):");
    private static final String EXPECTED = "expected https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH], or for an"
            + " emulator such as Azurite http://HOST:PORT/ACCOUNT/CONTAINER[/PATH]";

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
     * <p>The URL is read as barman-cloud reads it (Python's {@code urlparse}). For a host under
     * {@value #AZURE_BLOB_DOMAIN} only the host counts: barman-cloud hands it alone to its SDK, which
     * always uses https, so any scheme is accepted ({@code azure://}, {@code http://}, none as in
     * {@code //ACCOUNT...}) and the endpoint is always https: a SAS token or a bearer token never
     * crosses the network in clear. An emulator's scheme is kept, since Azurite speaks http. The path
     * is taken literally, as barman-cloud does: {@code my%20dir} is a prefix of eight characters (its
     * SDK sends the {@code %} as {@code %25}), and a raw space is a space. As barman-cloud 3.4, the
     * account and container are taken by position among the path's slashes and the prefix is the
     * rest joined back with one slash each, so a doubled slash stays: {@code CONTAINER/a//b} stores
     * under {@code a//b/}. One trailing slash is dropped, since barman-cloud's os.path.join adds none
     * after it. A path that starts with a slash after the container is refused: barman-cloud stores
     * WAL and backup.info under {@code /a/...} but a backup's archives under {@code a/...}, and cannot
     * restore its own backups there.
     *
     * @throws IllegalArgumentException naming what is wrong with the URL. The message never repeats a
     *     query string, since that is where a SAS token would be.
     */
    public static AzureLocation parse(String url) {
        Objects.requireNonNull(url, "url");
        String shown = ShownUrls.withoutQuery(url);
        int query = url.indexOf('?');
        int fragment = url.indexOf('#');
        if (query >= 0 && (fragment < 0 || query < fragment)) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown
                    + "': it must not carry a query string; give a SAS token through " + AzureCredential.SAS_TOKEN_VARIABLE);
        }
        if (fragment >= 0) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "#...': a fragment ('#' and what"
                    + " follows) is not part of an Azure location; remove it");
        }
        for (int i = 0; i < url.length(); i++) {
            // barman-cloud's urlparse drops tabs and line breaks, the SDK would keep them: each tool would
            // then archive where the other does not look
            if (Character.isISOControl(url.charAt(i))) {
                throw new IllegalArgumentException("invalid Azure URL '" + shown.replaceAll("\\p{Cntrl}", "?")
                        + "': it holds a control character (a tab or line break?) at position " + (i + 1));
            }
        }
        Matcher schemeMatch = SCHEME.matcher(url);
        boolean hasScheme = schemeMatch.lookingAt();
        String scheme = hasScheme ? schemeMatch.group(1).toLowerCase(Locale.ROOT) : "";
        String rest = hasScheme ? url.substring(schemeMatch.end()) : url;
        if (!rest.startsWith("//")) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': " + EXPECTED);
        }
        int pathStart = rest.indexOf('/', 2);
        String authority = pathStart < 0 ? rest.substring(2) : rest.substring(2, pathStart);
        String path = pathStart < 0 ? "" : rest.substring(pathStart);
        URI server = server(shown, authority);
        String host = server.getHost().toLowerCase(Locale.ROOT);
        String port = server.getPort() < 0 ? "" : ":" + server.getPort();
        // barman-cloud: path.split("/"), the account and container by position, "/".join of the rest
        List<String> segments = Arrays.asList(path.split("/", -1));
        if (host.endsWith(AZURE_BLOB_DOMAIN)) {
            String account = host.substring(0, host.length() - AZURE_BLOB_DOMAIN.length());
            if (segments.size() < 2 || segments.get(1).isEmpty()) {
                throw new IllegalArgumentException("invalid Azure URL '" + shown
                        + "': no container, expected https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
            }
            return checked(shown, URI.create("https://" + host + port), account, segments.get(1),
                    prefix(shown, segments, 2));
        }
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': " + EXPECTED);
        }
        if (segments.size() < 3) {
            throw new IllegalArgumentException("invalid Azure emulator URL '" + shown
                    + "': expected http://HOST:PORT/ACCOUNT/CONTAINER[/PATH] (hosts other than *"
                    + AZURE_BLOB_DOMAIN + " are emulators such as Azurite)");
        }
        String account = segments.get(1);
        if (account.isEmpty() || segments.get(2).isEmpty()) {
            throw new IllegalArgumentException("invalid Azure emulator URL '" + shown + "': no "
                    + (account.isEmpty() ? "account" : "container") + " between its slashes, expected"
                    + " http://HOST:PORT/ACCOUNT/CONTAINER[/PATH] with single slashes before the container");
        }
        return checked(shown, URI.create(scheme + "://" + host + port + "/" + account), account, segments.get(2),
                prefix(shown, segments, 3));
    }

    /**
     * The segments from {@code from} joined back with one slash each, empty ones included, without
     * one trailing slash; refused if it starts with a slash.
     */
    private static String prefix(String shown, List<String> segments, int from) {
        String prefix = String.join("/", segments.subList(Math.min(from, segments.size()), segments.size()));
        if (prefix.startsWith("/")) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': the path after the container '"
                    + segments.get(from - 1) + "' starts with a slash, which barman-cloud keeps for WAL but drops"
                    + " for backup archives; remove the extra slash");
        }
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }

    /** The host and port of {@code authority}, which must name a host and carry no user info (a password). */
    private static URI server(String shown, String authority) {
        if (authority.isEmpty() || authority.contains("@")) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': expected a host name, as in"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
        }
        URI server;
        try {
            server = new URI("http://" + authority);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': invalid host name '" + authority + "'");
        }
        if (server.getHost() == null) {
            throw new IllegalArgumentException("invalid Azure URL '" + shown + "': expected a host name, as in"
                    + " https://ACCOUNT.blob.core.windows.net/CONTAINER[/PATH]");
        }
        return server;
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
}
