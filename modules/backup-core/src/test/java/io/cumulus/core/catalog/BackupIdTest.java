package io.cumulus.core.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BackupIdTest {

    @Test
    void isTheStartTimeToTheSecond() {
        assertEquals("20261121T051944", BackupId.of(LocalDateTime.of(2026, 11, 21, 5, 19, 44, 999_999_999)).value());
        assertEquals("00990102T030405", BackupId.of(LocalDateTime.of(99, 1, 2, 3, 4, 5)).value());
    }

    @Test
    void takesTheClocksLocalTimeAsBarmanCloudsDatetimeNow() {
        Clock clock = Clock.fixed(Instant.parse("2026-11-21T05:19:44Z"), ZoneId.of("Asia/Kolkata"));
        assertEquals(new BackupId("20261121T104944"), BackupId.now(clock));
    }

    @ParameterizedTest
    @ValueSource(strings = {"20261121T051944", "00000000T000000"})
    void recognisesBackupIds(String text) {
        assertTrue(BackupId.isBackupId(text));
        assertEquals(text, new BackupId(text).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "latest", "20261121t051944", "20261121T05194", "20261121T0519440", " 20261121T051944",
        "20261121T051944\n", "2026112xT051944", "\u0662\u0660\u0662\u0666\u0661\u0661\u0662\u0661T051944"})
    void rejectsAnythingElse(String text) {
        assertFalse(BackupId.isBackupId(text));
        assertThrows(IllegalArgumentException.class, () -> new BackupId(text));
    }

    @Test
    void sortsInTimeOrder() {
        List<BackupId> ids = new ArrayList<>(List.of(new BackupId("20261121T051944"), new BackupId("20251231T235959"),
                new BackupId("20261121T051943")));
        Collections.sort(ids);
        assertEquals(List.of(new BackupId("20251231T235959"), new BackupId("20261121T051943"),
                new BackupId("20261121T051944")), ids);
    }
}
