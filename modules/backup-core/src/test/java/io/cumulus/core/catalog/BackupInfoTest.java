package io.cumulus.core.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackupInfoTest {

    /**
     * The example of reference §3.4 as barman-cloud 3.4 wrote it on PostgreSQL 15, with the parts
     * the reference elides ({@code ...}) filled in from §3.2 so that it is a complete file.
     */
    static final String EXAMPLE = """
            backup_label='START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\\nCHECKPOINT LOCATION: 0/579E3B0\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2026-11-21 05:23:57 UTC\\nLABEL: Barman backup cloud 20261121T051944\\nSTART TIMELINE: 1\\n'
            backup_name=first-backup
            begin_offset=40
            begin_time=2026-11-21 05:19:44.618239+00:00
            begin_wal=000000010000000000000004
            begin_xlog=0/4000028
            compression=None
            config_file=/srv/pg/data/postgresql.conf
            copy_stats={'total_time': 261.529688, 'number_of_workers': 2, 'analysis_time': 0, 'analysis_time_per_item': {'16384': 0, 'data': 0}, 'copy_time_per_item': {'16384': 0.006122, 'data': 4.70815}, 'serialized_copy_time_per_item': {'16384': 0.000183, 'data': 0.014698}, 'copy_time': 4.714272, 'serialized_copy_time': 0.014881}
            deduplicated_size=None
            end_offset=7988360
            end_time=2026-11-21 05:24:05.089183+00:00
            end_wal=000000010000000000000005
            end_xlog=0/579E488
            error=None
            hba_file=/srv/pg/data/pg_hba.conf
            ident_file=/srv/pg/data/pg_ident.conf
            included_files=None
            mode=None
            pgdata=/srv/pg/data
            server_name=cloud
            size=None
            status=DONE
            systemid=7710490106817857947
            tablespaces=[('ts1', 16384, '/srv/pg/ts1')]
            timeline=1
            version=150018
            xlog_segment_size=16777216
            """;

    @Test
    void roundTripsTheReferenceExampleByteForByte() {
        assertEquals(EXAMPLE, BackupInfo.parse(EXAMPLE).format());
        assertEquals(EXAMPLE, BackupInfo.parse(EXAMPLE.getBytes(StandardCharsets.UTF_8)).format());
    }

    @Test
    void readsTheReferenceExampleIntoTypedFields() {
        BackupInfo info = BackupInfo.parse(EXAMPLE);
        assertEquals(BackupStatus.DONE, info.status());
        assertEquals("first-backup", info.backupName());
        assertEquals(40L, info.beginOffset());
        assertEquals(OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 618_239_000, ZoneOffset.UTC), info.beginTime());
        assertEquals(OffsetDateTime.of(2026, 11, 21, 5, 24, 5, 89_183_000, ZoneOffset.UTC), info.endTime());
        assertEquals("000000010000000000000004", info.beginWal());
        assertEquals("0/579E488", info.endXlog());
        assertNull(info.compression());
        assertNull(info.size());
        assertEquals(List.of(new Tablespace("ts1", 16384, "/srv/pg/ts1")), info.tablespaces());
        assertEquals(1, info.timeline());
        assertEquals(150018, info.version());
        assertEquals(16777216L, info.xlogSegmentSize());
        assertEquals("7710490106817857947", info.systemid());
        assertTrue(info.backupLabel().startsWith("START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nCHECKPOINT"));
        assertTrue(info.backupLabel().endsWith("START TIMELINE: 1\n"));
        assertEquals(261.529688, info.copyStats().get("total_time"));
        assertEquals(2L, info.copyStats().get("number_of_workers"));
        assertEquals(Map.of("16384", 0L, "data", 0L), info.copyStats().get("analysis_time_per_item"));
        assertTrue(info.includedFiles().isEmpty());
        assertNull(info.snapshotsInfo());
        assertTrue(info.newerKeys().isEmpty());
    }

    @Test
    void barman34WritesTheReferenceExampleIdentically() throws Exception {
        Barman34.assumeInstalled();
        assertEquals(EXAMPLE, Barman34.loadAndSave(EXAMPLE, "UTC"));
    }

    @Test
    void readsWhatNewerBarmanWritesButWritesOnlyThe34Keys() {
        String newer = EXAMPLE.replace("compression=None\n", "children_backup_ids=None\ncluster_size=41975808\n"
                        + "compression=None\n")
                .replace("deduplicated_size=None\n", "data_checksums=on\ndeduplicated_size=None\nencryption=None\n")
                .replace("pgdata=/srv/pg/data\n", "parent_backup_id=None\npgdata=/srv/pg/data\n")
                .replace("status=DONE\n", "status=DONE\nsummarize_wal=None\n")
                .replace("included_files=None", "included_files=['/srv/pg/data/postgresql.auto.conf']");
        BackupInfo info = BackupInfo.parse(newer);
        Map<String, String> expectedNewer = new LinkedHashMap<>();
        expectedNewer.put("children_backup_ids", "None");
        expectedNewer.put("cluster_size", "41975808");
        expectedNewer.put("data_checksums", "on");
        expectedNewer.put("encryption", "None");
        expectedNewer.put("parent_backup_id", "None");
        expectedNewer.put("summarize_wal", "None");
        assertEquals(expectedNewer, info.newerKeys());
        assertEquals(List.of("/srv/pg/data/postgresql.auto.conf"), info.includedFiles());
        String written = info.format();
        assertEquals(EXAMPLE.replace("included_files=None", "included_files=['/srv/pg/data/postgresql.auto.conf']"),
                written);
        for (String key : expectedNewer.keySet()) {
            assertFalse(written.contains(key + "="), key + " was written");
        }
    }

    @Test
    void aFullBackupIsRestorableWhateverTheNewerKeysSayOfIt() {
        assertEquals(java.util.Optional.empty(), BackupInfo.parse(EXAMPLE).unrestorableReason());
        assertEquals(java.util.Optional.empty(), BackupInfo.parse(EXAMPLE.replace("pgdata=",
                "backup_type=full\nchildren_backup_ids=20261122T000000\nparent_backup_id=None\npgdata="))
                .unrestorableReason());
    }

    @Test
    void anIncrementalBackupIsNotRestorableNamingItsParent() {
        BackupInfo info = BackupInfo.parse(EXAMPLE.replace("pgdata=", "parent_backup_id=20261120T020000\npgdata="));

        assertEquals("an incremental backup (parent 20261120T020000), which cumulus-restore does not restore:"
                + " restore it with Barman (pg_combinebackup), or choose a full backup",
                info.unrestorableReason().orElseThrow());
    }

    @Test
    void aBackupTypeOtherThanFullIsNotRestorable() {
        assertTrue(BackupInfo.parse(EXAMPLE.replace("pgdata=", "backup_type=incremental\npgdata="))
                .unrestorableReason().orElseThrow().startsWith("an incremental backup (backup_type=incremental),"));
        assertTrue(BackupInfo.parse(EXAMPLE.replace("pgdata=", "backup_type=differential\npgdata="))
                .unrestorableReason().orElseThrow().startsWith("a backup of type 'differential' (backup_type),"
                        + " which cumulus-restore does not restore"));
    }

    @Test
    void aSnapshotBackupIsNotRestorable() {
        BackupInfo info = BackupInfo.parse(EXAMPLE.replace("status=",
                "snapshots_info={'provider': 'gcp', 'snapshots': []}\nstatus="));

        assertTrue(info.unrestorableReason().orElseThrow().startsWith("a snapshot backup, which cumulus-restore does"
                + " not restore: "), info.unrestorableReason().toString());
    }

    @Test
    void readsTheLinksOfIncrementalBackupsThatNewerBarmanWrites() {
        BackupInfo full = BackupInfo.parse(EXAMPLE + "children_backup_ids=20260102T000000,20260103T000000\n"
                + "parent_backup_id=None\nbackup_type=full\n");
        assertEquals(java.util.Optional.empty(), full.parentBackupId());
        assertEquals(List.of("20260102T000000", "20260103T000000"), full.childrenBackupIds());
        assertFalse(full.isIncremental());

        BackupInfo child = BackupInfo.parse(EXAMPLE + "children_backup_ids=None\nparent_backup_id=20260101T000000\n");
        assertEquals(java.util.Optional.of("20260101T000000"), child.parentBackupId());
        assertEquals(List.of(), child.childrenBackupIds());
        assertTrue(child.isIncremental());

        assertTrue(BackupInfo.parse(EXAMPLE + "backup_type=incremental\n").isIncremental());
        assertFalse(BackupInfo.parse(EXAMPLE).isIncremental(), "a 3.4 backup.info is a full backup");
        BackupInfo unknownType = BackupInfo.parse(EXAMPLE + "backup_type=differential\n");
        assertFalse(unknownType.isIncremental(), "a type Cumulus does not know is not called incremental");
        assertEquals("a backup of type 'differential' (backup_type)", unknownType.unrestorableKind().orElseThrow());
    }

    @Test
    void writesExactlyThe34KeySetInSortedOrder() {
        List<String> keys = BackupInfo.builder().backupName("n").build().format().lines()
                .map(line -> line.substring(0, line.indexOf('=')))
                .toList();
        assertEquals(List.of("backup_label", "backup_name", "begin_offset", "begin_time", "begin_wal", "begin_xlog",
                "compression", "config_file", "copy_stats", "deduplicated_size", "end_offset", "end_time", "end_wal",
                "end_xlog", "error", "hba_file", "ident_file", "included_files", "mode", "pgdata", "server_name",
                "size", "status", "systemid", "tablespaces", "timeline", "version", "xlog_segment_size"), keys);
    }

    @Test
    void leavesOutBackupNameAndSnapshotsInfoWhenUnset() {
        String text = BackupInfo.parse(EXAMPLE).toBuilder().backupName(null).build().format();
        assertFalse(text.contains("backup_name="));
        assertFalse(text.contains("snapshots_info="));
        assertEquals(27, text.lines().count());
    }

    @Test
    void writesSnapshotsInfoWhenSet() {
        String snapshots = "snapshots_info={'provider': 'gcp', 'provider_info': {'project': 'p'}, "
                + "'snapshots': [{'mount': {'mount_options': 'rw,noatime', 'mount_point': '/opt/disk0'}, "
                + "'provider': {'device_name': 'dev0', 'snapshot_name': 'snap0'}}]}\n";
        String text = EXAMPLE.replace("status=DONE\n", snapshots + "status=DONE\n");
        BackupInfo info = BackupInfo.parse(text);
        assertEquals("gcp", info.snapshotsInfo().get("provider"));
        assertEquals(text, info.format());
    }

    @Test
    void readsAndWritesATablespaceListWithAwkwardNames() {
        String line = "tablespaces=[('ts1', 16384, '/srv/pg/ts1'), ('it\\'s \"big\"', 16385, \"/srv/pg/it's\"), "
                + "('back\\\\slash', 4294967295, '/srv/pg/tab\\tbed')]";
        BackupInfo info = BackupInfo.parse(EXAMPLE.replace("tablespaces=[('ts1', 16384, '/srv/pg/ts1')]", line));
        assertEquals(List.of(
                new Tablespace("ts1", 16384, "/srv/pg/ts1"),
                new Tablespace("it's \"big\"", 16385, "/srv/pg/it's"),
                new Tablespace("back\\slash", 4294967295L, "/srv/pg/tab\tbed")), info.tablespaces());
        assertTrue(info.format().contains(line + "\n"));
    }

    @Test
    void writesNoneForNoTablespacesAndReadsItAsAnEmptyList() {
        BackupInfo none = BackupInfo.parse(EXAMPLE.replace("tablespaces=[('ts1', 16384, '/srv/pg/ts1')]", "tablespaces=None"));
        assertEquals(List.of(), none.tablespaces());
        assertTrue(none.format().contains("\ntablespaces=None\n"));
        BackupInfo empty = BackupInfo.parse(EXAMPLE.replace("tablespaces=[('ts1', 16384, '/srv/pg/ts1')]", "tablespaces=[]"));
        assertEquals(List.of(), empty.tablespaces());
        assertTrue(empty.format().contains("\ntablespaces=None\n"));
    }

    @Test
    void escapesQuotesNewlinesAndBackslashesInTheLabelAsPythonRepr() {
        String label = "LABEL: it's a \"test\"\nPATH: C:\\pg\\data\r\n\ttab\u0007bell é\n";
        BackupInfo info = BackupInfo.builder().backupLabel(label).build();
        String line = info.format().lines().filter(l -> l.startsWith("backup_label=")).findFirst().orElseThrow();
        assertEquals("backup_label='LABEL: it\\'s a \"test\"\\nPATH: C:\\\\pg\\\\data\\r\\n\\ttab\\x07bell é\\n'", line);
        assertEquals(label, BackupInfo.parse(info.format()).backupLabel());
    }

    @Test
    void readsBothQuoteStylesAndPicksPythonsQuoteWhenWriting() {
        BackupInfo doubleQuoted = BackupInfo.parse("backup_label=\"it's\"\n");
        assertEquals("it's", doubleQuoted.backupLabel());
        assertTrue(doubleQuoted.format().contains("backup_label=\"it's\"\n"));
        BackupInfo plain = BackupInfo.parse("backup_label=\"plain\"\n");
        assertTrue(plain.format().contains("backup_label='plain'\n"));
    }

    @Test
    void recordsAFailedBackupWithItsError() {
        String error = BackupInfo.failureError("uploading data",
                new IOException("Connection reset by peer\nat some.Frame(Source.java:1)"));
        assertEquals("failure uploading data (Connection reset by peer)", error);
        BackupInfo failed = BackupInfo.parse(EXAMPLE).toBuilder()
                .status(BackupStatus.FAILED)
                .error(error)
                .endTime(null).endWal(null).endXlog(null).endOffset(null)
                .build();
        String text = failed.format();
        assertTrue(text.contains("\nerror=failure uploading data (Connection reset by peer)\n"));
        assertTrue(text.contains("\nstatus=FAILED\n"));
        assertTrue(text.contains("\nend_time=None\n"));
        BackupInfo back = BackupInfo.parse(text);
        assertEquals(failed, back);
        assertEquals(BackupStatus.FAILED, back.status());
        assertFalse(back.status().isCopyDone());
    }

    @Test
    void namesTheExceptionTypeWhenTheFailureHasNoMessage() {
        assertEquals("failure taking backup (NullPointerException)",
                BackupInfo.failureError("taking backup", new NullPointerException()));
    }

    @Test
    void refusesALineBreakInAValueWrittenVerbatim() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackupInfo.builder().error("first\nsecond").build());
        assertTrue(e.getMessage().contains("error"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BackupInfo.builder().pgdata("/srv/pg\r").build());
    }

    @Test
    void takesNaiveTimestampsInTheGivenZone() {
        BackupInfo info = BackupInfo.parse("begin_time=2026-11-21 05:19:44\nend_time=2026-07-01T06:00:00.5\n",
                ZoneId.of("Europe/Paris"));
        assertEquals(OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 0, ZoneOffset.ofHours(1)), info.beginTime());
        assertEquals(OffsetDateTime.of(2026, 7, 1, 6, 0, 0, 500_000_000, ZoneOffset.ofHours(2)), info.endTime());
        String text = info.format();
        assertTrue(text.contains("\nbegin_time=2026-11-21 05:19:44+01:00\n"), text);
        assertTrue(text.contains("\nend_time=2026-07-01 06:00:00.500000+02:00\n"), text);
    }

    @Test
    void readsOtherOffsetForms() {
        ZoneId unused = ZoneId.of("Asia/Tokyo");
        assertEquals(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC),
                BackupInfo.parse("begin_time=2026-01-02T03:04:05Z\n", unused).beginTime());
        assertEquals(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(-3, -30)),
                BackupInfo.parse("begin_time=2026-01-02 03:04:05-0330\n", unused).beginTime());
        assertEquals(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(5, 45)),
                BackupInfo.parse("begin_time=2026-01-02 03:04:05+05:45\n", unused).beginTime());
    }

    @Test
    void movesAnOffsetWithSecondsToUtcBecauseDateutilCannotReadIt() {
        OffsetDateTime lmt = OffsetDateTime.of(1890, 1, 1, 12, 0, 0, 1, ZoneOffset.ofHoursMinutesSeconds(0, 9, 21));
        BackupInfo info = BackupInfo.builder().beginTime(lmt).build();
        assertEquals(OffsetDateTime.of(1890, 1, 1, 11, 50, 39, 0, ZoneOffset.UTC), info.beginTime());
        assertTrue(info.format().contains("\nbegin_time=1890-01-01 11:50:39+00:00\n"));
    }

    @Test
    void skipsBlankLinesAndCommentsAndStripsAroundTheEqualsSign() {
        BackupInfo info = BackupInfo.parse("# written by hand\n\n   \nstatus = DONE \r\n  # indented comment\n"
                + "version=  150018\nbackup_name = a=b\n");
        assertEquals(BackupStatus.DONE, info.status());
        assertEquals(150018, info.version());
        assertEquals("a=b", info.backupName());
    }

    @Test
    void defaultsStatusAndSegmentSizeAsBarmanDoesWhenTheKeysAreMissing() {
        BackupInfo info = BackupInfo.parse("version=150018\n");
        assertEquals(BackupStatus.EMPTY, info.status());
        assertEquals(BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE, info.xlogSegmentSize());
        assertNull(info.beginTime());
        assertNull(info.timeline());
    }

    @Test
    void rejectsALineWithoutAnEqualsSign() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackupInfo.parse("status=DONE\nnot a key value line\n"));
        assertTrue(e.getMessage().contains("not a key value line"), e.getMessage());
    }

    @Test
    void namesTheKeyWhoseValueCannotBeRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackupInfo.parse("timeline=one\n"));
        assertTrue(e.getMessage().contains("timeline"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackupInfo.parse("copy_stats={'a': \n"));
        assertTrue(e.getMessage().contains("copy_stats"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackupInfo.parse("status=MAYBE\n"));
        assertTrue(e.getMessage().contains("status"), e.getMessage());
    }

    @Test
    void rejectsBytesThatAreNotUtf8() {
        byte[] latin1 = "pgdata=/srv/pg/donn\u00e9es\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThrows(IllegalArgumentException.class, () -> BackupInfo.parse(latin1));
    }

    @Test
    void writesWhatBarman34WritesForTheSameValues() throws Exception {
        Barman34.assumeInstalled();
        Map<String, Object> copyStats = new LinkedHashMap<>();
        copyStats.put("total_time", 1e-05);
        copyStats.put("big", 1.5e16);
        copyStats.put("tuple", PythonLiteral.Tuple.of(1L, "x"));
        copyStats.put("single", PythonLiteral.Tuple.of(0.1));
        copyStats.put("none", null);
        copyStats.put("flags", List.of(true, false));
        copyStats.put("negative", -0.0);
        copyStats.put("huge", new java.math.BigInteger("123456789012345678901234567890"));
        BackupInfo info = BackupInfo.builder()
                .backupLabel("it's \"odd\"\\ \n\t\u0000\u007f\u0085\u00a0\u2028\ud83d\ude00 \u00e9\u200b")
                .backupName("nightly")
                .beginTime(OffsetDateTime.of(2026, 3, 1, 0, 0, 0, 0, ZoneOffset.ofHoursMinutes(-9, -30)))
                .endTime(OffsetDateTime.of(2026, 3, 1, 0, 1, 2, 3000, ZoneOffset.ofHoursMinutes(5, 30)))
                .copyStats(copyStats)
                .includedFiles(List.of("/etc/postgresql/it's.conf", "/etc/\"quoted\".conf"))
                .tablespaces(List.of(new Tablespace("tbs \"q\"", 16390, "/srv/it's")))
                .status(BackupStatus.WAITING_FOR_WALS)
                .error("failure (50% done)")
                .timeline(3)
                .version(90624)
                .build();
        String ours = info.format();
        assertEquals(ours, Barman34.loadAndSave(ours, "UTC"));
        assertEquals(info, BackupInfo.parse(ours));
    }

    @Test
    void readsNaiveTimestampsAsBarman34Does() throws Exception {
        Barman34.assumeInstalled();
        String naive = EXAMPLE.replace("05:19:44.618239+00:00", "05:19:44.618239");
        String barman = Barman34.loadAndSave(naive, "America/New_York");
        assertEquals(barman, BackupInfo.parse(naive, ZoneId.of("America/New_York")).format());
    }
}
