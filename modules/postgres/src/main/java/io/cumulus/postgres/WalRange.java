package io.cumulus.postgres;

import java.util.Objects;

/**
 * A stretch of WAL on one timeline that restoring a backup must replay, as backup_manifest's
 * WAL-Ranges lists them: for a backup that stayed on one timeline, its start and stop locations.
 *
 * @param timeline the timeline
 * @param start the first location needed
 * @param end the location where the backup became consistent on this timeline
 */
public record WalRange(long timeline, Lsn start, Lsn end) {

    public WalRange {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        if (timeline < 1 || timeline > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("timeline out of range: " + timeline);
        }
        if (end.compareTo(start) < 0) {
            throw new IllegalArgumentException("WAL range ends before it starts: " + start + " - " + end);
        }
    }
}
