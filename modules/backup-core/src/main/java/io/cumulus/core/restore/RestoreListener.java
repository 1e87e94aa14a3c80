package io.cumulus.core.restore;

/** What a {@link BaseRestore} reports as it goes; called from several threads at once. */
public interface RestoreListener {

    /** Ignores everything. */
    RestoreListener NONE = new RestoreListener() {
    };

    /** An archive object starts being downloaded and extracted. */
    default void archiveStarted(String key, String target) {
    }

    /** A regular file was written (and checked, when the backup has a manifest). */
    default void fileRestored(String path, long bytes) {
    }

    /** Something the user should know that does not stop the restore. */
    default void warning(String message) {
    }
}
