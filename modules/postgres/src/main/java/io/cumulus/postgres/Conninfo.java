package io.cumulus.postgres;

import io.cumulus.core.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses a libpq connection string, either {@code key=value} pairs (values optionally in single
 * quotes, backslash escapes) or a {@code postgresql://} URI, into keyword/value pairs, following
 * libpq's {@code conninfo_parse} and {@code conninfo_uri_parse}. Error messages never repeat values,
 * which may be passwords.
 */
final class Conninfo {

    private Conninfo() {
    }

    /** Whether {@code text} is a connection URI rather than key=value pairs. */
    static boolean isUri(String text) {
        return text.startsWith("postgresql://") || text.startsWith("postgres://");
    }

    /** Keyword/value pairs in the order given; the last occurrence of a keyword wins, as in libpq. */
    static Map<String, String> parse(String conninfo) {
        return isUri(conninfo) ? parseUri(conninfo) : parseKeywordValue(conninfo);
    }

    private static Map<String, String> parseKeywordValue(String text) {
        Map<String, String> result = new LinkedHashMap<>();
        int n = text.length();
        int i = 0;
        while (true) {
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return result;
            }
            int keywordStart = i;
            while (i < n && text.charAt(i) != '=' && !Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            String keyword = text.substring(keywordStart, i);
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i >= n || text.charAt(i) != '=') {
                throw new InvalidInputException("invalid connection string: missing \"=\" after the word at position "
                        + (keywordStart + 1));
            }
            i++;
            while (i < n && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && text.charAt(i) == '\'') {
                i++;
                while (true) {
                    if (i >= n) {
                        throw new InvalidInputException("invalid connection string: unterminated quoted string"
                                + " in the value " + (LibpqKeywords.isKeyword(keyword) ? "of \"" + keyword + "\""
                                        : "at position " + (keywordStart + 1)));
                    }
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(text.charAt(i++));
                    } else if (c == '\'') {
                        break;
                    } else {
                        value.append(c);
                    }
                }
            } else {
                while (i < n && !Character.isWhitespace(text.charAt(i))) {
                    char c = text.charAt(i++);
                    if (c == '\\') {
                        if (i < n) {
                            value.append(text.charAt(i++));
                        }
                    } else {
                        value.append(c);
                    }
                }
            }
            result.put(checkKeyword(keyword, "at position " + (keywordStart + 1)), value.toString());
        }
    }

    /** {@code postgresql://[user[:password]@][host][:port][/dbname][?keyword=value&...]} */
    private static Map<String, String> parseUri(String uri) {
        Map<String, String> result = new LinkedHashMap<>();
        String rest = uri.substring(uri.indexOf("://") + 3);
        int query = rest.indexOf('?');
        String params = query >= 0 ? rest.substring(query + 1) : "";
        rest = query >= 0 ? rest.substring(0, query) : rest;
        int slash = rest.indexOf('/');
        String authority = slash >= 0 ? rest.substring(0, slash) : rest;
        if (slash >= 0) {
            putNonEmpty(result, "dbname", decode(rest.substring(slash + 1)));
        }
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            putNonEmpty(result, "user", decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo));
            if (colon >= 0) {
                putNonEmpty(result, "password", decode(userInfo.substring(colon + 1)));
            }
        }
        String host = authority;
        String port = null;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw new InvalidInputException("invalid connection URI: missing \"]\" after an IPv6 host address");
            }
            host = authority.substring(1, close);
            String after = authority.substring(close + 1);
            if (after.startsWith(":")) {
                port = after.substring(1);
            } else if (!after.isEmpty()) {
                throw new InvalidInputException("invalid connection URI: unexpected text after an IPv6 host address");
            }
        } else {
            int colon = authority.lastIndexOf(':');
            if (colon >= 0) {
                host = authority.substring(0, colon);
                port = authority.substring(colon + 1);
            }
        }
        putNonEmpty(result, "host", decode(host));
        if (port != null) {
            putNonEmpty(result, "port", decode(port));
        }
        if (!params.isEmpty()) {
            int number = 0;
            for (String pair : params.split("&")) {
                number++;
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new InvalidInputException("invalid connection URI: a query parameter lacks \"keyword=\"");
                }
                String keyword = decode(pair.substring(0, eq));
                String value = decode(pair.substring(eq + 1));
                if (keyword.equals("ssl") && value.equals("true")) {
                    // libpq accepts the JDBC spelling and turns it into sslmode=require
                    keyword = "sslmode";
                    value = "require";
                }
                result.put(checkKeyword(keyword, "in query parameter " + number), value);
            }
        }
        return result;
    }

    private static String checkKeyword(String keyword, String where) {
        if (!LibpqKeywords.isKeyword(keyword)) {
            throw unknownKeyword(keyword, where);
        }
        return keyword;
    }

    /**
     * The error for a keyword libpq does not know: never the word itself (with a password holding a
     * space, {@code password=Pa ss=x}, the word is a piece of the password), but where it is and the
     * known keyword it may be a misspelling of.
     */
    static InvalidInputException unknownKeyword(String keyword, String where) {
        String nearest = null;
        int best = 3; // at most two edits away
        for (String known : new java.util.TreeSet<>(LibpqKeywords.ENVIRONMENT.keySet())) {
            int distance = editDistance(keyword, known);
            if (distance < best) {
                best = distance;
                nearest = known;
            }
        }
        return new InvalidInputException("invalid connection option " + where + ": not a libpq keyword"
                + (nearest == null ? "" : " (did you mean \"" + nearest + "\"?)") + "; a value holding spaces must be"
                + " in single quotes");
    }

    private static int editDistance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2) {
            return 3;
        }
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    private static void putNonEmpty(Map<String, String> map, String keyword, String value) {
        if (!value.isEmpty()) {
            map.put(keyword, value);
        }
    }

    /** Percent-decoding as libpq does it: %XX only, '+' stays a plus; the bytes are UTF-8. */
    private static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        int i = 0;
        while (i < text.length()) {
            int c = text.codePointAt(i);
            if (c != '%') {
                byte[] utf8 = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
                i += Character.charCount(c);
                continue;
            }
            if (i + 2 >= text.length()) {
                throw new InvalidInputException("invalid connection URI: incomplete percent-encoded token");
            }
            int hi = Character.digit(text.charAt(i + 1), 16);
            int lo = Character.digit(text.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new InvalidInputException("invalid connection URI: invalid percent-encoded token");
            }
            if (hi == 0 && lo == 0) {
                throw new InvalidInputException("invalid connection URI: forbidden %00 in a percent-encoded value");
            }
            bytes.write(hi << 4 | lo);
            i += 3;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
