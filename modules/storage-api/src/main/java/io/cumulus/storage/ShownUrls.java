package io.cumulus.storage;

import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * URLs as messages show them: without the user info ({@code user:password@}) an endpoint may be
 * given with, which would otherwise reach every error, log line and {@code cumulus-check} report.
 * Every place that describes an endpoint or a store's URL goes through here.
 */
public final class ShownUrls {

    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");
    /** From a {@code ?} to the end of its line: where a URL's query (a SAS, a signed URL's signature) is. */
    private static final Pattern QUERY = Pattern.compile("\\?[^\\r\\n]*");
    /**
     * A word of a text up to its last {@code @}, after its first {@code ://} if it has one: the user info
     * of a URL, or what a parser quotes of one ({@code "pw@host:9000"}). A word ends at white space or
     * at a quote, bracket or angle bracket.
     */
    private static final Pattern USER_INFO = Pattern.compile(
            "(?<scheme>[^\\s\"'`<>()\\[\\]{}]*?://)?[^\\s\"'`<>()\\[\\]{}]+@");

    private ShownUrls() {}

    /** {@code uri} with its user info, if any, shown as {@code ***}. */
    public static String withoutUserInfo(URI uri) {
        return withoutUserInfo(uri.toString());
    }

    /**
     * {@code url} with everything between {@code scheme://} (or its start, without a scheme) and its
     * last {@code @} shown as {@code ***}. The last {@code @}, not the authority's: a password may hold
     * an unescaped {@code @} or {@code /}, and hiding a path's {@code @} too costs nothing.
     */
    public static String withoutUserInfo(String url) {
        Matcher scheme = SCHEME.matcher(url);
        int start = scheme.lookingAt() ? scheme.end() : 0;
        int at = url.lastIndexOf('@');
        return at < start ? url : url.substring(0, start) + "***" + url.substring(at);
    }

    /**
     * A single URL as messages may show it: cut at its query or fragment (a query may hold a SAS token
     * or a signature), and with its user info shown as {@code ***} ({@link #withoutUserInfo(String)}).
     */
    public static String withoutQuery(String url) {
        int query = url.indexOf('?');
        int fragment = url.indexOf('#');
        int cut = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
        return withoutUserInfo(cut < 0 ? url : url.substring(0, cut));
    }

    /**
     * A free text that may quote URLs, as an SDK's or a parser's message: each line cut at its first
     * {@code ?} (shown as {@code ?***}: a query may hold a SAS or a signature, and a malformed one
     * need not end at a space), and each word's part up to its last {@code @} shown as {@code ***}
     * (after its {@code scheme://}, if any), user info whether or not its URL is whole. Meant for text
     * that is not ours (exception messages of SDKs and libraries), so it errs on hiding: an e-mail
     * address or an object's {@code Name@1a2b} lose their first part too.
     *
     * @return {@code text} so cleaned; {@code null} for {@code null}
     */
    public static String inText(String text) {
        if (text == null) {
            return null;
        }
        String cut = QUERY.matcher(text).replaceAll("?***");
        Matcher matcher = USER_INFO.matcher(cut);
        StringBuilder shown = new StringBuilder();
        while (matcher.find()) {
            String scheme = matcher.group("scheme");
            matcher.appendReplacement(shown, Matcher.quoteReplacement((scheme == null ? "" : scheme) + "***@"));
        }
        matcher.appendTail(shown);
        return shown.toString();
    }
}
