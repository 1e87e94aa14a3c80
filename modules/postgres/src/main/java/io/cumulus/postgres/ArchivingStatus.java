package io.cumulus.postgres;

import io.cumulus.core.wal.WalName;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The server's archiving settings and pg_stat_archiver, read in one query for cumulus-check.
 *
 * @param version server_version, e.g. {@code 15.18}
 * @param walLevel {@code minimal}, {@code replica} or {@code logical}
 * @param archiveMode {@code off}, {@code on} or {@code always}
 * @param archiveCommand the archive_command setting (may hold credentials: never show it); with archive_mode
 *     off, what the configuration files set, or {@value #HIDDEN_COMMAND} when the user may not read them
 * @param archiveLibrary the archive_library setting (PostgreSQL 15+), empty when unset
 * @param inRecovery whether the server is a standby
 * @param walSegmentSize the WAL segment size in bytes
 * @param checkpointTimeline {@code pg_control_checkpoint().timeline_id}; on a standby the greatest of it,
 *     {@code pg_control_recovery().min_recovery_end_timeline} and the WAL receiver's {@code received_tli}
 * @param lastArchivedWal pg_stat_archiver.last_archived_wal, empty when nothing was archived since the reset
 * @param lastArchivedTime its time
 * @param failedCount pg_stat_archiver.failed_count
 * @param lastFailedWal pg_stat_archiver.last_failed_wal
 * @param lastFailedTime its time
 * @param currentWalFile the segment being written, empty on a standby
 * @param readySegments how many segments wait to be archived (.ready files), when the user may list them
 *     (superuser or pg_monitor)
 * @param oldestReadyTime when the oldest of them was completed, when known
 * @param now the server's clock
 * @param systemIdentifier {@code pg_control_system().system_identifier} in decimal, as backup.info's
 *     {@code systemid}; empty when the user may not call pg_control_system() (open to every user unless
 *     a DBA revoked it)
 */
public record ArchivingStatus(String version, String walLevel, String archiveMode, String archiveCommand,
        String archiveLibrary, boolean inRecovery, long walSegmentSize, long checkpointTimeline,
        Optional<String> lastArchivedWal, Optional<OffsetDateTime> lastArchivedTime, long failedCount,
        Optional<String> lastFailedWal, Optional<OffsetDateTime> lastFailedTime, Optional<String> currentWalFile,
        OptionalLong readySegments, Optional<OffsetDateTime> oldestReadyTime, OffsetDateTime now,
        Optional<String> systemIdentifier) {

    /** What PostgreSQL shows for archive_command while archive_mode is off. */
    public static final String HIDDEN_COMMAND = "(disabled)";

    /** A status whose system identifier was not read. */
    public ArchivingStatus(String version, String walLevel, String archiveMode, String archiveCommand,
            String archiveLibrary, boolean inRecovery, long walSegmentSize, long checkpointTimeline,
            Optional<String> lastArchivedWal, Optional<OffsetDateTime> lastArchivedTime, long failedCount,
            Optional<String> lastFailedWal, Optional<OffsetDateTime> lastFailedTime, Optional<String> currentWalFile,
            OptionalLong readySegments, Optional<OffsetDateTime> oldestReadyTime, OffsetDateTime now) {
        this(version, walLevel, archiveMode, archiveCommand, archiveLibrary, inRecovery, walSegmentSize,
                checkpointTimeline, lastArchivedWal, lastArchivedTime, failedCount, lastFailedWal, lastFailedTime,
                currentWalFile, readySegments, oldestReadyTime, now, Optional.empty());
    }

    /**
     * The timeline the cluster is on. On a primary, that of the segment being written: after a
     * promotion pg_control's checkpoint keeps the old timeline until the end-of-recovery checkpoint,
     * which is spread, completes, minutes during which the new timeline would look like another
     * cluster's. On a standby, {@link #checkpointTimeline}, which may lag the upstream's switch as
     * briefly.
     */
    public long timeline() {
        if (currentWalFile.isPresent() && WalName.isWalName(currentWalFile.get())) {
            return Math.max(checkpointTimeline, WalName.parse(currentWalFile.get()).timeline());
        }
        return checkpointTimeline;
    }

    /** Whether the latest archiving attempt failed: a failure after the last success. */
    public boolean lastAttemptFailed() {
        return lastFailedTime.isPresent()
                && (lastArchivedTime.isEmpty() || lastFailedTime.get().isAfter(lastArchivedTime.get()));
    }

    /**
     * How far archiving is behind: the age of the oldest segment waiting to be archived, zero when
     * none waits. Without the right to list pg_wal/archive_status: zero when the last archived segment
     * is the one before the segment being written, else the age of the last success (an upper bound).
     */
    public Duration archiveLag() {
        if (readySegments.isPresent()) {
            return readySegments.getAsLong() == 0 || oldestReadyTime.isEmpty() ? Duration.ZERO
                    : positive(Duration.between(oldestReadyTime.get(), now));
        }
        if (currentWalFile.isPresent() && lastArchivedWal.isPresent()
                && lastArchivedWal.get().length() == 24 && currentWalFile.get().length() == 24) {
            WalName last = WalName.parse(lastArchivedWal.get());
            if (last.next(walSegmentSize).name().equals(currentWalFile.get())) {
                return Duration.ZERO;
            }
        }
        return lastArchivedTime.map(t -> positive(Duration.between(t, now))).orElse(Duration.ZERO);
    }

    private static Duration positive(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }
}
