package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import org.junit.jupiter.api.Test;

class WalNameTest {

    @Test
    void parsesEveryKindOfWalFile() {
        WalName segment = WalName.parse("000000010000000A000000FE");
        assertEquals(WalName.Kind.SEGMENT, segment.kind());
        assertEquals(1, segment.timeline());
        assertEquals(10, segment.log());
        assertEquals(254, segment.segment());
        assertEquals(WalName.Kind.PARTIAL, WalName.parse("000000010000000000000011.partial").kind());
        assertEquals(WalName.Kind.BACKUP_LABEL, WalName.parse("000000010000000000000004.00000028.backup").kind());
        WalName history = WalName.parse("00000002.history");
        assertEquals(WalName.Kind.HISTORY, history.kind());
        assertEquals(2, history.timeline());
    }

    @Test
    void rejectsNamesThatAreNotWal() {
        for (String bad : new String[] {"", "RECOVERYXLOG", "00000001000000000000000", "0000000100000000000000001",
                "000000010000000000000001.gz", "00000001.history.gz", "000000010000000000000001.partial.x",
                "../000000010000000000000001", "00000001000000000000000G"}) {
            assertThrows(InvalidInputException.class, () -> WalName.parse(bad), bad);
            assertFalse(WalName.isWalName(bad), bad);
        }
    }

    @Test
    void hashDirectoryIsTimelineAndLogInUpperCaseAndEmptyForHistory() {
        assertEquals("000000010000000A", WalName.parse("000000010000000a000000fe").hashDirectory());
        assertEquals("0000000100000000", WalName.parse("000000010000000000000004.00000028.backup").hashDirectory());
        assertEquals("", WalName.parse("00000002.history").hashDirectory());
    }

    @Test
    void nextSegmentCrossesTheLogBoundary() {
        long sixteenMiB = 16L << 20;
        assertEquals("000000010000000000000002", WalName.parse("000000010000000000000001").next(sixteenMiB).name());
        assertEquals("000000010000000100000000", WalName.parse("0000000100000000000000FF").next(sixteenMiB).name());
        assertEquals("000000010000000100000000",
                WalName.parse("000000010000000000000FFF").next(1L << 20).name());
        assertTrue(WalName.parse("000000010000000100000000").compareTo(WalName.parse("0000000100000000000000FF")) > 0);
    }

    @Test
    void previousSegmentCrossesTheLogBoundaryBackwards() {
        long sixteenMiB = 16L << 20;
        assertEquals("000000010000000000000001", WalName.parse("000000010000000000000002").previous(sixteenMiB).name());
        assertEquals("0000000100000000000000FF", WalName.parse("000000010000000100000000").previous(sixteenMiB).name());
        assertEquals("000000010000000000000FFF", WalName.parse("000000010000000100000000").previous(1L << 20).name());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> WalName.parse("000000010000000000000000").previous(sixteenMiB));
    }
}
