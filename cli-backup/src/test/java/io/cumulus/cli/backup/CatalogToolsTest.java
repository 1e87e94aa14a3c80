package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cumulus-backup-list, -show, -keep and -delete run in-process on a file:// catalog of four backups
 * (the third FAILED, the second named) and segments 1 to 40 of timeline 1.
 */
class CatalogToolsTest {

    private static final OffsetDateTime T0 = OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    private static final String[] IDS = {"20260101T000000", "20260102T000000", "20260103T000000", "20260104T000000"};

    @TempDir
    Path dir;

    private Path root;
    private String url;

    private record Result(int exitCode, String out, String err) {
        String describe() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private static Result run(Supplier<ToolCommand> tool, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(tool.get(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private String[] args(String... rest) {
        return Stream.concat(Stream.of(url, "pg"), Stream.of(rest)).toArray(String[]::new);
    }

    @BeforeEach
    void writeCatalog() throws IOException {
        root = dir.resolve("store");
        url = "file://" + root;
        for (int n = 0; n < 4; n++) {
            BackupInfo info = BackupInfo.builder()
                    .status(n == 2 ? BackupStatus.FAILED : BackupStatus.DONE)
                    .backupName(n == 1 ? "before-upgrade" : null)
                    .serverName("cloud").timeline(1).version(150000)
                    .beginWal(String.format("0000000100000000%08X", 10 * n + 5))
                    .endWal(String.format("0000000100000000%08X", 10 * n + 6))
                    .beginTime(T0.plusDays(n)).endTime(T0.plusDays(n).plusMinutes(5))
                    .tablespaces(n == 0 ? List.of(new Tablespace("ts", 16384, "/ts")) : List.of())
                    .build();
            write("pg/base/" + IDS[n] + "/backup.info", info.format());
            write("pg/base/" + IDS[n] + "/data.tar", "x");
            if (n == 0) {
                write("pg/base/" + IDS[n] + "/16384.tar", "x");
            }
        }
        for (int s = 1; s <= 40; s++) {
            write(String.format("pg/wals/0000000100000000/0000000100000000%08X.gz", s), "w");
        }
    }

    private void write(String key, String body) throws IOException {
        Path p = root.resolve(key);
        Files.createDirectories(p.getParent());
        Files.writeString(p, body);
    }

    private Set<String> keys() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString())
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void listShowsDoneBackupsInColumnsAndJsonShowsEveryBackup() throws Exception {
        run(BackupKeepCommand::new, args(IDS[0], "--target", "standalone"));

        Result console = run(BackupListCommand::new, args());
        assertEquals(0, console.exitCode(), console.describe());
        List<String> lines = console.out().lines().toList();
        assertEquals("Backup ID           End Time                 Begin Wal                     Archival Status  Name",
                lines.get(0).stripTrailing());
        assertEquals(4, lines.size(), "three DONE backups under the header");
        assertTrue(lines.get(1).startsWith("20260101T000000     2026-01-01 00:05:00      000000010000000000000005      KEEP:STANDALONE"),
                lines.get(1));
        assertTrue(lines.get(2).stripTrailing().endsWith("before-upgrade"), lines.get(2));

        Result json = run(BackupListCommand::new, args("--format", "json"));
        JsonNode list = new ObjectMapper().readTree(json.out()).get("backups_list");
        assertEquals(4, list.size());
        assertEquals("FAILED", list.get(2).get("status").asText());
        assertEquals("Thu Jan  1 00:05:00 2026", list.get(0).get("end_time").asText());
        assertEquals("ts", list.get(0).get("tablespaces").get(0).get(0).asText());
    }

    @Test
    void showFindsABackupByNameOrShortcutAndAnUnknownOneIsExitOne() throws Exception {
        Result byName = run(BackupShowCommand::new, args("before-upgrade"));
        assertEquals(0, byName.exitCode(), byName.describe());
        assertTrue(byName.out().startsWith("Backup " + IDS[1] + ":"), byName.out());
        Result latest = run(BackupShowCommand::new, args("latest", "--format", "json"));
        assertEquals(IDS[3], new ObjectMapper().readTree(latest.out()).get("cloud").get("backup_id").asText());
        Result failed = run(BackupShowCommand::new, args("last-failed"));
        assertTrue(failed.out().contains("FAILED"), failed.out());
        write("pg/base/20251231T000000/backup.info", "not a backup.info");
        Result despiteUnreadable = run(BackupShowCommand::new, args("before-upgrade"));
        assertEquals(0, despiteUnreadable.exitCode(), despiteUnreadable.describe());
        assertTrue(despiteUnreadable.err().contains("skipping backup 20251231T000000"), despiteUnreadable.describe());
        Result list = run(BackupListCommand::new, args());
        assertEquals(0, list.exitCode(), list.describe());
        assertFalse(list.out().contains("20251231T000000"), list.describe());
        Result unknown = run(BackupShowCommand::new, args("20000101T000000"));
        assertEquals(1, unknown.exitCode(), unknown.describe());
        assertTrue(unknown.err().contains("backup 20000101T000000 not found in " + root.toUri() + "pg/base/"),
                unknown.describe()); // one slash between the store and the prefix, not file:///.../store//pg/base/
        assertFalse(unknown.err().contains("//pg"), unknown.describe());
    }

    /** Scripts grep show's console output: its labels are barman 3.4's show-backup labels, case included. */
    @Test
    void showLabelsAreBarmansShowBackupLabels() throws Exception {
        Set<String> barman = Set.of("Backup Name", "Server Name", "System Id", "Status", "PostgreSQL Version",
                "PGDATA directory", "Tablespaces", "Base backup information", "Timeline", "Begin WAL", "End WAL",
                "Begin time", "End time", "Copy time", "Begin Offset", "End Offset", "Begin LSN", "End LSN", "Error");
        Set<String> cumulusOnly = Set.of("Keep", "WAL segment size", "Snapshot backup", "Parent Backup",
                "Children Backups");
        Set<String> labels = new TreeSet<>();
        for (String id : List.of(IDS[0], "before-upgrade", IDS[2])) {
            Result show = run(BackupShowCommand::new, args(id));
            assertEquals(0, show.exitCode(), show.describe());
            boolean tablespaces = false;
            for (String line : show.out().lines().toList()) {
                if (line.startsWith("  ") && line.contains(":")) {
                    String label = line.substring(0, line.indexOf(':')).strip();
                    if (!(tablespaces && line.startsWith("    "))) { // a tablespace's line is labelled with its name
                        labels.add(label);
                    }
                    tablespaces = label.equals("Tablespaces") || tablespaces && line.startsWith("    ");
                }
            }
        }
        assertTrue(labels.contains("Backup Name"), labels.toString());
        // values as barman prints them too: a time is Python's str(), microseconds only when not zero
        String show = run(BackupShowCommand::new, args(IDS[0])).out();
        assertTrue(show.lines().anyMatch(l -> l.matches(" *Begin time *: 2026-01-01 00:00:00\\+00:00")), show);
        labels.removeAll(cumulusOnly);
        assertTrue(barman.containsAll(labels), "not barman's: " + labels.stream().filter(l -> !barman.contains(l)).toList());
    }

    /** barman 3.4 prints copy_stats' copy_time after End time, in human_readable_timedelta's words. */
    @Test
    void showPrintsTheCopyTimeAsBarmanDoesAfterTheEndTime() throws Exception {
        Path info = root.resolve("pg/base/" + IDS[3] + "/backup.info");
        Files.writeString(info, BackupInfo.parse(Files.readAllBytes(info)).toBuilder()
                .copyStats(java.util.Map.of("copy_time", 3725.2, "analysis_time", 1.5, "number_of_workers", 2L))
                .build().format());
        List<String> lines = run(BackupShowCommand::new, args(IDS[3])).out().lines().toList();
        int end = lines.indexOf(lines.stream().filter(l -> l.strip().startsWith("End time")).findFirst().orElseThrow());
        assertEquals("    Copy time             : 1 hour, 2 minutes, 5 seconds + 1 second startup", lines.get(end + 1));
        // none without copy_stats, as barman
        assertTrue(run(BackupShowCommand::new, args(IDS[1])).out().lines().noneMatch(l -> l.contains("Copy time")));

        assertEquals("3 seconds", BackupShowCommand.inWords(3.5));
        assertEquals("1 minute", BackupShowCommand.inWords(59.9999999));
        assertEquals("1 day, 1 hour, 1 minute, 1 second", BackupShowCommand.inWords(90061));
        assertEquals("less than one second", BackupShowCommand.inWords(0.4));
    }

    @Test
    void showSaysWhichBackupsCumulusRestoreDoesNotRestore() throws Exception {
        Path snapshot = root.resolve("pg/base/" + IDS[1] + "/backup.info");
        Files.writeString(snapshot, BackupInfo.parse(Files.readAllBytes(snapshot)).toBuilder()
                .snapshotsInfo(java.util.Map.of("provider", "gcp", "snapshots", List.of())).build().format());
        Path parent = root.resolve("pg/base/" + IDS[0] + "/backup.info");
        Files.writeString(parent, Files.readString(parent) + "children_backup_ids=" + IDS[3] + "\n");
        Path child = root.resolve("pg/base/" + IDS[3] + "/backup.info");
        Files.writeString(child, Files.readString(child) + "parent_backup_id=" + IDS[0] + "\n");

        assertTrue(run(BackupShowCommand::new, args(IDS[1])).out().contains(
                "  Snapshot backup         : yes, which cumulus-restore does not restore (barman-cloud-restore does)\n"));
        assertTrue(run(BackupShowCommand::new, args(IDS[3])).out().contains("  Parent Backup           : " + IDS[0]
                + " (an incremental backup, which cumulus-restore does not restore)\n"));
        assertTrue(run(BackupShowCommand::new, args(IDS[0])).out().contains("  Children Backups        : " + IDS[3] + "\n"));
    }

    @Test
    void keepWritesBarmansAnnotationReportsItAndReleasesIt() throws Exception {
        assertEquals(0, run(BackupKeepCommand::new, args(IDS[1], "--target", "full")).exitCode());
        assertEquals("full", Files.readString(root.resolve("pg/base/" + IDS[1] + "/annotations/keep")));
        assertEquals("Keep: full\n", run(BackupKeepCommand::new, args("before-upgrade", "-s")).out());
        assertEquals(0, run(BackupKeepCommand::new, args(IDS[1], "--release")).exitCode());
        assertEquals("Keep: nokeep\n", run(BackupKeepCommand::new, args(IDS[1], "--status")).out());
        assertEquals(0, run(BackupKeepCommand::new, args(IDS[1], "-r")).exitCode(), "releasing twice is fine");

        Result failed = run(BackupKeepCommand::new, args(IDS[2], "--target", "full"));
        assertEquals(1, failed.exitCode(), failed.describe());
        assertTrue(failed.err().contains("only DONE backups can be kept"), failed.describe());
        assertEquals(3, run(BackupKeepCommand::new, args(IDS[1], "--target", "forever")).exitCode());
        assertEquals(3, run(BackupKeepCommand::new, args(IDS[1], "-s", "-r")).exitCode());
    }

    /**
     * A keep that lands while a cumulus-backup-delete (which read the catalog before) removes the
     * backup, archives first: refused, and no annotation is left alone for -s to show.
     */
    @Test
    void keepingABackupWhoseArchivesAreBeingDeletedIsRefusedAndLeavesNoAnnotation() throws Exception {
        Files.delete(root.resolve("pg/base/" + IDS[1] + "/data.tar"));
        Result kept = run(BackupKeepCommand::new, args(IDS[1], "--target", "full"));
        assertEquals(1, kept.exitCode(), kept.describe());
        assertTrue(kept.err().contains("cannot keep backup " + IDS[1] + ": ") && kept.err().contains("data.tar")
                && kept.err().contains("nothing is kept"), kept.describe());
        assertFalse(Files.exists(root.resolve("pg/base/" + IDS[1] + "/annotations/keep")));
    }

    /** As barman-cloud-backup-keep: with an id, -s and -r go to the annotation's key, not through backup.info. */
    @Test
    void statusAndReleaseReachTheKeepOfABackupWhoseInfoIsUnreadableOrGone() throws Exception {
        String unreadable = "20251231T000000";
        String gone = "20251230T000000";
        write("pg/base/" + unreadable + "/backup.info", "not a backup.info");
        write("pg/base/" + unreadable + "/annotations/keep", "full");
        write("pg/base/" + gone + "/annotations/keep", "standalone");

        Result status = run(BackupKeepCommand::new, args(unreadable, "-s"));
        assertEquals(0, status.exitCode(), status.describe());
        assertEquals("Keep: full\n", status.out());
        Result goneStatus = run(BackupKeepCommand::new, args(gone, "--status"));
        assertEquals("Keep: standalone\n", goneStatus.out());
        assertTrue(goneStatus.err().contains("has a keep annotation but no backup.info"), goneStatus.describe());
        for (String id : List.of(unreadable, gone)) {
            Result release = run(BackupKeepCommand::new, args(id, "-r"));
            assertEquals(0, release.exitCode(), release.describe());
            assertFalse(Files.exists(root.resolve("pg/base/" + id + "/annotations/keep")), id);
            assertEquals("Keep: nokeep\n", run(BackupKeepCommand::new, args(id, "-s")).out());
        }
        Result never = run(BackupKeepCommand::new, args("20000101T000000", "-s"));
        assertEquals(0, never.exitCode(), never.describe());
        assertEquals("Keep: nokeep\n", never.out());

        // keeping needs a backup.info that says DONE; one that cannot be read is an error, 4 as in barman
        Result keepUnreadable = run(BackupKeepCommand::new, args(unreadable, "--target", "full"));
        assertEquals(4, keepUnreadable.exitCode(), keepUnreadable.describe());
        Result keepGone = run(BackupKeepCommand::new, args(gone, "--target", "full"));
        assertEquals(1, keepGone.exitCode(), keepGone.describe());
        assertFalse(Files.exists(root.resolve("pg/base/" + unreadable + "/annotations/keep")));
        assertFalse(Files.exists(root.resolve("pg/base/" + gone + "/annotations/keep")));
    }

    @Test
    void badDeletesAreRefusedWithAClearMessageAndNothingIsDeleted() throws Exception {
        Set<String> before = keys();
        run(BackupKeepCommand::new, args(IDS[0], "--target", "full"));
        before.add("pg/base/" + IDS[0] + "/annotations/keep");

        // deliberately unlike barman-cloud-backup-delete, which warns and exits 0: a typo must be noticed
        Result unknown = run(BackupDeleteCommand::new, args("-b", "20000101T000000"));
        assertEquals(1, unknown.exitCode(), unknown.describe());
        assertTrue(unknown.err().contains("backup 20000101T000000 not found"), unknown.describe());

        // deliberately unlike barman-cloud-backup-delete, which deletes every DONE backup not kept
        Set<String> beforeZero = keys();
        Result zero = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 0"));
        assertEquals(3, zero.exitCode(), zero.describe());
        assertTrue(zero.err().contains("REDUNDANCY 0 would delete every backup that is not kept"), zero.describe());
        assertEquals(beforeZero, keys());
        Result zeroNoStore = run(BackupDeleteCommand::new, "file://" + dir.resolve("absent"), "pg", "-r",
                "redundancy 0", "--dry-run");
        assertEquals(3, zeroNoStore.exitCode(), "refused before the store is contacted: " + zeroNoStore.describe());

        Result policy = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY two"));
        assertEquals(3, policy.exitCode(), policy.describe());
        assertTrue(policy.err().contains("invalid retention policy 'REDUNDANCY two'"), policy.describe());

        Result kept = run(BackupDeleteCommand::new, args("-b", IDS[0]));
        assertEquals(1, kept.exitCode(), kept.describe());
        assertTrue(kept.err().contains("is kept (keep:full)"), kept.describe());

        Result minimum = run(BackupDeleteCommand::new, args("-b", "before-upgrade", "-m", "3"));
        assertEquals(1, minimum.exitCode(), minimum.describe());
        assertTrue(minimum.err().contains("fewer than the minimum redundancy of 3"), minimum.describe());

        assertEquals(3, run(BackupDeleteCommand::new, args("-b", IDS[1], "-r", "REDUNDANCY 1")).exitCode());
        assertEquals(3, run(BackupDeleteCommand::new, args()).exitCode());

        write("pg/base/" + IDS[3] + "/backup.info", "status=DONE\ntimeline=x\n");
        before.add("pg/base/" + IDS[3] + "/backup.info");
        Result unreadable = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 1"));
        assertEquals(1, unreadable.exitCode(), unreadable.describe());
        assertTrue(unreadable.err().contains("cannot read the backup.info of " + IDS[3]), unreadable.describe());
        assertTrue(unreadable.err().contains("nothing deleted"), unreadable.describe());

        assertEquals(before, keys());
    }

    /**
     * As barman-cloud's argparse groups: a member repeated is taken (the last value wins), two different
     * members are refused, exit 3, with argparse's words; so is none.
     */
    @Test
    void anExclusiveOptionMayBeRepeatedButNotJoinedByAnother() throws Exception {
        Result twice = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 1", "-r", "REDUNDANCY 3", "--dry-run"));
        assertEquals(0, twice.exitCode(), twice.describe());
        assertTrue(twice.out().contains("Dry run of REDUNDANCY 3"), twice.describe());
        Result both = run(BackupDeleteCommand::new, args("-b", IDS[1], "--retention-policy", "REDUNDANCY 1"));
        assertEquals(3, both.exitCode(), both.describe());
        assertTrue(both.err().contains("argument -r/--retention-policy: not allowed with argument -b/--backup-id"),
                both.describe());
        Result none = run(BackupDeleteCommand::new, args("--dry-run"));
        assertEquals(3, none.exitCode(), none.describe());
        assertTrue(none.err().contains("one of the arguments -b/--backup-id -r/--retention-policy is required"),
                none.describe());

        assertEquals("Keep: nokeep\n", run(BackupKeepCommand::new, args(IDS[1], "-s", "-s")).out());
        assertEquals(0, run(BackupKeepCommand::new, args(IDS[1], "--target", "full", "--targ", "standalone"))
                .exitCode());
        assertEquals("Keep: standalone\n", run(BackupKeepCommand::new, args(IDS[1], "--stat")).out());
        Result keepBoth = run(BackupKeepCommand::new, args(IDS[1], "-s", "--release"));
        assertEquals(3, keepBoth.exitCode(), keepBoth.describe());
        assertTrue(keepBoth.err().contains("argument -r/--release: not allowed with argument -s/--status"),
                keepBoth.describe());
        assertEquals(3, run(BackupKeepCommand::new, args(IDS[1])).exitCode());
    }

    /**
     * The FAILED mark and the keep annotation are written as cumulus-backup writes (file:// keeps neither
     * encryption nor tags, so only the reading of the options shows here); a bad value is exit 3 before
     * anything is written, as in cumulus-backup.
     */
    @Test
    void deleteAndKeepTakeTheEncryptionAndTagOptionsOfCumulusBackup() throws Exception {
        Result keep = run(BackupKeepCommand::new, args(IDS[1], "--target", "full", "-e", "AES256", "--tag",
                "team,dba"));
        assertEquals(0, keep.exitCode(), keep.describe());
        assertEquals("full", Files.readString(root.resolve("pg/base/" + IDS[1] + "/annotations/keep")));

        Set<String> before = keys();
        for (String[] bad : List.of(new String[] {"-e", "aes256"}, new String[] {"--sse-kms-key-id", "k"},
                new String[] {"-e", "AES256", "--sse-kms-key-id", "k"}, new String[] {"--tags", "a"},
                new String[] {"--tag", "aws:x,1"})) {
            String[] delete = Stream.concat(Stream.of("-b", IDS[3]), Stream.of(bad)).toArray(String[]::new);
            Result refused = run(BackupDeleteCommand::new, args(delete));
            assertEquals(3, refused.exitCode(), refused.describe());
            String[] keepBad = Stream.concat(Stream.of(IDS[3], "--target", "full"), Stream.of(bad))
                    .toArray(String[]::new);
            assertEquals(3, run(BackupKeepCommand::new, args(keepBad)).exitCode(), String.join(" ", bad));
        }
        assertEquals(before, keys(), "nothing written or deleted");

        Result delete = run(BackupDeleteCommand::new, args("-b", IDS[3], "-e", "aws:kms", "--sse-kms-key-id",
                "alias/backups", "--encryption-scope", "backups", "--kms-key-name",
                "projects/p/locations/l/keyRings/r/cryptoKeys/k", "--tags", "team,dba", "site,paris"));
        assertEquals(0, delete.exitCode(), delete.describe());
        assertFalse(keys().stream().anyMatch(k -> k.startsWith("pg/base/" + IDS[3])), delete.describe());

        // --en was --endpoint-url's prefix in barman-cloud-backup-delete 3.4; --end still is
        Result ambiguous = run(BackupDeleteCommand::new, args("-b", IDS[0], "--en", "http://127.0.0.1:1"));
        assertEquals(3, ambiguous.exitCode(), ambiguous.describe());
        assertTrue(ambiguous.err().contains("ambiguous option: --en could match --endpoint-url, --encryption,"
                + " --encryption-scope"), ambiguous.describe());
    }

    /** As barman-cloud: --format is console only when it is exactly 'console'; anything else is JSON. */
    @Test
    void anyFormatButConsoleIsJson() throws Exception {
        for (String format : new String[] {"json", "foo", "Console", "JSON"}) {
            Result list = run(BackupListCommand::new, args("--format", format));
            assertEquals(0, list.exitCode(), list.describe());
            new ObjectMapper().readTree(list.out());
            Result show = run(BackupShowCommand::new, args(IDS[1], "--form", format));
            new ObjectMapper().readTree(show.out());
        }
        assertTrue(run(BackupListCommand::new, args("--format", "console")).out().startsWith("Backup ID"),
                "the console table");
    }

    /** What becomes of the WAL is pinned in WalLeftBehindTest; the message must say the same. */
    @Test
    void walThatCouldNotBeDeletedIsReportedWithoutPromisingThatARerunRetriesIt() {
        String message = BackupDeleteCommand.walLeftMessage(List.of("pg/wals/0000000100000000/000000010000000000000007",
                "pg/wals/0000000100000000/000000010000000000000008"));
        assertTrue(message.startsWith("2 WAL object(s) could not be deleted, first"
                + " pg/wals/0000000100000000/000000010000000000000007; the backups are deleted."), message);
        assertTrue(message.contains("Running the same delete again does not retry this WAL"), message);
        assertTrue(message.contains("when the oldest backup is next deleted, or delete it by hand"), message);
        assertFalse(message.contains("to retry"), message);
    }

    @Test
    void dryRunShowsEachBackupsFateAndTheWalRangeAndDeletesNothing() throws Exception {
        Set<String> before = keys();

        Result table = run(BackupDeleteCommand::new, args("-r", "redundancy 2", "--dry-run"));
        assertEquals(0, table.exitCode(), table.describe());
        assertTrue(table.out().contains("Dry run of REDUNDANCY 2: nothing is deleted"), table.out());
        assertTrue(table.out().contains(IDS[0] + "  2026-01-01 00:05:00  DONE              OBSOLETE"), table.out());
        assertTrue(table.out().contains(IDS[2] + "  2026-01-03 00:05:00  FAILED            -"), table.out());
        assertTrue(table.out().contains("Would delete backup " + IDS[0] + ", then 14 WAL object(s) "
                + "000000010000000000000001 .. 00000001000000000000000E"), table.out());

        JsonNode json = new ObjectMapper().readTree(run(BackupDeleteCommand::new,
                args("-r", "REDUNDANCY 2", "--dry-run", "--format", "json")).out());
        assertEquals("VALID", json.get("backups").get(1).get("retention").asText());
        JsonNode deletion = json.get("deletions").get(0);
        assertEquals(List.of("pg/base/" + IDS[0] + "/data.tar", "pg/base/" + IDS[0] + "/16384.tar",
                "pg/base/" + IDS[0] + "/backup.info"), new ObjectMapper().convertValue(deletion.get("objects"), List.class));
        assertEquals(14, deletion.get("wal_objects").size());

        assertEquals(before, keys());
    }

    /** barman's longest status, WAITING_FOR_WALS, stays in its column. */
    @Test
    void theDryRunsStatusColumnHoldsWaitingForWals() throws Exception {
        Path info = root.resolve("pg/base/" + IDS[2] + "/backup.info");
        Files.writeString(info, BackupInfo.parse(Files.readAllBytes(info)).toBuilder()
                .status(BackupStatus.WAITING_FOR_WALS).build().format());
        Result table = run(BackupDeleteCommand::new, args("-r", "redundancy 2", "--dry-run"));
        assertEquals(0, table.exitCode(), table.describe());
        List<String> lines = table.out().lines().toList();
        String header = lines.stream().filter(l -> l.startsWith("Backup ID")).findFirst().orElseThrow();
        String row = lines.stream().filter(l -> l.startsWith(IDS[2])).findFirst().orElseThrow();
        assertTrue(row.contains("  WAITING_FOR_WALS  "), row);
        assertEquals(header.indexOf("Retention"), row.indexOf("WAITING_FOR_WALS") + "WAITING_FOR_WALS".length() + 2,
                table.out());
    }

    @Test
    void aDryRunShowsTheRefusalOfASnapshotBackupThatTheDeleteWouldMeet() throws Exception {
        Path info = root.resolve("pg/base/" + IDS[0] + "/backup.info");
        Files.writeString(info, BackupInfo.parse(Files.readAllBytes(info)).toBuilder()
                .snapshotsInfo(java.util.Map.of("provider", "gcp", "snapshots", List.of(java.util.Map.of(
                        "mount", java.util.Map.of("mount_point", "/opt/disk0", "mount_options", "rw"),
                        "provider", java.util.Map.of("device_name", "dev0", "snapshot_name", "pgdata-snap-1")))))
                .build().format());
        Set<String> before = keys();
        for (String[] options : List.of(new String[] {"--dry-run"}, new String[0])) {
            Result result = run(BackupDeleteCommand::new, args(Stream.concat(Stream.of("-r", "REDUNDANCY 2"),
                    Stream.of(options)).toArray(String[]::new)));
            assertEquals(1, result.exitCode(), result.describe());
            assertTrue(result.err().contains("backup " + IDS[0] + " is a snapshot backup (snapshots pgdata-snap-1)"
                    + ", and Cumulus does not delete disk snapshots"), result.describe());
            assertEquals(before, keys());
        }
        // a plan without it is shown as before
        Result other = run(BackupDeleteCommand::new, args("-b", IDS[1], "--dry-run"));
        assertEquals(0, other.exitCode(), other.describe());
    }

    @Test
    void deleteByPolicyRemovesTheObsoleteBackupAndTheWalBeforeTheNextOne() throws Exception {
        Result result = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 2", "--batch-size", "5"));

        assertEquals(0, result.exitCode(), result.describe());
        Set<String> left = keys();
        assertFalse(left.stream().anyMatch(k -> k.startsWith("pg/base/" + IDS[0])), left.toString());
        assertTrue(left.contains("pg/base/" + IDS[2] + "/backup.info"), "a FAILED backup is never deleted by a policy");
        assertFalse(left.contains("pg/wals/0000000100000000/00000001000000000000000E.gz"));
        assertTrue(left.contains("pg/wals/0000000100000000/00000001000000000000000F.gz"));
        assertEquals("", result.out());
    }

    @Test
    void backupsKilledBeforeTheyStoredABackupInfoAreDeletedOnceClearlyDead() throws Exception {
        String killed = "20260102T120000";
        String running = "20260103T120000";
        String newest = "20260104T120000";
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofDays(3)));
        for (String id : List.of(killed, running, newest)) {
            write("pg/base/" + id + "/data.tar", "x");
            if (!id.equals(running)) {
                Files.setLastModifiedTime(root.resolve("pg/base/" + id + "/data.tar"), old);
            }
        }

        Result table = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 2", "--dry-run"));
        assertEquals(0, table.exitCode(), table.describe());
        assertTrue(table.out().contains(killed + "  -                    (none)            INCOMPLETE       no backup.info: a"
                + " backup that never finished (killed?), older than DONE backup " + IDS[3]), table.out());
        assertTrue(table.out().contains(running + "  -                    (none)            -                no backup.info, but"
                + " its newest object was written at"), table.out());
        assertTrue(table.out().contains(newest + "  -                    (none)            -                no backup.info, and no"
                + " DONE backup is newer"), table.out());
        assertTrue(table.out().contains("Would delete incomplete backup " + killed + " (no backup.info): 1 object(s),"
                + " 1 bytes"), table.out());
        JsonNode json = new ObjectMapper().readTree(run(BackupDeleteCommand::new,
                args("-r", "REDUNDANCY 2", "--dry-run", "--format", "json")).out());
        assertEquals(killed, json.get("incomplete").get(0).get("backup_id").asText());
        assertTrue(json.get("incomplete").get(0).get("delete").asBoolean());
        assertFalse(json.get("incomplete").get(1).get("delete").asBoolean());

        Result policy = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 2"));
        assertEquals(0, policy.exitCode(), policy.describe());
        Set<String> left = keys();
        assertFalse(left.contains("pg/base/" + killed + "/data.tar"), left.toString());
        assertTrue(left.contains("pg/base/" + running + "/data.tar"), left.toString());
        assertTrue(left.contains("pg/base/" + newest + "/data.tar"), left.toString());

        Result refused = run(BackupDeleteCommand::new, args("-b", running));
        assertEquals(1, refused.exitCode(), refused.describe());
        assertTrue(refused.err().contains("backup " + running + " not deleted: no backup.info, but its newest object"
                + " was written at"), refused.describe());
        assertTrue(keys().contains("pg/base/" + running + "/data.tar"));
        Result named = run(BackupDeleteCommand::new, args("-b", newest));
        assertEquals(0, named.exitCode(), named.describe());
        assertFalse(keys().contains("pg/base/" + newest + "/data.tar"));
    }

    /**
     * Review 20 D1: a backup still running (only its claim in its directory) that began before the newest
     * DONE backup needs WAL from before that backup's begin; -r and -b freed it, and the running backup
     * ended DONE but unrestorable. The backups still go, the WAL stays, and the plan says why.
     */
    @Test
    void aBackupStillRunningHoldsBackTheWalOfMinusRAndMinusB() throws Exception {
        String running = "20260103T120000";
        write("pg/base/" + running + "/backup.claim", "backup " + running + " claimed by cumulus-backup");
        Set<String> wal = new TreeSet<>(keys());
        wal.removeIf(key -> !key.startsWith("pg/wals/"));

        Result plan = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 1", "--dry-run"));
        assertEquals(0, plan.exitCode(), plan.describe());
        assertTrue(plan.out().contains("Would delete backup " + IDS[0] + "; no WAL deleted: " + running + " may be a"
                + " backup still running (no backup.info yet, so the WAL it needs is not known); the WAL before"
                + " 00000001000000000000000F goes with a later delete of the oldest backup"), plan.out());

        Result named = run(BackupDeleteCommand::new, args("-b", IDS[0]));
        assertEquals(0, named.exitCode(), named.describe());
        Set<String> left = keys();
        assertFalse(left.contains("pg/base/" + IDS[0] + "/backup.info"), left.toString());
        assertTrue(left.containsAll(wal), "every WAL object stays: " + left);

        Result policy = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 1"));
        assertEquals(0, policy.exitCode(), policy.describe());
        left = keys();
        assertFalse(left.contains("pg/base/" + IDS[1] + "/backup.info"), left.toString());
        assertTrue(left.containsAll(wal), "every WAL object stays: " + left);
        assertTrue(left.contains("pg/base/" + running + "/backup.claim"));
    }

    /**
     * kill -9 during a backup's first archive on file:// leaves its directory holding only the archive's
     * hidden temporary file (up to -S, 100 GiB by default): -b named it "not found" and -r never saw it.
     */
    @Test
    void aBackupDirectoryHoldingOnlyAKilledWritersTemporaryFileIsDeletedByMinusBAndByAPolicy() throws Exception {
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofDays(2)));
        String named = "20260102T120000";
        String byPolicy = "20260103T120000";
        for (String id : List.of(named, byPolicy)) {
            Path temporary = root.resolve("pg/base/" + id + "/.cumulus-tmp-data.tar.0123456789abcdef");
            Files.createDirectories(temporary.getParent());
            Files.write(temporary, new byte[1000]);
            Files.setLastModifiedTime(temporary, old);
        }
        Set<String> before = new TreeSet<>(keys());
        before.removeIf(key -> key.contains(".cumulus-tmp-"));

        Result deleted = run(BackupDeleteCommand::new, args("-b", named));
        assertEquals(0, deleted.exitCode(), deleted.describe());
        assertFalse(Files.exists(root.resolve("pg/base/" + named)), deleted.describe());

        Result table = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 3", "--dry-run"));
        assertTrue(table.out().contains("Would delete incomplete backup " + byPolicy + " (no backup.info): 0 object(s),"
                + " 1 unfinished write(s), 1000 bytes"), table.out());
        Result policy = run(BackupDeleteCommand::new, args("-r", "REDUNDANCY 3"));
        assertEquals(0, policy.exitCode(), policy.describe());
        assertFalse(Files.exists(root.resolve("pg/base/" + byPolicy)), policy.describe());
        assertEquals(before, keys(), "no object went: REDUNDANCY 3 keeps every DONE backup");
    }
}
