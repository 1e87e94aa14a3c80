package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.check.TimelineHistory;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.core.wal.WalObjects;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The timelines whose backups {@code auto} may choose for a recovery. Along a timeline's history,
 * as PostgreSQL recovers: a backup taken on that timeline, or on one of its ancestors if the backup
 * ended (end_xlog) at or before the switch point where the history leaves that ancestor; a backup of
 * the ancestor that ends past it belongs to another history (PostgreSQL: "requested timeline is not a
 * child of this server's history"). barman-cloud's {@code --target-tli} matches the backup's
 * timeline exactly instead.
 */
public final class RecoveryTimeline {

    /** The timeline a backup must be on exactly, or empty. */
    private final OptionalLong exact;
    /** The history followed, or null when any timeline (or exactly {@link #exact}) will do. */
    private final TimelineHistory lineage;
    /** Why a numbered timeline is matched exactly, for messages, or empty. */
    private final String note;

    private RecoveryTimeline(OptionalLong exact, TimelineHistory lineage, String note) {
        this.exact = exact;
        this.lineage = lineage;
        this.note = note;
    }

    /** Backups of any timeline: no timeline was given, or {@code current} (the backup's own). */
    public static RecoveryTimeline any() {
        return new RecoveryTimeline(OptionalLong.empty(), null, "");
    }

    /** Backups taken on {@code timeline} only: barman-cloud's {@code --target-tli}. */
    public static RecoveryTimeline exactly(long timeline) {
        return new RecoveryTimeline(OptionalLong.of(timeline), null, "");
    }

    /**
     * Backups a recovery along {@code timeline} can start from, reading its history file from {@code
     * wals/}; without one (timeline 2 or later), backups on {@code timeline} itself only.
     *
     * @throws OperationFailedException when the history file cannot be parsed
     */
    public static RecoveryTimeline along(BlobStore store, ServerLayout layout, long timeline) throws IOException {
        if (timeline == 1) {
            return new RecoveryTimeline(OptionalLong.empty(), TimelineHistory.first(), "");
        }
        Optional<TimelineHistory> history = history(store, layout, timeline);
        return history.isPresent() ? new RecoveryTimeline(OptionalLong.empty(), history.get(), "")
                : new RecoveryTimeline(OptionalLong.of(timeline), null, " (" + WalName.history(timeline).name()
                        + " is not archived, so its ancestors' backups cannot be told)");
    }

    /**
     * Along the latest timeline, as PostgreSQL finds it: the highest of the history files archived one
     * after the other from {@code 00000002.history}; any timeline when there is none.
     *
     * @throws OperationFailedException when a history file cannot be parsed
     */
    public static RecoveryTimeline latest(BlobStore store, ServerLayout layout) throws IOException {
        TimelineHistory newest = null;
        for (long timeline = 2; ; timeline++) {
            Optional<TimelineHistory> history = history(store, layout, timeline);
            if (history.isEmpty()) {
                break;
            }
            newest = history.get();
        }
        return newest == null ? any() : new RecoveryTimeline(OptionalLong.empty(), newest, "");
    }

    /** Whether a recovery along these timelines can start from a backup with {@code info}. */
    public boolean admits(BackupInfo info) {
        Integer timeline = info.timeline();
        if (exact.isPresent()) {
            return timeline != null && timeline == exact.getAsLong();
        }
        if (lineage == null) {
            return true;
        }
        if (timeline == null) {
            return false;
        }
        if (timeline == lineage.timeline()) {
            return true;
        }
        OptionalLong switchPoint = lineage.switchPoint(timeline);
        if (switchPoint.isEmpty() || info.endXlog() == null) {
            return false;
        }
        try {
            return Long.compareUnsigned(BackupCatalog.parseLsn(info.endXlog()), switchPoint.getAsLong()) <= 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The timelines, for a message: {@code ""} for any, else {@code " on timeline 2 …"}. */
    @Override
    public String toString() {
        if (exact.isPresent()) {
            return " on timeline " + exact.getAsLong() + note;
        }
        if (lineage == null) {
            return "";
        }
        if (lineage.ancestors().isEmpty()) {
            return " on timeline " + lineage.timeline();
        }
        return " on timeline " + lineage.timeline() + " or, before its history (" + WalName.history(
                lineage.timeline()).name() + ") leaves them, on " + String.join(", ", lineage.ancestors().stream()
                        .map(s -> "timeline " + s.timeline() + " up to " + BackupCatalog.formatLsn(s.switchLsn()))
                        .toList());
    }

    /** Timeline {@code timeline}'s history file, found under any compression suffix, or empty. */
    private static Optional<TimelineHistory> history(BlobStore store, ServerLayout layout, long timeline)
            throws IOException {
        WalName name = WalName.history(timeline);
        Optional<String> key = WalObjects.find(store, layout, name, false);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(TimelineHistory.read(store, key.get(), timeline));
        } catch (IllegalArgumentException e) {
            throw new OperationFailedException("cannot parse " + key.get() + ": " + e.getMessage()
                    + "; replace it with " + name.name() + " from pg_wal of the server that created timeline "
                    + timeline + ", or choose the backup by its id");
        }
    }
}
