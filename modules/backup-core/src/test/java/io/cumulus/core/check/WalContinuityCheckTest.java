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
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalContinuityCheckTest {

    private static final long MB16 = 16L << 20;
    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final ServerLayout layout = new ServerLayout("pfx", "main");
    private final List<CatalogBackup> backups = List.of(CatalogBackup.of(new BackupId("20261101T000000"),
            BackupInfo.builder().status(BackupStatus.DONE).timeline(1).beginWal("000000010000000000000002")
                    .endWal("000000010000000000000003").build()));

    private void put(String relativeKey, String content) throws IOException {
        try (BlobOutputStream out = store.openWrite(layout.walsPrefix() + relativeKey, WriteOptions.DEFAULT)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void segments(long timeline, long from, long to) throws IOException {
        for (long s = from; s <= to; s++) {
            WalName wal = WalName.segment(timeline, 0, s);
            put(wal.hashDirectory() + "/" + wal.name(), "WAL");
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
}
