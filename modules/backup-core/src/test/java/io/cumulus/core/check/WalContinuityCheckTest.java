package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalContinuityCheckTest {

    private static final long MB16 = 16L << 20;
    private static final OffsetDateTime ARCHIVED_AT = OffsetDateTime.parse("2026-12-07T09:50:01Z");
    /** Each object stored one second after the one before, so what was archived after what is certain. */
    private final InMemoryBlobStore store = new InMemoryBlobStore(new Clock() {
        private Instant now = Instant.parse("2026-11-01T00:00:00Z");

        @Override
        public synchronized Instant instant() {
            now = now.plusSeconds(1);
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    });
    private final ServerLayout layout = new ServerLayout("pfx", "main");
    private final List<CatalogBackup> backups = List.of(CatalogBackup.of(new BackupId("20261101T000000"),
            BackupInfo.builder().status(BackupStatus.DONE).timeline(1).beginWal("000000010000000000000002")
                    .endWal("000000010000000000000003").build()));

    private void put(String relativeKey, String content) throws IOException {
        try (BlobOutputStream out = store.openWrite(layout.walsPrefix() + relativeKey, WriteOptions.DEFAULT)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The check of {@code catalog}, whose backup.info objects are stored, as they are when it was just read. */
    private CheckResult runStored(List<CatalogBackup> catalog, Optional<WalContinuityCheck.Cluster> cluster)
            throws IOException {
        for (CatalogBackup b : catalog) {
            try (BlobOutputStream out = store.openWrite(layout.backupPrefix(b.id().value()) + "backup.info",
                    WriteOptions.DEFAULT)) {
                out.write(b.info().format().getBytes(StandardCharsets.UTF_8));
            }
        }
        return WalContinuityCheck.run(store, layout, catalog, cluster);
    }

    /** Segments stored compressed: a few bytes stand for a whole segment (an uncompressed one needs 16 MiB). */
    private void segments(long timeline, long from, long to) throws IOException {
        for (long s = from; s <= to; s++) {
            WalName wal = WalName.segment(timeline, 0, s);
            put(wal.hashDirectory() + "/" + wal.name() + ".gz", "WAL");
        }
    }

    /**
     * Segment {@code n} of {@code timeline}, gzip-compressed, holding only the long page header PostgreSQL
     * starts a segment with: database system {@code system}, 16 MiB segments, 8 kB blocks.
     */
    private void segmentOfSystem(long timeline, long n, long system) throws IOException {
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.nativeOrder());
        header.putShort(0, (short) 0xD110).putShort(2, (short) 0x0002).putInt(4, (int) timeline)
                .putLong(24, system).putInt(32, (int) MB16).putInt(36, 8192);
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzipped)) {
            out.write(header.array());
        }
        WalName wal = WalName.segment(timeline, 0, n);
        try (BlobOutputStream out = store.openWrite(layout.walsPrefix() + wal.hashDirectory() + "/" + wal.name() + ".gz",
                WriteOptions.DEFAULT)) {
            out.write(gzipped.toByteArray());
        }
    }

    /** A primary on timeline 1 writing {@code writing}, of database system {@code system}. */
    private static Optional<WalContinuityCheck.Cluster> primary(String writing, long system) {
        return Optional.of(new WalContinuityCheck.Cluster(1, MB16, Optional.empty(), Optional.empty(),
                Optional.of(writing), Optional.of(Long.toUnsignedString(system))));
    }

    private CheckResult check(OptionalLong clusterTimeline) throws IOException {
        return runStored(backups, clusterTimeline.isPresent()
                ? Optional.of(new WalContinuityCheck.Cluster(clusterTimeline.getAsLong(), MB16, Optional.empty(),
                        Optional.empty())) : Optional.empty());
    }

    /** The check of a cluster on timeline 1 whose pg_stat_archiver.last_archived_wal is {@code lastArchived}. */
    private CheckResult checkArchived(List<CatalogBackup> catalog, long timeline, String lastArchived)
            throws IOException {
        return runStored(catalog, Optional.of(new WalContinuityCheck.Cluster(timeline,
                MB16, Optional.ofNullable(lastArchived), Optional.ofNullable(lastArchived).map(w -> ARCHIVED_AT))));
    }

    /**
     * The cluster lives on timeline 1 and lost segment 5; a restore drill elsewhere, from the same
     * backup, kept archive_command and was promoted at 0/4000100, so timeline 2 holds 4 to 8.
     */
    private void aDrillsTimelineOverALiveGap() throws IOException {
        segments(1, 2, 4);
        segments(1, 6, 9);
        put("00000002.history", "1\t0/4000100\tno recovery target specified\n");
        segments(2, 4, 8);
    }

    @Test
    void anotherClustersNewerTimelineNeitherHidesAGapOnTheClustersTimelineNorPasses() throws IOException {
        aDrillsTimelineOverALiveGap();
        CheckResult result = check(OptionalLong.of(1));
        assertFalse(result.ok(), result.toString());
        // its segments here are no WAL, so nothing tells its database system
        assertTrue(result.message().startsWith("the archive holds timeline 2 (e.g. pfx/main/wals/00000002.history),"
                + " newer than the cluster's timeline 1: timeline 2 branched off it at 0/4000100; no archived segment"
                + " of it tells which database system wrote it: another cluster archiving under this server name, or a"
                + " server promoted from this cluster's WAL"), result.message());
        assertTrue(result.message().contains("; 1 gap(s) in 000000010000000000000002 to 000000010000000000000009:"
                + " missing 000000010000000000000005"), result.message());
        assertTrue(result.fix().contains("if it is a copy's (a restore drill, a clone) or another cluster's, stop that"
                + " server's archiving, then move timeline 2's WAL and history file out of wals/"), result.fix());
        assertTrue(result.fix().contains("archive them again"), result.fix());
    }

    /**
     * The old primary of a failover, still running: the new primary's timeline branched off its own
     * behind the segment it writes. The fix must not tell it to move the new primary's timeline away
     * without saying that this server is the one to stop when the timeline is a failover's.
     */
    @Test
    void aPrimaryPastTheForkOfANewerTimelineOfItsOwnSystemIsToldItMayBeTheOldPrimaryOfAFailover() throws IOException {
        segments(1, 2, 9);
        put("00000002.history", "1\t0/8000128\tno recovery target specified\n");
        segmentOfSystem(2, 8, 7716684771529315022L);
        CheckResult result = runStored(backups, primary("00000001000000000000000A", 7716684771529315022L));
        assertFalse(result.ok(), result.toString());
        assertEquals("the archive holds timeline 2 (e.g. pfx/main/wals/00000002.history), newer than the cluster's"
                + " timeline 1: timeline 2 branched off it at 0/8000128, and this cluster, still a primary, has written"
                + " past that point (it writes 00000001000000000000000A), and its segments are of this database"
                + " system: a server promoted from this cluster's WAL archives here, a copy that kept archive_command"
                + " or the new primary of a failover, which makes this cluster its old primary still running (a split"
                + " brain); a recovery to the latest timeline would follow timeline 2", result.message());
        assertTrue(result.fix().startsWith("if timeline 2 is a failover's new primary, stop this server now and"
                + " rebuild it as a standby of the new primary (pg_rewind, or a new base backup), and leave timeline 2"
                + " in the archive"), result.fix());
    }

    /**
     * Every cluster's timeline 2 branched off its timeline 1: another database system's (its segments'
     * headers say so) is another cluster's, whatever its history file says, and this server is not told
     * to stop.
     */
    @Test
    void aNewerTimelineOfAnotherDatabaseSystemIsAnotherClustersEvenWhenItsHistoryStartsAtTimeline1()
            throws IOException {
        segments(1, 2, 9);
        put("00000002.history", "1\t0/3000000\tno recovery target specified\n");
        segmentOfSystem(2, 3, 7716684911465585953L);
        CheckResult result = runStored(backups, primary("00000001000000000000000A", 7716684771529315022L));
        assertFalse(result.ok(), result.toString());
        assertEquals("the archive holds timeline 2 (e.g. pfx/main/wals/00000002.history), newer than the cluster's"
                + " timeline 1, of another database system (its segments name system 7716684911465585953, this"
                + " cluster's is 7716684771529315022): another cluster archives here under this server name, and a"
                + " recovery to the latest timeline would follow it", result.message());
        assertTrue(result.fix().startsWith("find the cluster that archived it"), result.fix());
    }

    /**
     * A backup taken on a standby ends in the segment its primary writes, archived once the primary
     * completes it: no gap while it is that segment, and no advice to archive it by hand from pg_wal
     * (an incomplete copy the primary's own archive_command would then be refused against).
     */
    @Test
    void theNewestBackupsEndSegmentThePrimaryStillWritesIsNoGapButOnceItWritesPastItIs() throws IOException {
        segments(1, 2, 2);
        CheckResult writing = runStored(backups, primary("000000010000000000000003", 7716684771529315022L));
        assertTrue(writing.ok(), writing.toString());
        assertEquals("every segment from 000000010000000000000002 to 000000010000000000000002 is archived (from the"
                + " oldest DONE backup 20261101T000000); the newest backup 20261101T000000 ends in"
                + " 000000010000000000000003, the segment the primary still writes: it is archived once complete,"
                + " and the backup cannot be restored until then (SELECT pg_switch_wal() on the primary completes it"
                + " now; archive_timeout bounds the wait)", writing.message());

        CheckResult past = runStored(backups, primary("000000010000000000000004", 7716684771529315022L));
        assertFalse(past.ok(), past.toString());
        assertTrue(past.message().contains("missing 000000010000000000000003"), past.message());
    }

    /** The first backup of a quiet primary, taken on a standby, begins and ends in the segment being written. */
    @Test
    void aFirstBackupInTheSegmentThePrimaryStillWritesHasNoSegmentDueYet() throws IOException {
        List<CatalogBackup> first = List.of(CatalogBackup.of(new BackupId("20261101T000000"),
                BackupInfo.builder().status(BackupStatus.DONE).timeline(1).beginWal("000000010000000000000004")
                        .endWal("000000010000000000000004").build()));
        segments(1, 2, 3);
        CheckResult result = runStored(first, primary("000000010000000000000004", 7716684771529315022L));
        assertTrue(result.ok(), result.toString());
        assertTrue(result.message().startsWith("no segment is due yet: the DONE backup 20261101T000000 begins and ends"
                + " in 000000010000000000000004, the segment the primary still writes"), result.message());
    }

    /** A newer timeline whose history does not come from the cluster's (or is not archived) is another cluster's. */
    @Test
    void aNewerTimelineNotBranchedOffTheClustersIsAnotherClustersToMoveAway() throws IOException {
        segments(1, 2, 9);
        put("00000003.history", "2\t0/4000100\tno recovery target specified\n");
        segments(3, 4, 5);
        CheckResult result = check(OptionalLong.of(1));
        assertFalse(result.ok(), result.toString());
        assertEquals("the archive holds timeline 3 (e.g. pfx/main/wals/00000003.history), newer than the cluster's"
                + " timeline 1, so not one it came from: another cluster archives here, and a recovery to the latest"
                + " timeline would follow it", result.message());
        assertTrue(result.fix().startsWith("find the cluster that archived it"), result.fix());
    }

    @Test
    void withoutTheClustersTimelineTheHighestIsFollowedAndTheMessageSaysSo() throws IOException {
        aDrillsTimelineOverALiveGap();
        CheckResult result = check(OptionalLong.empty());
        assertTrue(result.ok(), result.toString());
        assertEquals("every segment from 000000010000000000000002 to 000000020000000000000008 is archived (from the"
                + " oldest DONE backup 20261101T000000; followed the highest archived timeline 2, as PostgreSQL could"
                + " not be reached to tell the cluster's own)", result.message());
    }

    @Test
    void theClustersOwnNewerTimelineIsFollowedThroughItsHistory() throws IOException {
        segments(1, 2, 4);
        segments(1, 5, 7); // the old primary went on writing past the switch: not on the way
        put("00000002.history", "1\t0/5000100\tno recovery target specified\n");
        segments(2, 5, 8);
        CheckResult result = check(OptionalLong.of(2));
        assertEquals("every segment from 000000010000000000000002 to 000000020000000000000008 is archived (from the"
                + " oldest DONE backup 20261101T000000)", result.message());
        assertTrue(result.ok());
    }

    @Test
    void rightAfterAPromotionTheOldTimelineCountsOnlyUpToTheSwitch() throws IOException {
        // timeline 2 has its history file but no segment yet; timeline 1's segments past the switch are not needed
        segments(1, 2, 4);
        segments(1, 7, 8);
        put("00000002.history", "1\t0/5000100\tno recovery target specified\n");
        for (OptionalLong timeline : List.of(OptionalLong.of(2), OptionalLong.empty())) {
            CheckResult result = check(timeline);
            assertTrue(result.ok(), result.toString());
            assertTrue(result.message().startsWith("every segment from 000000010000000000000002 to"
                    + " 000000010000000000000004 is archived"), result.message());
        }
    }

    @Test
    void olderTimelinesTheClusterDidNotComeFromAreNotItsConcern() throws IOException {
        // timeline 2 was an abandoned branch; the cluster came to timeline 3 from timeline 1
        segments(1, 2, 4);
        put("00000002.history", "1\t0/4000000\tdrill\n");
        segments(2, 4, 4);
        put("00000003.history", "1\t0/5000000\tfailover\n");
        segments(3, 5, 6);
        CheckResult result = check(OptionalLong.of(3));
        assertTrue(result.ok(), result.toString());
        assertTrue(result.message().contains("to 000000030000000000000006"), result.message());
    }

    /**
     * The reviewer's failover: the standby was promoted to timeline 2 at 0/3C0000A0; the old primary,
     * restarted on timeline 1, went on archiving its full 3C and then 3D into the same prefix.
     */
    private void anOldPrimaryArchivesPastTheFork() throws IOException {
        segments(1, 2, 0x3B);
        put("00000002.history", "1\t0/3C0000A0\tno recovery target specified\n");
        put("00000001000000000000003C.partial", "WAL");
        segments(2, 0x3C, 0x3E);
        segments(1, 0x3C, 0x3D);
    }

    @Test
    void anOldPrimaryStillArchivingTheTimelineItWasLeftOnFailsTheCheckOfTheNewOne() throws IOException {
        anOldPrimaryArchivesPastTheFork();
        segments(1, 0x3C, 0x3C); // archived again, later: 3D must still count
        for (OptionalLong timeline : List.of(OptionalLong.of(2), OptionalLong.empty())) {
            CheckResult result = check(timeline);
            assertFalse(result.ok(), result.toString());
            assertTrue(result.message().startsWith("timeline 1 has segments archived past its switch point 0/3C0000A0 to"
                    + " timeline 2 after 00000002.history was (e.g. 00000001000000000000003D): another server (the old"
                    + " primary?) still archives timeline 1 here"), result.message());
            assertTrue(result.fix().startsWith("find the server still on the old timeline"), result.fix());
            assertFalse(result.fix().contains("cumulus-backup-delete"), result.fix());
        }
    }

    @Test
    void segmentsPastTheSwitchPointArchivedBeforeTheForkAndTheOldPrimarysSwitchSegmentAreNotASign()
            throws IOException {
        // a point-in-time recovery to 0/3C0000A0 from timeline 1, which had archived up to 0x40 before it;
        // then the old primary's full copy of the switch segment, archived after the fork
        segments(1, 2, 0x40);
        put("00000002.history", "1\t0/3C0000A0\tbefore 2026-11-01 00:03:00+00\n");
        segments(2, 0x3C, 0x3E);
        segments(1, 0x3C, 0x3C);
        CheckResult result = check(OptionalLong.of(2));
        assertTrue(result.ok(), result.toString());
    }

    @Test
    void aServerStillArchivingTheMiddleTimelineOfTheHistoryFailsTheCheck() throws IOException {
        segments(1, 2, 0x3B);
        put("00000002.history", "1\t0/3C0000A0\tfailover\n");
        segments(2, 0x3C, 0x4F);
        put("00000003.history", "1\t0/3C0000A0\tfailover\n2\t0/50000000\tfailover\n");
        segments(3, 0x50, 0x52);
        segments(2, 0x50, 0x51);
        CheckResult result = check(OptionalLong.of(3));
        assertFalse(result.ok(), result.toString());
        assertTrue(result.message().startsWith("timeline 2 has segments archived past its switch point 0/50000000 to"
                + " timeline 3 after 00000003.history was (e.g. 000000020000000000000051)"), result.message());
        assertFalse(result.message().contains("timeline 1 has"), result.message());
    }

    @Test
    void aBackupTheOldPrimaryTookAfterTheForkFailsTheCheck() throws IOException {
        anOldPrimaryArchivesPastTheFork();
        OffsetDateTime longAfter = OffsetDateTime.parse("2026-12-01T00:00:00Z");
        List<CatalogBackup> withTheOldPrimarys = List.of(backups.get(0), CatalogBackup.of(new BackupId("20261201T000000"),
                BackupInfo.builder().status(BackupStatus.DONE).timeline(1).beginWal("00000001000000000000003D")
                        .beginXlog("0/3D000028").beginTime(longAfter).endWal("00000001000000000000003D")
                        .endXlog("0/3D000100").endTime(longAfter).build()));
        CheckResult result = runStored(withTheOldPrimarys, Optional.of(
                new WalContinuityCheck.Cluster(2, MB16, Optional.empty(), Optional.empty())));
        assertFalse(result.ok(), result.toString());
        assertTrue(result.message().contains("; backup 20261201T000000 began on timeline 1 at 0/3D000028, past its"
                + " switch point 0/3C0000A0 to timeline 2, after 00000002.history was archived: a backup of another"
                + " server (the old primary?), which no recovery along timeline 2 can start from"), result.message());
        assertTrue(result.fix().contains("delete its backups with cumulus-backup-delete -b ID"), result.fix());
    }

    private static CatalogBackup done(String id, String beginWal, String endWal) {
        return CatalogBackup.of(new BackupId(id), BackupInfo.builder().status(BackupStatus.DONE).timeline(1)
                .beginWal(beginWal).endWal(endWal).build());
    }

    @Test
    void aSegmentPostgresqlArchivedThatIsNotInTheStoreFailsNamingTheSegmentsMissingAfterTheStoresNewest()
            throws IOException {
        // archive_command = '/bin/true', or one that stores elsewhere: the store stopped at 1A
        segments(1, 2, 0x1A);
        CheckResult result = checkArchived(backups, 1, "00000001000000000000001D");
        assertFalse(result.ok(), result.toString());
        assertEquals("PostgreSQL archived 00000001000000000000001D at 2026-12-07 09:50:01+00:00, but"
                + " memory:/pfx/main/wals/ ends at 00000001000000000000001A: archive_command does not store WAL here"
                + " (another endpoint, profile or prefix, a test or stub command?); 3 segment(s) PostgreSQL archived"
                + " are missing: 00000001000000000000001B to 00000001000000000000001D", result.message());
        assertTrue(result.fix().startsWith("make archive_command store WAL under memory:/pfx/main/wals/, with the URL,"
                + " server name, endpoint and credentials this check uses"), result.fix());
    }

    @Test
    void theLastArchivedSegmentInTheStoreOrBehindItsNewestPasses() throws IOException {
        segments(1, 2, 0x1A);
        assertTrue(checkArchived(backups, 1, "00000001000000000000001A").ok());
        // PostgreSQL is read before the store is listed: segments archived in between are no alarm
        assertTrue(checkArchived(backups, 1, "000000010000000000000010").ok());
    }

    @Test
    void nothingArchivedSinceTheStatisticsWereResetNorOnAStandbyIsNoAlarm() throws IOException {
        segments(1, 2, 0x1A);
        assertTrue(checkArchived(backups, 1, null).ok());
    }

    @Test
    void theNewestBackupsEndMissingWithTheTailIsToldOnce() throws IOException {
        segments(1, 2, 0x1A);
        CheckResult result = checkArchived(List.of(done("20261101T000000", "000000010000000000000002",
                "00000001000000000000001C")), 1, "00000001000000000000001D");
        assertFalse(result.ok(), result.toString());
        assertTrue(result.message().endsWith("3 segment(s) PostgreSQL archived are missing: 00000001000000000000001B"
                + " to 00000001000000000000001D"), result.message());
        assertFalse(result.message().contains("gap(s)"), result.message());
    }

    @Test
    void afterATimelineSwitchTheNewTimelinesFilesAreLookedForByName() throws IOException {
        segments(1, 2, 4);
        put("0000000100000000/000000010000000000000005.partial", "WAL");
        put("00000002.history", "1\t0/5000100\tno recovery target specified\n");
        segments(2, 5, 8);
        for (String archived : List.of("00000002.history", "000000010000000000000005.partial",
                "000000020000000000000008", "000000010000000000000004")) {
            CheckResult result = checkArchived(backups, 2, archived);
            assertTrue(result.ok(), archived + ": " + result);
        }
        CheckResult result = checkArchived(backups, 2, "00000002000000000000000A");
        assertTrue(result.message().startsWith("PostgreSQL archived 00000002000000000000000A at 2026-12-07"
                + " 09:50:01+00:00, but memory:/pfx/main/wals/ ends at 000000020000000000000008: archive_command does"
                + " not store WAL here"), result.message());
        assertTrue(result.message().endsWith("2 segment(s) PostgreSQL archived are missing: 000000020000000000000009"
                + " to 00000002000000000000000A"), result.message());

        // promoted again, and neither the history file nor the first segment of timeline 3 arrived
        put("00000003.history", "1\t0/5000100\tno recovery target specified\n2\t0/9000000\tfailover\n");
        result = checkArchived(backups, 3, "000000030000000000000009");
        assertTrue(result.message().startsWith("PostgreSQL archived 000000030000000000000009 at 2026-12-07"
                + " 09:50:01+00:00, but memory:/pfx/main/wals/ holds no segment of timeline 3: archive_command does not"
                + " store WAL here"), result.message());
        store.delete(layout.walsPrefix() + "00000003.history");
        result = checkArchived(backups, 3, "00000003.history");
        assertTrue(result.message().startsWith("PostgreSQL archived 00000003.history at 2026-12-07 09:50:01+00:00, but"
                + " memory:/pfx/main/wals/ does not hold it: archive_command does not store WAL here"),
                result.message());
    }

    @Test
    void truncatedAndEmptyCopiesOfSegmentsAreGapsNamedWithWhatIsWrong() throws IOException {
        segments(1, 2, 0x22);
        try (BlobOutputStream out = store.openWrite(layout.walsPrefix() + "0000000100000000/000000010000000000000023",
                WriteOptions.DEFAULT)) {
            out.write(new byte[(int) MB16]); // a whole uncompressed segment
        }
        put("0000000100000000/000000010000000000000024", "");
        put("0000000100000000/000000010000000000000024.gz", "WAL"); // cumulus-wal-restore takes the first listed
        put("0000000100000000/000000010000000000000025", "x".repeat(1000));
        segments(1, 0x26, 0x27);
        put("0000000100000000/000000010000000000000028.gz", "");
        CheckResult result = check(OptionalLong.of(1));
        assertFalse(result.ok(), result.toString());
        assertEquals("2 gap(s) in 000000010000000000000002 to 000000010000000000000028: missing 000000010000000000000024"
                + " to 000000010000000000000025 (000000010000000000000024 is 0 bytes, not a 16 MiB segment;"
                + " 000000010000000000000025 is 1000 bytes, not a 16 MiB segment), 000000010000000000000028"
                + " (000000010000000000000028.gz is 0 bytes, not a compressed segment)", result.message());
        assertTrue(result.fix().contains("archive them again (delete a truncated copy first; never the segment a server still writes"), result.fix());
    }

    /**
     * Review 21 (segsize): the server name once held a 1 MiB cluster, whose 000000010000000000000100 was numbered
     * as this 16 MiB cluster's 256th segment, 000000010000000100000000, and hid that segment's gap: the check
     * said OK and the restore failed. No 16 MiB cluster writes that name: the gap shows.
     */
    @Test
    void walOfAnotherSegmentSizeFillsNoGap() throws IOException {
        segments(1, 2, 0xFF);
        put("0000000100000000/000000010000000000000100.gz", "WAL"); // a 1 MiB cluster's
        for (long s = 1; s <= 2; s++) {
            WalName wal = WalName.segment(1, 1, s);
            put(wal.hashDirectory() + "/" + wal.name() + ".gz", "WAL");
        }
        CheckResult result = check(OptionalLong.of(1));
        assertFalse(result.ok(), result.toString());
        assertEquals("1 gap(s) in 000000010000000000000002 to 000000010000000100000002: missing"
                + " 000000010000000100000000", result.message());
    }

    @Test
    void aGapIsClearedByANewBackupOnceTheOlderAreDeletedOrKeptStandalone() throws IOException {
        segments(1, 2, 4);
        segments(1, 6, 9); // 5 was lost
        CatalogBackup before = done("20261101T000000", "000000010000000000000002", "000000010000000000000003");
        CatalogBackup after = done("20261102T000000", "000000010000000000000008", "000000010000000000000008");
        CheckResult result = checkArchived(List.of(before, after), 1, "000000010000000000000009");
        assertFalse(result.ok(), "a new backup alone does not clear it: " + result);
        assertTrue(result.fix().contains("take a new base backup now, then delete the backups older than it"
                + " (cumulus-backup-delete -b ID) or keep them standalone (cumulus-backup-keep --target standalone"
                + " URL SERVER ID)"), result.fix());

        CatalogBackup kept = new CatalogBackup(before.id(), before.info(), Optional.of(Keep.STANDALONE));
        assertTrue(checkArchived(List.of(kept, after), 1, "000000010000000000000009").ok());
        assertTrue(checkArchived(List.of(after), 1, "000000010000000000000009").ok());
    }

    /**
     * A cumulus-backup-delete between the catalog's read and the listing of wals/: the oldest backup
     * read is gone, with the WAL only it needed. No gap: the chain starts at the oldest backup whose
     * backup.info is still there. A backup still there whose WAL is missing still fails.
     */
    @Test
    void aBackupDeletedSinceTheCatalogWasReadDoesNotMakeAGapButOneStillThereDoes() throws IOException {
        CatalogBackup deleted = backups.get(0);
        CatalogBackup kept = CatalogBackup.of(new BackupId("20261102T000000"), BackupInfo.builder()
                .status(BackupStatus.DONE).timeline(1).beginWal("000000010000000000000008")
                .endWal("000000010000000000000009").build());
        try (BlobOutputStream out = store.openWrite(layout.backupPrefix(kept.id().value()) + "backup.info",
                WriteOptions.DEFAULT)) {
            out.write(kept.info().format().getBytes(StandardCharsets.UTF_8));
        }
        segments(1, 8, 12);
        CheckResult ok = WalContinuityCheck.run(store, layout, List.of(deleted, kept), Optional.empty());
        assertTrue(ok.ok(), ok.toString());
        assertTrue(ok.message().contains("from the oldest DONE backup 20261102T000000"), ok.message());

        try (BlobOutputStream out = store.openWrite(layout.backupPrefix(deleted.id().value()) + "backup.info",
                WriteOptions.DEFAULT)) {
            out.write(deleted.info().format().getBytes(StandardCharsets.UTF_8));
        }
        CheckResult gap = WalContinuityCheck.run(store, layout, List.of(deleted, kept), Optional.empty());
        assertFalse(gap.ok(), gap.toString());
        assertTrue(gap.message().contains("000000010000000000000002"), gap.message());
    }
}
