package io.cumulus.storage;

/**
 * Whether a local failure is a full file system: the JDK gives the C library's words only ("No space
 * left on device", "Disk quota exceeded"), and each place that names the fix asks this one rule.
 */
public final class FullDisk {

    private FullDisk() {
    }

    /** Whether {@code reason}, a failure's message or a file system exception's reason, says the disk is full. */
    public static boolean says(String reason) {
        return reason != null && (reason.contains("No space left on device") || reason.contains("Disk quota exceeded"));
    }
}
