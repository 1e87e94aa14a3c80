package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryConfigurationTest {

    @TempDir
    Path pgdata;

    @Test
    void recoveryToANamedPointWritesTheSignalAndAppendsTheSettings() throws Exception {
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), "archive_command = 'x'\n");
        Map<String, String> targets = RecoveryConfiguration.targets(null, null, null, "barman_20261121T051944", null,
                "promote", null);

        new RecoveryConfiguration("/opt/cumulus/bin/cumulus-wal-restore 's3://b/it''s' main %f %p", targets, false,
                true).writeTo(pgdata);

        assertTrue(Files.exists(pgdata.resolve("recovery.signal")));
        assertFalse(Files.exists(pgdata.resolve("standby.signal")));
        assertEquals("archive_command = 'x'\n\n# Added by cumulus-restore\n"
                + "restore_command = '/opt/cumulus/bin/cumulus-wal-restore ''s3://b/it''''s'' main %f %p'\n"
                + "recovery_target_name = 'barman_20261121T051944'\n"
                + "recovery_target_action = 'promote'\n"
                + "archive_mode = 'off'\n", Files.readString(pgdata.resolve("postgresql.auto.conf")));
    }

    @Test
    void standbyWritesStandbySignalAndCanKeepArchiving() throws Exception {
        new RecoveryConfiguration("cmd %f %p", Map.of(), true, false).writeTo(pgdata);

        assertTrue(Files.exists(pgdata.resolve("standby.signal")));
        assertFalse(Files.readString(pgdata.resolve("postgresql.auto.conf")).contains("archive_mode"));
    }

    @Test
    void targetsAreCheckedBeforeAnythingIsWritten() {
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(java.time.OffsetDateTime.parse("2026-01-01T00:00:00Z"), "0/1", null, null, null, null, null));
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(null, "nope", null, null, null, null, null));
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(null, null, "12x", null, null, null, null));
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(null, null, null, null, "now", null, null));
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(null, null, null, null, null, "explode", null));
        assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.targets(null, null, null, null, null, null, "newest"));
        assertEquals(Map.of("recovery_target", "immediate", "recovery_target_timeline", "latest"),
                RecoveryConfiguration.targets(null, null, null, null, "immediate", null, "latest"));
    }

    @Test
    void targetTimesAreReadAsPostgreSQLWritesThem() {
        java.time.ZoneId utc = java.time.ZoneOffset.UTC;
        assertEquals(java.time.OffsetDateTime.parse("2026-11-21T09:12:00+01:00"),
                RecoveryConfiguration.parseTime("2026-11-21 09:12:00+01", utc, "--recovery-target-time"));
        assertEquals(java.time.OffsetDateTime.parse("2026-11-21T09:12:00.123456+05:30"),
                RecoveryConfiguration.parseTime("2026-11-21 09:12:00.123456+05:30", utc, "--recovery-target-time"));
        assertEquals(java.time.OffsetDateTime.parse("2026-11-21T09:12:00Z"),
                RecoveryConfiguration.parseTime("2026-11-21T09:12:00", utc, "--recovery-target-time"));
        InvalidInputException malformed = assertThrows(InvalidInputException.class,
                () -> RecoveryConfiguration.parseTime("notatime", utc, "--recovery-target-time"));
        assertTrue(malformed.getMessage().startsWith("invalid --recovery-target-time 'notatime': expected a time"),
                malformed.getMessage());
    }

    /**
     * PostgreSQL reads a recovery_target_time without an offset in the restored server's timezone
     * setting; the tool chose the backup in its own zone, so the written value carries that offset.
     */
    @Test
    void aTargetTimeWithoutOffsetIsWrittenWithTheOffsetOfTheZoneItWasReadIn() throws Exception {
        java.time.ZoneId kolkata = java.time.ZoneId.of("Asia/Kolkata");
        java.time.OffsetDateTime time = RecoveryConfiguration.parseTime("2026-11-21 09:12:00.25", kolkata,
                "--recovery-target-time");

        new RecoveryConfiguration("cmd %f %p", RecoveryConfiguration.targets(time, null, null, null, null, null, null),
                false, false).writeTo(pgdata);

        assertTrue(Files.readString(pgdata.resolve("postgresql.auto.conf"))
                .contains("recovery_target_time = '2026-11-21 09:12:00.25+05:30'\n"));
        assertEquals(Map.of("recovery_target_time", "2026-11-21 09:12:00-05:00"), RecoveryConfiguration.targets(
                RecoveryConfiguration.parseTime("2026-11-21 09:12", java.time.ZoneId.of("America/New_York"),
                        "--recovery-target-time"), null, null, null, null, null, null));
        assertEquals(Map.of("recovery_target_time", "2026-11-21 09:12:00+00:00"), RecoveryConfiguration.targets(
                RecoveryConfiguration.parseTime("2026-11-21T09:12:00Z", kolkata, "--recovery-target-time"),
                null, null, null, null, null, null));
    }
}
