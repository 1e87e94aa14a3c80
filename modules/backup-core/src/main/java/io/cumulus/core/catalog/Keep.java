package io.cumulus.core.catalog;

import java.util.Locale;

/**
 * A keep annotation's recovery target (reference §2.5): a kept backup is never deleted by retention
 * and counts toward redundancy. {@link #FULL} keeps the WAL after it for point-in-time recovery;
 * {@link #STANDALONE} keeps only the WAL from its begin to its end, enough to make it consistent.
 */
public enum Keep {
    FULL("full"),
    STANDALONE("standalone");

    private final String target;

    Keep(String target) {
        this.target = target;
    }

    /** The annotation's body and the {@code --target} value: {@code full} or {@code standalone}. */
    public String target() {
        return target;
    }

    /**
     * The target an annotation's first line names. As barman, anything but {@code standalone} counts
     * as {@link #FULL}, the target that keeps more.
     */
    public static Keep ofAnnotation(String firstLine) {
        return firstLine.strip().equals(STANDALONE.target) ? STANDALONE : FULL;
    }

    /** {@code KEEP:FULL} or {@code KEEP:STANDALONE}, as the list's Archival Status column shows it. */
    public String archivalStatus() {
        return "KEEP:" + target.toUpperCase(Locale.ROOT);
    }
}
