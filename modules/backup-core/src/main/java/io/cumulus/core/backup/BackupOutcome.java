package io.cumulus.core.backup;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A base backup that completed: its backup.info as stored, with status DONE, and what it wrote.
 *
 * @param id the backup's id
 * @param info the backup.info written last
 * @param archives every archive part, in the order written
 * @param bytesCopied tar bytes before compression
 * @param elapsed from before the start of the backup to the stored backup.info
 */
public record BackupOutcome(BackupId id, BackupInfo info, List<StoredArchive> archives, long bytesCopied,
        Duration elapsed) {

    public BackupOutcome {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(elapsed, "elapsed");
        archives = List.copyOf(archives);
    }

    /** The bytes stored in the archives, after compression. */
    public long storedBytes() {
        return archives.stream().mapToLong(StoredArchive::storedBytes).sum();
    }
}
