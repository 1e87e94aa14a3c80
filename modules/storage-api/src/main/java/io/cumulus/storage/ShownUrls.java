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
}
