package io.cumulus.core.retention;

/** A backup's status under a retention policy, as barman reports it (reference §6.3). */
public enum RetentionStatus {
    /** Needed by the policy. */
    VALID("VALID"),
    /** Not needed: deleted. The only status that is. */
    OBSOLETE("OBSOLETE"),
    /** Outside the recovery window but kept for the minimum redundancy; not deleted. */
    POTENTIALLY_OBSOLETE("OBSOLETE*"),
    /** Kept with {@code keep:full}. */
    KEEP_FULL("KEEP:FULL"),
    /** Kept with {@code keep:standalone}. */
    KEEP_STANDALONE("KEEP:STANDALONE"),
    /** Not a DONE backup: retention ignores it. */
    NONE("-");

    private final String label;

    RetentionStatus(String label) {
        this.label = label;
    }

    /** barman's spelling, e.g. {@code OBSOLETE*} or {@code -}. */
    public String label() {
        return label;
    }
}
