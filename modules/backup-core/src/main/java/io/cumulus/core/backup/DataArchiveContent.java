package io.cumulus.core.backup;

import java.io.IOException;
import java.time.Instant;

/** The data directory's series, which after the backup's stop also takes backup_label, last. */
public interface DataArchiveContent extends ArchiveContent {

    /** Adds {@code backup_label} with {@code text} to the current part, modified when the backup {@code stopped}. */
    void addBackupLabel(String text, Instant stopped) throws IOException;
}
