package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InheritedRecoverySettingsTest {

    private static final Instant NOW = Instant.parse("2026-12-07T01:20:33.250Z");

    @TempDir
    Path pgdata;

    @Test
    void linesAreFoundAsPostgreSQLReadsThemAndTheRestIsLeftByteForByte() throws Exception {
        Path autoConf = pgdata.resolve("postgresql.auto.conf");
        byte[] latin1 = "application_name = 'caf\u00e9'\n".getBytes(StandardCharsets.ISO_8859_1);
        String settings = "RECOVERY_TARGET_XID 746\r\n"
                + "recovery_target_name='it''s # not a comment' # but this is\n"
                + "\trecovery_target_lsn = '0/3000060'\n"
                + "myext.recovery_target_time = 'x'\n"
                + "recovery_target_timeline_hint = 'latest'\n"
                + "#recovery_target_time = '2026-11-21 09:12:00+00'\n"
                + "archive_mode = 'off'\n"
                + "restore_command = 'cp /a/%f %p'";
        Files.write(autoConf, concat(latin1, settings.getBytes(StandardCharsets.UTF_8)));

        List<String> warnings = InheritedRecoverySettings.disableForNewRecovery(pgdata, Set.of("restore_command"), NOW);

        String note = "# disabled by cumulus-restore 2026-12-07T01:20:33Z: ";
        byte[] expected = concat(latin1, (note + "RECOVERY_TARGET_XID 746\r\n"
                + note + "recovery_target_name='it''s # not a comment' # but this is\n"
                + note + "\trecovery_target_lsn = '0/3000060'\n"
                + "myext.recovery_target_time = 'x'\n"
                + "recovery_target_timeline_hint = 'latest'\n"
                + "#recovery_target_time = '2026-11-21 09:12:00+00'\n"
                + "archive_mode = 'off'\n"
                + note + "restore_command = 'cp /a/%f %p'").getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(expected, Files.readAllBytes(autoConf), Files.readString(autoConf, StandardCharsets.ISO_8859_1));
        assertEquals(4, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).startsWith("postgresql.auto.conf line 2 set RECOVERY_TARGET_XID 746, "),
                warnings::toString);
        assertTrue(warnings.get(3).contains("line 9 set restore_command = … (not shown: it may hold credentials), "),
                warnings::toString);
    }

    @Test
    void rewritingAgainChangesNothing() throws Exception {
        Path autoConf = pgdata.resolve("postgresql.auto.conf");
        Files.writeString(autoConf, "work_mem = '64MB'\nrecovery_target_time = '2026-11-21 09:12:00+00'\n"
                + "archive_mode = 'off'\n");
        assertEquals(2, InheritedRecoverySettings.disableForNewRecovery(pgdata, Set.of("archive_mode"), NOW).size());
        byte[] once = Files.readAllBytes(autoConf);

        List<String> again = InheritedRecoverySettings.disableForNewRecovery(pgdata, Set.of("archive_mode"),
                NOW.plusSeconds(60));

        assertEquals(List.of(), again);
        assertArrayEquals(once, Files.readAllBytes(autoConf));
    }

    @Test
    void postgresqlConfIsOnlyWarnedAboutForWhatTheNewBlockDoesNotOverride() throws Exception {
        String conf = "port = 5433\nrecovery_target_time = '2026-11-21 09:12:00+00'\nrestore_command = 'cp %f %p'\n";
        Files.writeString(pgdata.resolve("postgresql.conf"), conf);

        List<String> warnings = InheritedRecoverySettings.disableForNewRecovery(pgdata,
                Set.of("restore_command", "recovery_target_name"), NOW);

        assertEquals(conf, Files.readString(pgdata.resolve("postgresql.conf")));
        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).startsWith("postgresql.conf in the data directory sets recovery_target_time ="
                + " '2026-11-21 09:12:00+00' (line 2), which PostgreSQL applies to this recovery too"), warnings::toString);
        assertTrue(warnings.get(0).contains("comment it out before starting PostgreSQL"), warnings::toString);
    }

    @Test
    void aRestoreWithoutRecoveryNamesEveryRecoverySettingLeftInEitherFileAndChangesNeither() throws Exception {
        String autoConf = "restore_command = 'old %f %p'\nwork_mem = '64MB'\n";
        String conf = "# recovery_target_lsn = '0/1'\nrecovery_target_lsn = '0/3000060'\n";
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), autoConf);
        Files.writeString(pgdata.resolve("postgresql.conf"), conf);

        List<String> warnings = InheritedRecoverySettings.warningsWithoutRecovery(pgdata);

        assertEquals(2, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).startsWith("postgresql.auto.conf line 1 sets restore_command = … (not shown"),
                warnings::toString);
        assertTrue(warnings.get(1).startsWith("postgresql.conf in the data directory line 2 sets"
                + " recovery_target_lsn = '0/3000060'"), warnings::toString);
        assertEquals(autoConf, Files.readString(pgdata.resolve("postgresql.auto.conf")));
        assertEquals(conf, Files.readString(pgdata.resolve("postgresql.conf")));
    }

    /**
     * A restore_command carried over may hold credentials inline (AWS_SECRET_ACCESS_KEY=... in front of
     * the tool): its value went into the warning, and so into logs. Named, never shown; so is a
     * primary_conninfo a standby inherits (a password), which it streams from besides the store.
     */
    @Test
    void valuesThatMayHoldCredentialsAreNeverShownAndAStandbyNamesWhereItWouldStream() throws Exception {
        Files.writeString(pgdata.resolve("postgresql.auto.conf"), "restore_command = 'AWS_SECRET_ACCESS_KEY=hunter2"
                + " cumulus-wal-restore s3://b/p main %f %p'\nprimary_conninfo = 'host=old user=r password=hunter2'\n"
                + "primary_slot_name = 'slot_a'\n");

        List<String> without = InheritedRecoverySettings.warningsWithoutRecovery(pgdata);
        List<String> standby = InheritedRecoverySettings.standbyStreamingWarnings(pgdata);
        List<String> disabled = InheritedRecoverySettings.disableForNewRecovery(pgdata, Set.of("restore_command"), NOW);

        assertEquals(1, without.size(), without::toString);
        assertEquals(2, standby.size(), standby::toString);
        assertTrue(standby.get(0).startsWith("postgresql.auto.conf line 2 sets primary_conninfo = … (not shown: it"
                + " may hold credentials), carried over from the backed-up cluster: this standby streams from that"
                + " server too"), standby::toString);
        assertTrue(standby.get(1).startsWith("postgresql.auto.conf line 3 sets primary_slot_name = 'slot_a'"),
                standby::toString);
        assertEquals(1, disabled.size(), disabled::toString);
        for (String warning : concat(without, standby, disabled)) {
            assertFalse(warning.contains("hunter2"), warning);
        }
    }

    @Test
    void aDataDirectoryWithoutEitherFileGivesNoWarning() throws Exception {
        assertEquals(List.of(), InheritedRecoverySettings.warningsWithoutRecovery(pgdata));
        assertEquals(List.of(), InheritedRecoverySettings.disableForNewRecovery(pgdata, Set.of(), NOW));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        return java.util.Arrays.stream(lists).flatMap(List::stream).toList();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
