package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** A backup in the JSON of cumulus-backup-list and -show, field by field as barman's {@code to_json()} gives it. */
class CatalogJsonTest {

    private static final BackupId ID = new BackupId("20260101T000000");

    private static JsonNode json(BackupInfo info) throws Exception {
        return new ObjectMapper().readTree(CatalogJson.write(CatalogJson.backup(ID, info)));
    }

    @Test
    void backupLabelIsItsPythonReprAsBackupInfoHoldsIt() throws Exception {
        String label = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nLABEL: it's Barman\n";
        BackupInfo info = BackupInfo.builder().status(BackupStatus.DONE).backupLabel(label).build();

        String repr = "\"START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\\nLABEL: it's Barman\\n\"";
        assertEquals(repr, json(info).get("backup_label").asText());
        assertEquals("backup_label=" + repr, info.format().lines().findFirst().orElseThrow());
        assertEquals("'no quote\\n'", json(info.toBuilder().backupLabel("no quote\n").build()).get("backup_label").asText());
        assertEquals(true, json(info.toBuilder().backupLabel(null).build()).get("backup_label").isNull());
    }

    @Test
    void isoTimesAreWhatPythonsIsoformatGives() throws Exception {
        assertIso("2026-01-01T00:00:00+00:00", OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC));
        assertIso("2026-11-21T05:19:44.618239+00:00", OffsetDateTime.parse("2026-11-21T05:19:44.618239Z"));
        assertIso("2026-11-21T05:19:00.000120-03:30", OffsetDateTime.parse("2026-11-21T05:19:00.000120-03:30"));
        assertIso("0999-03-01T23:59:59.500000+14:00", OffsetDateTime.parse("0999-03-01T23:59:59.5+14:00"));
    }

    private static void assertIso(String expected, OffsetDateTime time) throws Exception {
        JsonNode json = json(BackupInfo.builder().status(BackupStatus.DONE).beginTime(time).endTime(time).build());
        assertEquals(expected, json.get("begin_time_iso").asText());
        assertEquals(expected, json.get("end_time_iso").asText());
    }
}
