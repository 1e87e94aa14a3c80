package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
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

    @Test
    void keysAreTheFieldsInNameOrderThenTheIdThenTheIsoTimes() throws Exception {
        BackupInfo info = BackupInfo.builder().status(BackupStatus.DONE).backupName("before-upgrade")
                .beginTime(OffsetDateTime.parse("2026-01-01T00:00:00Z")).endTime(OffsetDateTime.parse("2026-01-01T00:05:00Z"))
                .build();
        assertEquals(List.of("backup_label", "backup_name", "begin_offset", "begin_time", "begin_wal", "begin_xlog",
                "compression", "config_file", "copy_stats", "deduplicated_size", "end_offset", "end_time", "end_wal",
                "end_xlog", "error", "hba_file", "ident_file", "included_files", "mode", "pgdata", "server_name", "size",
                "status", "systemid", "tablespaces", "timeline", "version", "xlog_segment_size",
                "backup_id", "begin_time_iso", "end_time_iso"), keys(json(info)));
    }

    @Test
    void keysBarmanHidesWhenUnsetAreLeftOutAndTheIsoTimesWithoutATime() throws Exception {
        JsonNode json = json(BackupInfo.builder().status(BackupStatus.FAILED).error("failure uploading data (x)").build());
        List<String> keys = keys(json);
        assertFalse(keys.contains("backup_name") || keys.contains("snapshots_info"), keys.toString());
        assertFalse(keys.contains("begin_time_iso") || keys.contains("end_time_iso"), keys.toString());
        assertTrue(json.get("begin_time").isNull() && json.get("pgdata").isNull(), json.toString());
        assertEquals("backup_id", keys.get(keys.size() - 1));
    }

    @Test
    void keysOfNewerBarmanVersionsPassThroughInTheirPlaceAnIntegerAsANumber() throws Exception {
        String text = BackupInfo.builder().status(BackupStatus.DONE).version(170002).build().format()
                + "cluster_size=22817369\ndata_checksums=on\nsummarize_wal=None\nparent_backup_id=None\n"
                + "children_backup_ids=None\nencryption=None\nfuture_key=some text\n";
        JsonNode json = json(BackupInfo.parse(text));
        assertTrue(json.get("cluster_size").isIntegralNumber(), json.toString());
        assertEquals(22817369L, json.get("cluster_size").asLong());
        assertEquals("on", json.get("data_checksums").asText());
        assertTrue(json.get("summarize_wal").isNull() && json.get("children_backup_ids").isNull(), json.toString());
        assertEquals("some text", json.get("future_key").asText());
        List<String> keys = keys(json);
        assertEquals(List.of("children_backup_ids", "cluster_size", "compression"),
                keys.subList(keys.indexOf("children_backup_ids"), keys.indexOf("compression") + 1));
        assertEquals(List.of("error", "future_key", "hba_file"), keys.subList(keys.indexOf("error"), keys.indexOf("hba_file") + 1));
    }

    /**
     * barman 3.4's own {@code BackupInfo.load} and {@code to_json} (Debian's python3-barman), with
     * what newer versions add emulated as their code has it: their fields (3.11+) declared when the
     * file holds them, and {@code begin_time_iso}/{@code end_time_iso} appended (3.12.1+).
     */
    @Test
    void sameJsonAsBarmansOwnToJson() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is missing");
        assumeTrue(new ProcessBuilder(PYTHON, "-c", "import barman.infofile").start().waitFor() == 0,
                "barman's Python modules are not installed");
        BackupInfo done = BackupInfo.builder().status(BackupStatus.DONE).backupName("before-upgrade")
                .backupLabel("START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nLABEL: it's\n")
                .beginOffset(40L).beginTime(OffsetDateTime.parse("2026-11-21T05:19:44.618239+01:00"))
                .beginWal("000000010000000000000004").beginXlog("0/4000028").configFile("/etc/pg/postgresql.conf")
                .copyStats(Map.of("total_time", 261.53)).endOffset(7988360L)
                .endTime(OffsetDateTime.parse("2026-11-21T05:24:00Z")).endWal("000000010000000000000005")
                .endXlog("0/579E488").hbaFile("/etc/pg/pg_hba.conf").identFile("/etc/pg/pg_ident.conf")
                .includedFiles(List.of("/srv/pg/data/postgresql.auto.conf")).pgdata("/srv/pg/data")
                .serverName("cloud").systemid("7710490106817857947")
                .tablespaces(List.of(new Tablespace("ts1", 16384, "/srv/ts1"), new Tablespace("ts2", 16385, "/srv/ts2")))
                .timeline(1).version(150018).build();
        assertSameAsBarman(done.format());
        assertSameAsBarman(BackupInfo.builder().status(BackupStatus.FAILED).serverName("cloud")
                .error("failure uploading data (connection reset)").build().format());
        assertSameAsBarman("backup_label='START WAL LOCATION: 0/2000028\\n'\nbegin_time=2026-01-01 00:00:00-03:30\n"
                + "children_backup_ids=None\ncluster_size=22817369\ncopy_stats={'copy_time': 4.71, 'number_of_workers': 2,"
                + " 'per_item': {'data': 1, '16384': 0}}\ndata_checksums=on\nencryption=None\n"
                + "end_time=2026-01-01 00:05:00.000120-03:30\nparent_backup_id=None\n"
                + "snapshots_info={'provider': 'gcp', 'provider_info': {'project': 'p'}, 'snapshots': [{'mount':"
                + " {'mount_options': 'rw,noatime', 'mount_point': '/opt/disk0'}, 'provider': {'device_name': 'pgdata',"
                + " 'snapshot_name': 'snap-1', 'snapshot_project': 'p'}}]}\nstatus=DONE\nsummarize_wal=None\n"
                + "tablespaces=None\ntimeline=2\nversion=170002\nxlog_segment_size=16777216\n");
    }

    private static final String PYTHON = "/usr/bin/python3";

    private static final String BARMAN_TO_JSON = String.join("\n",
            "import io, json, sys, types",
            "# reading a GCP snapshots_info imports the Google client, which reading alone does not need",
            "try:",
            "    from google.cloud import storage",
            "except ImportError:",
            "    google = types.ModuleType('google'); cloud = types.ModuleType('google.cloud')",
            "    api_core = types.ModuleType('google.api_core'); exceptions = types.ModuleType('google.api_core.exceptions')",
            "    cloud.storage = types.ModuleType('google.cloud.storage'); google.cloud = cloud; google.api_core = api_core",
            "    api_core.exceptions = exceptions",
            "    exceptions.GoogleAPIError = exceptions.Conflict = exceptions.NotFound = Exception",
            "    sys.modules.update({'google': google, 'google.cloud': cloud, 'google.cloud.storage': cloud.storage,",
            "                        'google.api_core': api_core, 'google.api_core.exceptions': exceptions})",
            "from barman.infofile import BackupInfo, Field",
            "text = sys.stdin.buffer.read()",
            "names = {line.split(b'=', 1)[0].strip().decode() for line in text.splitlines() if b'=' in line}",
            "def dump_ids(ids): return ','.join(ids) if ids else None",
            "def load_ids(s): return s.split(',') if s else None",
            "newer = {'data_checksums': Field('data_checksums'), 'summarize_wal': Field('summarize_wal'),",
            "         'parent_backup_id': Field('parent_backup_id'),",
            "         'children_backup_ids': Field('children_backup_ids', dump=dump_ids, load=load_ids),",
            "         'cluster_size': Field('cluster_size', load=int), 'encryption': Field('encryption')}",
            "for name, field in newer.items():",
            "    if name in names:",
            "        setattr(BackupInfo, name, field)",
            "info = BackupInfo('20260101T000000')",
            "info.load(file_object=io.BytesIO(text))",
            "data = info.to_json()",
            "if info.begin_time is not None: data['begin_time_iso'] = info.begin_time.isoformat()",
            "if info.end_time is not None: data['end_time_iso'] = info.end_time.isoformat()",
            "print(json.dumps(data))");

    private static void assertSameAsBarman(String backupInfo) throws Exception {
        Path dir = Files.createTempDirectory("to-json");
        try {
            Path in = Files.writeString(dir.resolve("backup.info"), backupInfo);
            Path out = dir.resolve("out");
            Path err = dir.resolve("err");
            Process python = new ProcessBuilder(PYTHON, "-c", BARMAN_TO_JSON).redirectInput(in.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertEquals(0, python.waitFor(), () -> readQuietly(err));
            ObjectMapper mapper = new ObjectMapper();
            // toString() writes both trees the same compact way, keys in their order at every level
            assertEquals(mapper.readTree(Files.readString(out)).toString(), json(BackupInfo.parse(backupInfo)).toString(),
                    backupInfo);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static List<String> keys(JsonNode json) {
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static void assertIso(String expected, OffsetDateTime time) throws Exception {
        JsonNode json = json(BackupInfo.builder().status(BackupStatus.DONE).beginTime(time).endTime(time).build());
        assertEquals(expected, json.get("begin_time_iso").asText());
        assertEquals(expected, json.get("end_time_iso").asText());
    }
}
