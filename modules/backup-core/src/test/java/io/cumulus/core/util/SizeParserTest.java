package io.cumulus.core.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizeParserTest {

    @ParameterizedTest
    @CsvSource({
        "100GB, 107374182400",
        "100gb, 107374182400",
        "1kB, 1024",
        "1KB, 1024",
        "5MB, 5242880",
        "2TB, 2199023255552",
        "1PB, 1125899906842624",
        "1EB, 1152921504606846976",
    })
    void readsTheByteUnitsAsPowersOf1024(String text, long bytes) {
        assertEquals(bytes, SizeParser.parse(text));
    }

    @ParameterizedTest
    @CsvSource({
        "1KiB, 1000",
        "1kib, 1000",
        "5MiB, 5000000",
        "100GiB, 100000000000",
        "3TiB, 3000000000000",
    })
    void readsTheIbUnitsAsPowersOf1000(String text, long bytes) {
        assertEquals(bytes, SizeParser.parse(text));
    }

    @ParameterizedTest
    @CsvSource({
        "1, 1",
        "4096, 4096",
        "1234B, 1234",
        "1234b, 1234",
        "1234iB, 1234",
    })
    void readsABareNumberAsBytes(String text, long bytes) {
        assertEquals(bytes, SizeParser.parse(text));
    }

    @ParameterizedTest
    @CsvSource({
        "1.5GB, 1610612736",
        "0.5KB, 512",
        "0.1KB, 102",
        "1e3KiB, 1000000",
        "'6 MB', 6291456",
    })
    void readsFractionsBeforeAUnitAndTruncatesToWholeBytes(String text, long bytes) {
        assertEquals(bytes, SizeParser.parse(text));
    }

    /** Python's int() and float(), which check_size uses, take a leading + and underscores between digits. */
    @ParameterizedTest
    @CsvSource({
        "+5MB, 5242880",
        "1_0GB, 10737418240",
        "1_0, 10",
        "+1_024, 1024",
        "' 5MB', 5242880",
    })
    void readsWhatPythonsNumbersRead(String text, long bytes) {
        assertEquals(bytes, SizeParser.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1__0", "_1", "1_", "1_.5GB", "++5", "+-5", "+"})
    void rejectsUnderscoresAndSignsPythonRejects(String text) {
        assertThrows(IllegalArgumentException.class, () -> SizeParser.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "0MB", "0.0001KB", "", "B", "KB", "iB", "1.5", "1.5B", "1K", "1 G", "ten",
        "1GBB", "GB1"})
    void rejectsWhatBarmanRejects(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SizeParser.parse(text));
        assertEquals("'" + text + "' is not a valid size string", e.getMessage());
    }

    /** Barman takes Z and Y (and caps -S at 1 TiB); Cumulus refuses them, a documented difference: a typo. */
    @ParameterizedTest
    @ValueSource(strings = {"1ZB", "0.000001ZB", "1YiB"})
    void rejectsZettaAndYottaUnlikeBarman(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SizeParser.parse(text));
        assertEquals("'" + text + "' is not a valid size string", e.getMessage());
    }

    @Test
    void rejectsSizesBeyondALong() {
        assertThrows(IllegalArgumentException.class, () -> SizeParser.parse("8EB"));
        assertThrows(IllegalArgumentException.class, () -> SizeParser.parse("99999999999999999999"));
    }
}
