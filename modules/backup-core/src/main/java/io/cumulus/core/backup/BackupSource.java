package io.cumulus.core.backup;

import io.cumulus.core.io.ChunkedBytes;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;

/**
 * The cluster side of a base backup, as {@link BaseBackup} drives it: the facts backup.info
 * records, the start and stop of the backup on the server, the archives' content in between and
 * the manifest of what was copied. The PostgreSQL implementation lives with the {@code
 * cumulus-backup} tool, so that this package needs no database driver.
 *
 * <p>{@link BaseBackup} calls, in this order: {@link #facts()}, {@link #start}, {@link
 * #tablespaceArchives()} and {@link #dataArchive()} (writing each completely), {@link #stop},
 * {@link DataArchiveContent#addBackupLabel}, {@link #manifest()}. Used by one thread.
 */
public interface BackupSource {

    /** The cluster's facts, read before the backup starts. */
    SourceFacts facts();

    /** About how many bytes the archives will hold before compression, for progress; empty if unknown. */
    OptionalLong estimatedSize();

    /**
     * Starts the backup on the server, then reads the tablespaces the backup copies: those there once
     * the server's start of the backup returned (after its checkpoint), not those of {@link #facts()}.
     *
     * @param label the label PostgreSQL records in backup_label
     */
    BackupBegin start(String label) throws IOException;

    /**
     * One series per tablespace, in the order of the {@link BackupBegin#tablespaces()} that {@link #start}
     * answered.
     */
    List<ArchiveContent> tablespaceArchives();

    /** The data directory's series. */
    DataArchiveContent dataArchive();

    /**
     * Stops the backup on the server once every file is copied; the backup_label it returns still
     * has to go into the data archive.
     *
     * @param restorePointName the restore point to create after the stop, where the server allows it
     */
    BackupEnd stop(String restorePointName) throws IOException;

    /**
     * PostgreSQL's {@code backup_manifest} of everything the archives hold (backup_label included),
     * with the WAL range a restore must replay; called after the stop and backup_label.
     */
    ChunkedBytes manifest();

    /**
     * Interrupts a {@link #start} or {@link #stop} that is waiting on the server (a checkpoint, WAL
     * archiving), so that it fails soon; called from another thread when the backup is cancelled.
     * Does nothing when nothing waits.
     */
    default void cancel() {
    }
}
