package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.Tablespace;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TablespaceMapTest {

    private static final Tablespace TS1 = new Tablespace("ts1", 16384, "/srv/ts1");
    private static final Tablespace RACE = new Tablespace("ts_race", 16562, "/srv/ts_race");

    @Test
    void readsTheOidOfEveryLineAsPostgresqlWritesThem() {
        assertEquals(Set.of(), TablespaceMap.parse("").oids());
        assertEquals(List.of(16384L, 16562L),
                List.copyOf(TablespaceMap.parse("16384 /srv/ts1\n16562 /srv/ts_race\n").oids()));
        assertEquals(List.of(16384L, 16562L),
                List.copyOf(TablespaceMap.parse("16384 /srv/ts1\r\n16562 /srv/ts_race").oids()));
    }

    /** A path's LF is escaped, so the line after it is not a tablespace of its own, whatever it reads. */
    @Test
    void anEscapedLineBreakOrBackslashInAPathStaysInThePath() {
        assertEquals(Set.of(16384L), TablespaceMap.parse("16384 /srv/odd\\\n777 x\\\\\n").oids());
        assertEquals(Set.of(16384L, 16385L), TablespaceMap.parse("16384 /srv/back\\\\\n16385 /srv/b\n").oids());
        assertEquals(Set.of(16384L), TablespaceMap.parse("16384  /srv/leading space\n").oids());
    }

    @Test
    void aLineThatIsNoOidAndPathIsRefused() {
        for (String bad : List.of("16384\n", "x16384 /srv/ts1\n", "/srv/ts1\n", "16384\t/srv/ts1\n")) {
            assertThrows(IllegalArgumentException.class, () -> TablespaceMap.parse(bad), bad);
        }
    }

    @Test
    void coveredWhenEveryTablespaceOfTheMapWasCopied() {
        TablespaceMap map = TablespaceMap.parse("16384 /srv/ts1\n");
        assertTrue(map.coveredBy(List.of(TS1)));
        assertTrue(map.coveredBy(List.of(TS1, RACE)), "one copied that the map lacks was created after the start");
        assertTrue(TablespaceMap.parse("").coveredBy(List.of()));
        assertFalse(TablespaceMap.parse("16384 /srv/ts1\n16562 /srv/ts_race\n").coveredBy(List.of(TS1)));
    }

    /**
     * Of the map's tablespaces not copied, those the catalog still holds are lost to a restore; one the
     * catalog no longer holds was dropped after the start, which replay redoes.
     */
    @Test
    void notCopiedAreTheMapsTablespacesWithoutACopyThatStillExist() {
        TablespaceMap map = TablespaceMap.parse("16384 /srv/ts1\n16562 /srv/ts_race\n");

        assertEquals(List.of(RACE), map.notCopied(List.of(TS1), List.of(TS1, RACE)));
        assertEquals(List.of(), map.notCopied(List.of(TS1), List.of(TS1)), "dropped during the backup");
        assertEquals(List.of(), map.notCopied(List.of(TS1, RACE), List.of(TS1, RACE)));
    }
}
