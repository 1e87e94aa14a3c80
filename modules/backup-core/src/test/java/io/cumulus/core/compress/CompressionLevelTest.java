package io.cumulus.core.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CompressionLevelTest {

    @ParameterizedTest
    @CsvSource({
        "GZIP, 1, 6, 9",
        "BZIP2, 1, 5, 9",
        "XZ, 1, 3, 5",
        "ZSTD, 1, 4, 9",
        "LZ4, 0, 6, 10",
    })
    void mapsTheNamedLevelsPerAlgorithmAsBarmanCloudDoes(Compression c, int low, int medium, int high) {
        assertEquals(OptionalInt.of(low), CompressionLevel.LOW.levelFor(c));
        assertEquals(OptionalInt.of(medium), CompressionLevel.MEDIUM.levelFor(c));
        assertEquals(OptionalInt.of(high), CompressionLevel.HIGH.levelFor(c));
    }

    @ParameterizedTest
    @CsvSource({
        "GZIP, 1, 9",
        "BZIP2, 1, 9",
        "XZ, 0, 9",
        "ZSTD, -22, 22",
        "LZ4, 0, 16",
    })
    void clampsIntegersToTheAlgorithmsRange(Compression c, int min, int max) {
        assertEquals(OptionalInt.of(min), CompressionLevel.of(Integer.MIN_VALUE).levelFor(c));
        assertEquals(OptionalInt.of(max), CompressionLevel.of(Integer.MAX_VALUE).levelFor(c));
        assertEquals(OptionalInt.of(max), CompressionLevel.parse("123456789012345678901234567890").levelFor(c));
        assertEquals(OptionalInt.of(Math.max(min, 2)), CompressionLevel.of(2).levelFor(c));
    }

    @Test
    void keepsNegativeLevelsForZstd() {
        assertEquals(OptionalInt.of(-5), CompressionLevel.parse("-5").levelFor(Compression.ZSTD));
        assertEquals(OptionalInt.of(1), CompressionLevel.parse("-5").levelFor(Compression.GZIP));
    }

    @Test
    void snappyAndNoneHaveNoLevels() {
        assertTrue(CompressionLevel.HIGH.levelFor(Compression.SNAPPY).isEmpty());
        assertTrue(CompressionLevel.of(3).levelFor(Compression.NONE).isEmpty());
    }

    @Test
    void readsWordsInAnyCaseAndCanonicalisesIntegers() {
        assertEquals(CompressionLevel.HIGH, CompressionLevel.parse("HIGH"));
        assertEquals(CompressionLevel.LOW, CompressionLevel.parse(" Low "));
        assertEquals("7", CompressionLevel.parse("007").value());
        assertEquals("-3", CompressionLevel.parse("-03").value());
        assertEquals("6", CompressionLevel.parse("6 ").value());
    }

    @Test
    void defaultsToMedium() {
        assertEquals(CompressionLevel.MEDIUM, CompressionLevel.DEFAULT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "fast", "best", "1.5", "+3", "--3", "nine"})
    void rejectsAnythingElseWithAMessageNamingTheChoices(String text) {
        // InvalidInputException: the tools' exit 3, where an IllegalArgumentException would be 4
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CompressionLevel.parse(text));
        assertTrue(e.getMessage().contains("low, medium, high or an integer"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }
}
