package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
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
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalContinuityCheckTest {

    private static final long MB16 = 16L << 20;
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

    /** Segments stored compressed: a few bytes stand for a whole segment (an uncompressed one needs 16 MiB). */
    private void segments(long timeline, long from, long to) throws IOException {
        for (long s = from; s <= to; s++) {
            WalName wal = WalName.segment(timeline, 0, s);
            put(wal.hashDirectory() + "/" + wal.name() + ".gz", "WAL");
        }
    }

    private CheckResult check(OptionalLong clusterTimeline) throws IOException {
        return WalContinuityCheck.run(store, layout, backups, MB16, clusterTimeline);
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
        assertTrue(result.message().startsWith("the archive holds timeline 2 (e.g. pfx/main/wals/00000002.history),"
                + " newer than the cluster's timeline 1, so not one it came from"), result.message());
        assertTrue(result.message().contains("; 1 gap(s) in 000000010000000000000002 to 000000010000000000000009:"
                + " missing 000000010000000000000005"), result.message());
        assertTrue(result.fix().startsWith("find the cluster that archived it"), result.fix());
        assertTrue(result.fix().contains("archive them again"), result.fix());
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
        CheckResult result = WalContinuityCheck.run(store, layout, withTheOldPrimarys, MB16, OptionalLong.of(2));
        assertFalse(result.ok(), result.toString());
        assertTrue(result.message().contains("; backup 20261201T000000 began on timeline 1 at 0/3D000028, past its"
                + " switch point 0/3C0000A0 to timeline 2, after 00000002.history was archived: a backup of another"
                + " server (the old primary?), which no recovery along timeline 2 can start from"), result.message());
        assertTrue(result.fix().contains("delete its backups with cumulus-backup-delete -b ID"), result.fix());
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
        assertTrue(result.fix().contains("archive them again (delete a truncated copy first)"), result.fix());
    }
}
