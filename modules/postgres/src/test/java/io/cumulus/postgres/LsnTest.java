package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import org.junit.jupiter.api.Test;

class LsnTest {

    private static final long SIXTEEN_MIB = 16L << 20;

    @Test
    void parsesAndPrintsPostgresTextForm() {
        assertEquals(0x4000028L, Lsn.parse("0/4000028").value());
        assertEquals("0/4000028", Lsn.parse("0/4000028").toString());
        assertEquals("1A/B", Lsn.parse("1a/0000000b").toString());
        assertEquals("FFFFFFFF/FFFFFFFF", new Lsn(-1L).toString());
        assertEquals(-1L, Lsn.parse("FFFFFFFF/FFFFFFFF").value());
    }

    @Test
    void rejectsTextThatIsNotALocation() {
        for (String bad : new String[] {"", "0", "0/", "/1", "0/123456789", "x/1", "0-1"}) {
            assertThrows(InvalidInputException.class, () -> Lsn.parse(bad), bad);
        }
    }

    @Test
    void namesTheSegmentAndOffsetAsBarmanRecordsThem() {
        // the reference's observed backup.info: begin 0/4000028 in ...04 at 40, end 0/579E488 in ...05 at 7988360
        assertEquals("000000010000000000000004", Lsn.parse("0/4000028").walSegment(1, SIXTEEN_MIB).name());
        assertEquals(40, Lsn.parse("0/4000028").segmentOffset(SIXTEEN_MIB));
        assertEquals("000000010000000000000005", Lsn.parse("0/579E488").walSegment(1, SIXTEEN_MIB).name());
        assertEquals(7988360, Lsn.parse("0/579E488").segmentOffset(SIXTEEN_MIB));
    }

    @Test
    void segmentNamesFollowTimelineLogAndSegmentSize() {
        assertEquals("00000003000000020000001F", Lsn.parse("2/1F000000").walSegment(3, SIXTEEN_MIB).name());
        assertEquals(0, Lsn.parse("2/1F000000").segmentOffset(SIXTEEN_MIB));
        // 1 GiB segments: four per log file
        assertEquals("000000010000000700000003", Lsn.parse("7/C0000010").walSegment(1, 1L << 30).name());
        assertEquals(0x10, Lsn.parse("7/C0000010").segmentOffset(1L << 30));
        assertThrows(IllegalArgumentException.class, () -> Lsn.parse("0/1").walSegment(1, 3L << 20));
    }

    @Test
    void ordersUnsigned() {
        assertTrue(Lsn.parse("FFFFFFFF/0").compareTo(Lsn.parse("1/0")) > 0);
        assertTrue(Lsn.parse("0/1").compareTo(Lsn.parse("0/2")) < 0);
    }
}
