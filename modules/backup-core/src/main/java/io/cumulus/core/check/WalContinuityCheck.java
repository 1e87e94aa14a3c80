package io.cumulus.core.check;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.wal.WalName;
import io.cumulus.core.wal.WalObjects;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;

/**
 * cumulus-check's {@value #NAME} line: reads the server's {@code wals/} and the history files it
 * needs, runs {@link WalContinuity} from the oldest DONE backup, and turns what it found, or why it
 * could not look, into one verdict. An object that cannot be parsed (a backup.info's begin_wal, a
 * history file) is named, since neither credentials nor the network are to blame for it.
 */
public final class WalContinuityCheck {

    /** The check's name in the output. */
    public static final String NAME = "WAL continuity";

    /** An object of the store whose content cannot be used: what is wrong with it, and what to do. */
    private static final class UnusableObject extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String fix;

        UnusableObject(String message, String fix) {
            super(message, null, false, false);
            this.fix = fix;
        }
    }


    /**
     * What PostgreSQL told of the cluster. Read before the store is listed, so that a WAL file
     * archived between the two is in the listing rather than taken for one that never arrived.
     *
     * @param timeline the cluster's timeline
     * @param segmentSize its wal_segment_size in bytes
     * @param lastArchivedWal pg_stat_archiver.last_archived_wal, empty when nothing was archived since
     *     the statistics were reset (or ever: a standby with archive_mode on)
     * @param lastArchivedTime its time
     * @param writingWal the segment a primary writes ({@code pg_walfile_name(pg_current_wal_lsn())}),
     *     empty on a standby
     * @param systemIdentifier {@code pg_control_system().system_identifier} in decimal, empty when not read
     */
    public record Cluster(long timeline, long segmentSize, Optional<String> lastArchivedWal,
            Optional<OffsetDateTime> lastArchivedTime, Optional<String> writingWal, Optional<String> systemIdentifier) {

        /** A cluster whose segment being written (a standby) and system identifier are not known. */
        public Cluster(long timeline, long segmentSize, Optional<String> lastArchivedWal,
                Optional<OffsetDateTime> lastArchivedTime) {
            this(timeline, segmentSize, lastArchivedWal, lastArchivedTime, Optional.empty(), Optional.empty());
        }
    }

    private WalContinuityCheck() {
    }

    /** The message when there is no DONE backup to start a chain from. */
    public static final String NO_BACKUP = "no DONE backup, so no WAL range a recovery would need";

    /**
     * The verdict for {@code backups} (the catalog with its keep annotations, oldest first). The chain
     * point-in-time recovery needs starts at the oldest DONE backup not kept standalone: retention
     * keeps only the begin..end WAL of a backup kept standalone (as barman does), so for those only
     * that range is checked. The chain follows the cluster's timeline when it is known; a timeline
     * newer than it in the archive is another cluster's (a restored copy that kept archive_command and
     * was promoted), which a recovery to the latest timeline would follow, and fails the check. So does
     * a timeline the followed timeline's history left that is still written to after the fork
     * ({@link AbandonedTimelines}): the old primary of a failover, restarted and still archiving. And
     * so does a WAL file PostgreSQL counts as archived that is not in the store: the store shows only
     * what arrived, and an archive_command that stores nothing here (another endpoint, a stub, a test
     * run) leaves a chain that looks complete up to where it stopped.
     *
     * @param cluster what PostgreSQL told, or empty when it could not be reached: the chain then
     *     follows the highest archived timeline, and the message says so
     * @throws IOException when the store cannot be listed or read
     */
    public static CheckResult run(BlobStore store, ServerLayout layout, List<CatalogBackup> backups,
            Optional<Cluster> cluster) throws IOException {
        List<CatalogBackup> done = done(backups);
        if (done.isEmpty()) {
            return CheckResult.failed(NAME, NO_BACKUP, "take a base backup with cumulus-backup");
        }
        // without the server, the newest backup's size: the cluster's now, if it was ever changed
        long size = cluster.map(Cluster::segmentSize).orElseGet(() -> done.stream()
                .map(b -> b.info().xlogSegmentSize()).filter(s -> s != null).reduce((older, newer) -> newer)
                .orElse(BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE));
        WalArchiveIndex index = WalArchiveIndex.scan(store, layout, size);
        CheckResult verdict = verdict(store, layout, done, cluster, index);
        if (verdict.ok()) {
            return verdict;
        }
        // The catalog was read before wals/ was listed: a cumulus-backup-delete in between removed
        // backups (backup.info first), then the WAL only they needed, and the oldest backup read seems
        // to miss its WAL. A backup whose backup.info is still there now had all its WAL at the listing
        // (a delete removes a backup's WAL only after its backup.info): judge by those.
        List<CatalogBackup> stillThere = new ArrayList<>();
        for (CatalogBackup b : done) {
            if (store.stat(layout.backupPrefix(b.id().value()) + "backup.info").isPresent()) {
                stillThere.add(b);
            }
        }
        if (stillThere.size() == done.size()) {
            return verdict;
        }
        return stillThere.isEmpty() ? CheckResult.failed(NAME, NO_BACKUP, "take a base backup with cumulus-backup")
                : verdict(store, layout, stillThere, cluster, index);
    }

    private static List<CatalogBackup> done(List<CatalogBackup> backups) {
        return backups.stream().filter(b -> b.status() == BackupStatus.DONE && b.info().beginWal() != null).toList();
    }

    private static CheckResult verdict(BlobStore store, ServerLayout layout, List<CatalogBackup> done,
            Optional<Cluster> cluster, WalArchiveIndex index) throws IOException {
        List<CatalogBackup> chained = done.stream().filter(b -> !b.isKept(Keep.STANDALONE)).toList();
        List<CatalogBackup> standalone = done.stream().filter(b -> b.isKept(Keep.STANDALONE)).toList();
        OptionalLong clusterTimeline = cluster.map(c -> OptionalLong.of(c.timeline())).orElse(OptionalLong.empty());
        try {
            WalContinuity.HistorySource histories = timeline -> history(store, index, timeline);
            Findings findings = new Findings();
            if (clusterTimeline.isPresent()) {
                foreignTimelines(store, layout, index, histories, cluster.get(), findings);
            }
            SortedSet<Long> archived = index.timelinesAfter(0);
            long followed = clusterTimeline.orElse(archived.isEmpty() ? 1 : archived.last());
            Optional<TimelineHistory> lineage = histories.history(followed);
            if (lineage.isPresent()) {
                abandonedTimelines(index, lineage.get(), done, findings);
            }
            if (cluster.isPresent()) {
                lastArchived(store, layout, index, cluster.get(), findings);
            }
            String found;
            String note = "";
            if (chained.isEmpty()) {
                found = "every DONE backup is kept standalone, and each one's WAL from begin to end is archived";
            } else {
                CatalogBackup oldest = chained.get(0);
                CatalogBackup newest = chained.get(chained.size() - 1);
                WalName begin = beginWal(layout, oldest);
                Optional<WalName> end = Optional.ofNullable(newest.info().endWal())
                        .filter(WalContinuityCheck::isSegment).map(WalName::parse);
                Optional<WalName> pending = end.filter(e -> stillWritten(index, cluster, e));
                String stillWritten = pending.map(e -> e.name() + ", the segment the primary still writes: it is"
                        + " archived once complete, and the backup cannot be restored until then (SELECT"
                        + " pg_switch_wal() on the primary completes it now; archive_timeout bounds the wait)").orElse("");
                if (pending.isPresent() && begin.name().equals(pending.get().name())) {
                    // a first backup on a quiet primary (taken on a standby): nothing of its WAL is due yet
                    found = "no segment is due yet: the DONE backup " + newest.id().value() + " begins and ends in "
                            + stillWritten;
                } else {
                    // the chain ends at the newest archived segment, as it would without that backup
                    Optional<WalName> atLeastTo = pending.isPresent() ? Optional.empty() : end;
                    WalContinuity.Result chain = clusterTimeline.isPresent()
                            ? WalContinuity.check(index, histories, begin, atLeastTo, clusterTimeline.getAsLong())
                            : WalContinuity.check(index, histories, begin, atLeastTo);
                    findings.add(chain, "");
                    if (clusterTimeline.isEmpty()) {
                        note = "followed the highest archived timeline " + chain.timeline() + ", as PostgreSQL could"
                                + " not be reached to tell the cluster's own";
                    }
                    found = "every segment from " + chain.from() + " to " + chain.to() + " is archived (from the"
                            + " oldest DONE backup" + (oldest.equals(done.get(0)) ? " " : " not kept standalone, ")
                            + oldest.id().value() + (note.isEmpty() ? "" : "; " + note) + ")" + (standalone.isEmpty()
                                    ? "" : ", and the WAL from begin to end of the " + standalone.size()
                                            + " backup(s) kept standalone")
                            + (pending.isEmpty() ? "" : "; the newest backup " + newest.id().value() + " ends in "
                                    + stillWritten);
                }
            }
            for (CatalogBackup backup : standalone) {
                findings.add(WalContinuity.range(index, histories, beginWal(layout, backup), endWal(layout, backup)),
                        "backup " + backup.id().value() + " (kept standalone): ");
            }
            if (findings.problems.isEmpty()) {
                return CheckResult.ok(NAME, found);
            }
            return CheckResult.failed(NAME, String.join("; ", findings.problems) + (note.isEmpty() ? "" : " (" + note
                    + ")"), String.join("; ", findings.fixes));
        } catch (UnusableObject e) {
            return CheckResult.failed(NAME, e.getMessage(), e.fix);
        }
    }

    /**
     * Timelines newer than the cluster's: the cluster did not come from them (its ancestors are all
     * older), so another server wrote them, and PostgreSQL's default recovery_target_timeline,
     * {@code latest}, would follow the newest of them. Which server: the lowest such timeline's oldest
     * archived segment names its database system. Another system's is another cluster archiving under this
     * server name. This system's, branched off the cluster's own timeline (timeline numbers alone prove
     * nothing: every cluster's timeline 2 branched off its timeline 1), was promoted from this cluster's
     * WAL: a copy that kept archive_command (a restore drill, a clone), or the new primary of a failover,
     * and then this cluster is the old primary still running beside it. Nothing in the archive tells those
     * two apart, so the fix names both: moving the new primary's timeline out of wals/ is the worst thing
     * to do in a split brain. Without a segment to read (or the cluster's identifier), all three remain.
     */
    private static void foreignTimelines(BlobStore store, ServerLayout layout, WalArchiveIndex index,
            WalContinuity.HistorySource histories, Cluster cluster, Findings findings) throws IOException {
        long own = cluster.timeline();
        SortedSet<Long> foreign = index.timelinesAfter(own);
        if (foreign.isEmpty()) {
            return;
        }
        long first = foreign.first();
        String example = index.historyKey(first).or(() -> index.firstKeyFromTimeline(first)).orElseThrow();
        String holds = "the archive holds timeline" + (foreign.size() == 1 ? " " : "s ")
                + String.join(", ", foreign.stream().map(String::valueOf).toList()) + " (e.g. " + example
                + "), newer than the cluster's timeline " + own;
        String otherClusterFix = "find the cluster that archived it (a restored or promoted copy that kept this"
                + " archive_command?), stop its archiving, then move its timeline's WAL and history file out of wals/";
        Optional<String> system = systemOf(store, layout, index, first);
        Optional<String> ours = cluster.systemIdentifier().map(SystemIdentifierCheck::normalize);
        if (system.isPresent() && ours.isPresent() && !system.get().equals(ours.get())) {
            findings.problems.add(holds + ", of another database system (its segments name system " + system.get()
                    + ", this cluster's is " + ours.get() + "): another cluster archives here under this server name,"
                    + " and a recovery to the latest timeline would follow it");
            findings.fixes.add(otherClusterFix);
            return;
        }
        OptionalLong fork = histories.history(first).map(h -> h.switchPoint(own)).orElse(OptionalLong.empty());
        if (fork.isEmpty()) {
            findings.problems.add(holds + ", so not one it came from: another cluster archives here, and a recovery"
                    + " to the latest timeline would follow it");
            findings.fixes.add(otherClusterFix);
            return;
        }
        long forkSegment = fork.getAsLong() / cluster.segmentSize();
        Optional<WalName> writing = cluster.writingWal().filter(WalName::isWalName).map(WalName::parse)
                .filter(w -> w.kind() == WalName.Kind.SEGMENT && w.timeline() == own);
        String where = writing.filter(w -> w.segmentNumber(cluster.segmentSize()) > forkSegment)
                .map(w -> ", and this cluster, still a primary, has written past that point (it writes " + w.name()
                        + ")")
                .orElse("");
        String promoted = "a copy that kept archive_command or the new primary of a failover, which makes this"
                + " cluster its old primary still running (a split brain)";
        boolean same = system.isPresent() && ours.isPresent();
        findings.problems.add(holds + ": timeline " + first + " branched off it at "
                + BackupCatalog.formatLsn(fork.getAsLong()) + where + (same
                        ? ", and its segments are of this database system: a server promoted from this cluster's WAL"
                                + " archives here, " + promoted
                        : "; no archived segment of it tells which database system wrote it: another cluster"
                                + " archiving under this server name, or a server promoted from this cluster's WAL, "
                                + promoted)
                + "; a recovery to the latest timeline would follow timeline " + first);
        String failoverFix = "if timeline " + first + " is a failover's new primary, stop this server now and rebuild"
                + " it as a standby of the new primary (pg_rewind, or a new base backup), and leave timeline " + first
                + " in the archive; if it is a copy's (a restore drill, a clone)" + (same ? "" : " or another cluster's")
                + ", stop that server's archiving, then move timeline " + first + "'s WAL and history file out of wals/";
        findings.fixes.add(same ? failoverFix : "compare the Database system identifier pg_controldata shows on the"
                + " server that archived timeline " + first + " with this cluster's; " + failoverFix);
    }

    /** The database system of {@code timeline}'s oldest archived segment, as backup.info writes it, if it can be read. */
    private static Optional<String> systemOf(BlobStore store, ServerLayout layout, WalArchiveIndex index,
            long timeline) throws IOException {
        OptionalLong oldest = index.oldestSegmentNumber(timeline);
        if (oldest.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> key = WalObjects.find(store, layout, index.segment(timeline, oldest.getAsLong()), false);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        try {
            OptionalLong system = io.cumulus.core.wal.WalRestorer.storedSystem(store, key.get());
            return system.isPresent() ? Optional.of(Long.toUnsignedString(system.getAsLong())) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // a copy that cannot be read or decoded: the gaps name it, if it matters
        }
    }

    /**
     * Whether the last WAL file PostgreSQL archived is in the store. PostgreSQL counts a file archived
     * when archive_command exits 0, and then recycles it: when the command stored nothing here the
     * store's chain just ends early, and recovery to the latest point would stop there silently. A
     * segment is looked up in the listing (so a truncated copy counts as there, and is named with the
     * gaps); the segments between the store's newest on its timeline and it are missing too. Another
     * WAL file (a history, .backup or .partial file) is looked up by its name.
     */
    private static void lastArchived(BlobStore store, ServerLayout layout, WalArchiveIndex index, Cluster cluster,
            Findings findings) throws IOException {
        Optional<WalName> last = cluster.lastArchivedWal().filter(WalName::isWalName).map(WalName::parse);
        if (last.isEmpty()) {
            return; // nothing archived since the statistics were reset, or ever (a standby with archive_mode on)
        }
        WalName wal = last.get();
        String where = store.describeKey(layout.walsPrefix());
        String archived = "PostgreSQL archived " + wal.name()
                + cluster.lastArchivedTime().map(t -> " at " + Durations.moment(t)).orElse("") + ", but " + where;
        String notHere = ": archive_command does not store WAL here (another endpoint, profile or prefix, a test or"
                + " stub command?)";
        String fix = "make archive_command store WAL under " + where + ", with the URL, server name, endpoint and"
                + " credentials this check uses (run it by hand as the postgres user on a file of pg_wal, and see it"
                + " arrive), then archive again the files still in pg_wal; recovery stops where the store's WAL ends";
        if (wal.kind() != WalName.Kind.SEGMENT) {
            if (WalObjects.find(store, layout, wal, false).isEmpty()) {
                findings.problems.add(archived + " does not hold it" + notHere);
                findings.fixes.add(fix);
            }
            return;
        }
        long timeline = wal.timeline();
        long number = wal.segmentNumber(index.segmentSize());
        OptionalLong newest = index.newestSegmentNumber(timeline, Long.MAX_VALUE);
        if (newest.isPresent() && newest.getAsLong() >= number) {
            // there (a truncated copy is named with the gaps), or lost among later ones, which the gaps name
            return;
        }
        if (newest.isEmpty()) {
            findings.problems.add(archived + " holds no segment of timeline " + timeline + notHere);
        } else {
            WalContinuity.Gap tail = new WalContinuity.Gap(index.segment(timeline, newest.getAsLong() + 1), wal,
                    List.of());
            findings.told.add(tail);
            findings.problems.add(archived + " ends at " + index.segment(timeline, newest.getAsLong()).name() + notHere
                    + "; " + (number - newest.getAsLong()) + " segment(s) PostgreSQL archived are missing: " + tail);
        }
        findings.fixes.add(fix);
    }

    /**
     * Ancestors of the followed timeline that a server still writes to after the fork: the old primary
     * of a failover, restarted with its archive_command, which the cluster's own timeline hides.
     */
    private static void abandonedTimelines(WalArchiveIndex index, TimelineHistory lineage, List<CatalogBackup> done,
            Findings findings) {
        List<String> problems = AbandonedTimelines.find(index, lineage, done);
        if (problems.isEmpty()) {
            return;
        }
        findings.problems.addAll(problems);
        findings.fixes.add("find the server still on the old timeline (the old primary of a failover?), stop it or"
                + " its archiving, then move that timeline's segments past the switch point out of wals/"
                + (problems.stream().anyMatch(p -> p.startsWith("backup ")) ? " and delete its backups with"
                        + " cumulus-backup-delete -b ID" : ""));
    }

    /** What failed, in order, each gap told once however many ranges need it, and each kind of fix once. */
    private static final class Findings {
        final List<String> problems = new ArrayList<>();
        final Set<String> fixes = new LinkedHashSet<>();
        /** The gaps told so far, so that no range names one again. */
        final List<WalContinuity.Gap> told = new ArrayList<>();

        void add(WalContinuity.Result result, String whose) {
            if (result.problem().isPresent()) {
                problems.add(whose + result.problem().get());
                fixes.add("archive the missing history file from pg_wal of the server that created the timeline"
                        + " (cumulus-wal-archive with its archive_command's options and pg_wal/<timeline>.history):"
                        + " a restore that promoted with archive_mode off never archives it");
            }
            List<WalContinuity.Gap> gaps = result.gaps().stream().filter(g -> told.stream().noneMatch(t -> within(g, t)))
                    .toList();
            if (!gaps.isEmpty()) {
                told.addAll(gaps);
                problems.add(whose + gaps.size() + " gap(s) in " + result.from() + " to " + result.to() + ": missing "
                        + String.join(", ", gaps.stream().map(Object::toString).toList()));
                fixes.add("recovery from backups before a gap stops at it: if the segments are still in pg_wal,"
                        + " archive them again (delete a truncated copy first; never the segment a server still"
                        + " writes, pg_walfile_name(pg_current_wal_lsn())); otherwise take a new base backup"
                        + " now, then delete the backups older than it (cumulus-backup-delete -b ID) or keep them"
                        + " standalone (cumulus-backup-keep --target standalone URL SERVER ID), since the chain"
                        + " checked starts at the oldest DONE backup that is not kept standalone");
            }
        }

        private static boolean within(WalContinuity.Gap gap, WalContinuity.Gap other) {
            return gap.first().timeline() == other.first().timeline() && gap.first().compareTo(other.first()) >= 0
                    && gap.last().compareTo(other.last()) <= 0;
        }
    }

    private static WalName beginWal(ServerLayout layout, CatalogBackup backup) {
        String value = backup.info().beginWal();
        if (!isSegment(value)) {
            String key = layout.backupPrefix(backup.id().value()) + "backup.info";
            throw new UnusableObject(key + " has begin_wal '" + value + "', which is not a WAL segment name",
                    "correct begin_wal in that backup.info (its backup_label's START WAL LOCATION names the segment),"
                            + " or delete the backup with cumulus-backup-delete -b " + backup.id().value());
        }
        return WalName.parse(value);
    }

    private static WalName endWal(ServerLayout layout, CatalogBackup backup) {
        String value = backup.info().endWal();
        if (value == null || !isSegment(value)) {
            String key = layout.backupPrefix(backup.id().value()) + "backup.info";
            throw new UnusableObject(key + (value == null ? " has no end_wal" : " has end_wal '" + value
                    + "', which is not a WAL segment name") + ", so the WAL its standalone keep needs is unknown",
                    "correct end_wal in that backup.info: the segment holding its end_xlog");
        }
        return WalName.parse(value);
    }

    /**
     * Whether {@code end}, the newest backup's end segment, is the one the primary writes now and so not
     * archived yet: a backup taken on a standby ends in the segment its primary writes (a standby cannot
     * switch segments), archived when the primary completes it. Not a gap, and archiving it by hand from
     * pg_wal would store an incomplete copy the primary's own archive_command is then refused against.
     */
    private static boolean stillWritten(WalArchiveIndex index, Optional<Cluster> cluster, WalName end) {
        long size = index.segmentSize();
        return cluster.flatMap(Cluster::writingWal).filter(WalName::isWalName).map(WalName::parse)
                .filter(w -> w.kind() == WalName.Kind.SEGMENT && w.timeline() == end.timeline()
                        && w.segmentNumber(size) == end.segmentNumber(size))
                .isPresent() && !index.hasSegment(end.timeline(), end.segmentNumber(size));
    }

    private static boolean isSegment(String name) {
        return WalName.isWalName(name) && WalName.parse(name).kind() == WalName.Kind.SEGMENT;
    }

    private static Optional<TimelineHistory> history(BlobStore store, WalArchiveIndex index, long timeline)
            throws IOException {
        if (timeline == 1) {
            return Optional.of(TimelineHistory.first());
        }
        Optional<String> key = index.historyKey(timeline);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(TimelineHistory.read(store, key.get(), timeline));
        } catch (IllegalArgumentException e) {
            throw new UnusableObject("cannot parse " + key.get() + ": " + e.getMessage(), "replace it with "
                    + WalName.history(timeline).name() + " from pg_wal of the server that created timeline " + timeline
                    + " (or from a copy of the archive)");
        }
    }
}
