package io.cumulus.cli;

import io.cumulus.storage.ShownUrls;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Stack traces as {@code -vv} shows them: {@link Throwable#printStackTrace()}'s layout (class and
 * message, frames, {@code Suppressed:} and {@code Caused by:} in turn), with every message of the
 * chain passed through {@link ShownUrls#inText}. The messages of SDKs and libraries deep in a cause
 * chain quote request URLs, a SAS or a signature in the query, an endpoint's user info; the frames
 * carry none of that. A throwable's own {@code toString} is not used (it could print anything).
 */
public final class ShownTraces {

    private ShownTraces() {}

    /** {@code failure}'s stack trace, messages cleaned, lines ending in {@code \n}. */
    public static String of(Throwable failure) {
        StringBuilder out = new StringBuilder();
        append(out, failure, "", "", new StackTraceElement[0], Collections.newSetFromMap(new IdentityHashMap<>()));
        return out.toString();
    }

    /** The throwable's class and message, cleaned, as its first trace line shows them. */
    public static String headline(Throwable t) {
        String message = t.getLocalizedMessage();
        return t.getClass().getName() + (message == null ? "" : ": " + ShownUrls.inText(withoutParserExcerpts(message)));
    }

    /**
     * A JSON parser's location, {@code [Source: (String)"..."; line: 1, column: 9]}, quotes the text it
     * read: a credential_process's output cut short, with its SecretAccessKey and SessionToken. Only the
     * line and column are kept, as botocore's own message has them.
     */
    static String withoutParserExcerpts(String message) {
        return PARSER_EXCERPT.matcher(message).replaceAll("[Source not shown;$1]");
    }

    private static final java.util.regex.Pattern PARSER_EXCERPT = java.util.regex.Pattern.compile(
            "\\[Source: .*?;( line: \\d+, column: \\d+| byte offset: #\\d+)\\]", java.util.regex.Pattern.DOTALL);

    private static void append(StringBuilder out, Throwable t, String caption, String indent,
            StackTraceElement[] enclosing, Set<Throwable> seen) {
        if (!seen.add(t)) {
            out.append(indent).append(caption).append("[CIRCULAR REFERENCE: ").append(t.getClass().getName())
                    .append("]\n");
            return;
        }
        out.append(indent).append(caption).append(headline(t)).append('\n');
        StackTraceElement[] frames = t.getStackTrace();
        // the frames this trace shares with the one enclosing it are shown as "... n more", as the JDK does
        int m = frames.length - 1;
        int n = enclosing.length - 1;
        while (m >= 0 && n >= 0 && frames[m].equals(enclosing[n])) {
            m--;
            n--;
        }
        int inCommon = frames.length - 1 - m;
        for (int i = 0; i <= m; i++) {
            out.append(indent).append("\tat ").append(frames[i]).append('\n');
        }
        if (inCommon != 0) {
            out.append(indent).append("\t... ").append(inCommon).append(" more\n");
        }
        for (Throwable suppressed : t.getSuppressed()) {
            append(out, suppressed, "Suppressed: ", indent + "\t", frames, seen);
        }
        Throwable cause = t.getCause();
        if (cause != null) {
            append(out, cause, "Caused by: ", indent, frames, seen);
        }
    }
}
