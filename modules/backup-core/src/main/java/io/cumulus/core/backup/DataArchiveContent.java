package io.cumulus.core.backup;

import java.io.IOException;

/** The data directory's series, which after the backup's stop also takes backup_label, last. */
public interface DataArchiveContent extends ArchiveContent {

    /** Adds {@code backup_label} with {@code text} to the current part. */
    void addBackupLabel(String text) throws IOException;
}
