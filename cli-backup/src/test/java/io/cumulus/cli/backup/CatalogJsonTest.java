package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
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
}
