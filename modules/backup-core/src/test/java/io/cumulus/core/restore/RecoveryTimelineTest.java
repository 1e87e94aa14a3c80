package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which backups {@code auto} may choose along a timeline's history, read from an in-memory store. */
class RecoveryTimelineTest {

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final ServerLayout layout = new ServerLayout("pfx", "main");

    private void history(String key, Compression compression, String text) throws IOException {
        try (BlobOutputStream blob = store.openWrite(layout.walsPrefix() + key, WriteOptions.DEFAULT);
                OutputStream out = compression.compress(blob, CompressionLevel.DEFAULT)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static BackupInfo backup(int timeline, String endXlog) {
        return BackupInfo.builder().status(BackupStatus.DONE).timeline(timeline).endXlog(endXlog).build();
    }

    /** Timeline 2 left timeline 1 at 0/3C0000A0, timeline 3 left timeline 2 at 0/50000000. */
    private void twoFailovers() throws IOException {
        history("00000002.history", Compression.NONE, "1\t0/3C0000A0\tno recovery target specified\n");
        history("00000003.history.gz", Compression.GZIP,
                "1\t0/3C0000A0\tno recovery target specified\n\n2\t0/50000000\tno recovery target specified\n");
    }

    @Test
    void latestFollowsTheNewestHistoryUpToEachAncestorsSwitchPoint() throws IOException {
        twoFailovers();
        RecoveryTimeline latest = RecoveryTimeline.latest(store, layout);
        assertTrue(latest.admits(backup(3, "0/60000000")));
        assertTrue(latest.admits(backup(2, "0/50000000")), "a backup ending at the switch point");
        assertFalse(latest.admits(backup(2, "0/50000001")));
        assertTrue(latest.admits(backup(1, "0/3C0000A0")));
        assertFalse(latest.admits(backup(1, "0/3D000100")), "the old primary's backup after the fork");
        assertFalse(latest.admits(backup(4, "0/10000000")), "a timeline not on the way");
        assertEquals(" on timeline 3 or, before its history (00000003.history) leaves them, on timeline 1 up to"
                + " 0/3C0000A0, timeline 2 up to 0/50000000", latest.toString());
    }

    @Test
    void aNumberedTimelineFollowsItsOwnHistoryNotTheNewest() throws IOException {
        twoFailovers();
        RecoveryTimeline two = RecoveryTimeline.along(store, layout, 2);
        assertTrue(two.admits(backup(2, "0/60000000")), "on timeline 2 itself: past its own switch is fine");
        assertTrue(two.admits(backup(1, "0/30000000")));
        assertFalse(two.admits(backup(3, "0/60000000")));
    }

    @Test
    void aNumberedTimelineWithoutItsHistoryFileMatchesExactlyAndSaysWhy() throws IOException {
        RecoveryTimeline two = RecoveryTimeline.along(store, layout, 2);
        assertTrue(two.admits(backup(2, "0/60000000")));
        assertFalse(two.admits(backup(1, "0/30000000")));
        assertEquals(" on timeline 2 (00000002.history is not archived, so its ancestors' backups cannot be told)",
                two.toString());
    }

    @Test
    void withoutAnyHistoryLatestAdmitsEveryTimeline() throws IOException {
        RecoveryTimeline latest = RecoveryTimeline.latest(store, layout);
        assertTrue(latest.admits(backup(1, "0/3D000100")));
        assertEquals("", latest.toString());
    }

    @Test
    void anUnparsableHistoryFileIsNamed() throws IOException {
        history("00000002.history", Compression.NONE, "not a history\n");
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> RecoveryTimeline.latest(store, layout));
        assertTrue(e.getMessage().startsWith("cannot parse pfx/main/wals/00000002.history: "), e.getMessage());
    }
}
