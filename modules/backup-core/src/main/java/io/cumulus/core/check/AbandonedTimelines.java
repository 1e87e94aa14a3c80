package io.cumulus.core.check;

import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.wal.WalName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a server still writes to a timeline the cluster's history left: the old primary of a
 * failover, restarted and still archiving into the prefix. Its signs, for each ancestor timeline in
 * the history: a segment numbered past the one holding the switch point, stored after the history file
 * of the timeline that branched off (the fork); a DONE backup on it that began past the switch point
 * after the fork, which no recovery along the cluster's timeline can start from.
 *
 * <p>Segments past the switch point stored before the fork are history, not a sign: WAL a failed
 * primary archived that its standby never received, or the WAL after a point-in-time recovery's
 * target. The segment holding the switch point is no sign either: the old primary archives it whole
 * (having completed it before it failed, or going on), next to the .partial of the promoted server. That
 * full copy holds the old timeline's WAL past the switch point; a recovery along the new timeline reads the
 * segment from the new timeline, and until the new timeline's copy is archived cumulus-wal-restore serves it
 * the .partial, not that copy ({@link io.cumulus.core.wal.WalRestorer#locate}).
 */
final class AbandonedTimelines {

    private AbandonedTimelines() {
    }

    /**
     * The signs along {@code history} (the cluster's timeline's) in {@code index}, and among the DONE
     * {@code backups}, each as a problem for the check's message; empty when there is none. A timeline
     * whose successor's history file is not archived is skipped: the fork's time is unknown.
     */
    static List<String> find(WalArchiveIndex index, TimelineHistory history, List<CatalogBackup> backups) {
        List<String> problems = new ArrayList<>();
        List<TimelineHistory.Switch> ancestors = history.ancestors();
        for (int i = 0; i < ancestors.size(); i++) {
            TimelineHistory.Switch left = ancestors.get(i);
            long successor = i + 1 < ancestors.size() ? ancestors.get(i + 1).timeline() : history.timeline();
            Optional<Instant> fork = index.historyModified(successor);
            if (fork.isEmpty()) {
                continue;
            }
            String switchPoint = BackupCatalog.formatLsn(left.switchLsn());
            String historyFile = WalName.history(successor).name();
            long switchSegment = left.switchLsn() / index.segmentSize();
            index.segmentStoredAfter(left.timeline(), switchSegment, fork.get()).ifPresent(segment -> problems.add(
                    "timeline " + left.timeline() + " has segments archived past its switch point " + switchPoint
                            + " to timeline " + successor + " after " + historyFile + " was (e.g. " + segment.name()
                            + "): another server (the old primary?) still archives timeline " + left.timeline()
                            + " here"));
            for (CatalogBackup backup : backups) {
                if (beganAfterTheFork(backup, left, fork.get())) {
                    problems.add("backup " + backup.id().value() + " began on timeline " + left.timeline() + " at "
                            + backup.info().beginXlog() + ", past its switch point " + switchPoint + " to timeline "
                            + successor + ", after " + historyFile + " was archived: a backup of another server (the"
                            + " old primary?), which no recovery along timeline " + history.timeline()
                            + " can start from");
                }
            }
        }
        return problems;
    }

    private static boolean beganAfterTheFork(CatalogBackup backup, TimelineHistory.Switch left, Instant fork) {
        var info = backup.info();
        if (info.timeline() == null || info.timeline() != left.timeline() || info.beginXlog() == null
                || info.beginTime() == null) {
            return false;
        }
        long begin;
        try {
            begin = BackupCatalog.parseLsn(info.beginXlog());
        } catch (IllegalArgumentException e) {
            return false; // an unreadable begin_xlog is not this check's to judge
        }
        return Long.compareUnsigned(begin, left.switchLsn()) > 0 && info.beginTime().toInstant().isAfter(fork);
    }
}
