package io.cumulus.core.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BackupNameTest {

    @Test
    void acceptsAnOrdinaryName() {
        assertEquals("first-backup", new BackupName("first-backup").value());
        assertEquals("Latest", new BackupName("Latest").value(), "reserved words are case-sensitive, as in barman");
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "last", "oldest", "first", "last-failed", "latest-full", "last-full", "auto"})
    void refusesReservedWords(String word) {
        assertTrue(BackupName.isReserved(word));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BackupName(word));
        assertEquals("Backup name '" + word + "' is not allowed: reserved word", e.getMessage());
    }

    @Test
    void refusesABackupId() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BackupName("20261121T051944"));
        assertEquals("Backup name '20261121T051944' is not allowed: backup ID", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two\nlines", "cr\r", " padded"})
    void refusesWhatBackupInfoCannotHold(String name) {
        assertThrows(IllegalArgumentException.class, () -> new BackupName(name));
    }
}
