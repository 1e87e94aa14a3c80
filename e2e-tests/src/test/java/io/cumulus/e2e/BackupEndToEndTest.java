package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * cumulus-backup against a real PostgreSQL 15 with a tablespace under pgbench load, WAL archived by
 * cumulus-wal-archive: the bucket holds what barman-cloud-backup would write, Debian's
 * barman-cloud-restore 3.4 restores it, pg_verifybackup accepts it against our backup_manifest, and
 * the restored cluster, recovering through cumulus-wal-restore to the restore point the backup made
 * at its end, holds exactly the pgbench rows the source had then.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupEndToEndTest {

    private static final String SERVER = "pg-backup";
    private static final String TABLESPACE = "ts1";
    private static final Duration BACKUP_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(3);

    /** The compressions barman-cloud 3.4 restores, with cumulus-backup's flags and the archive suffix. */
    enum Format {
        PLAIN(".tar", "20MB"), GZIP(".tar.gz", "1MB", "-z");

        final String extension;
        /** Slow enough that the copy outlasts the moment the test stops the load. */
        final String bandwidth;
        final String[] flags;

        Format(String extension, String bandwidth, String... flags) {
            this.extension = extension;
            this.bandwidth = bandwidth;
            this.flags = flags;
        }
    }

    private S3ArchiveStore s3;
    private FileArchiveStore file;
    private BarmanCloud barman;
    private PgCluster source;
    private Path work;
    private long tablespaceOid;

    @BeforeAll
    void startClusterWithTablespaceAndPgbenchTables() throws IOException {
        work = PostgresUser.createTempDir("cumulus-backup-e2e-");
        s3 = S3ArchiveStore.start("backups", "cumulus");
        file = new FileArchiveStore();
        barman = new BarmanCloud(s3, work);
        source = PgCluster.builder().archiveCommand(s3.archiveCommand(SERVER)).start();
        Path location = Files.createDirectory(source.baseDir().resolve(TABLESPACE));
        PostgresUser.chown(location);
        source.execute("CREATE TABLESPACE " + TABLESPACE + " LOCATION '" + location + "'");
        tablespaceOid = source.queryLong("SELECT oid FROM pg_tablespace WHERE spcname = '" + TABLESPACE + "'");
        PgbenchLoad.initialise(source, 5, TABLESPACE);
        // created after the pgbench indexes, so it comes last in the tablespace's archive
        source.execute("CREATE TABLE filler TABLESPACE " + TABLESPACE + " AS SELECT g, md5(g::text) AS h"
                + " FROM generate_series(1, 50000) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, s3, file, () -> PostgresUser.deleteRecursively(work));
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void backupUnderLoadIsRestoredByBarmanCloudAndRecoversToTheRowsAtItsEnd(Format format) {
        String expectedState;
        String id;
        try (PgbenchLoad load = PgbenchLoad.start(source, 2, 200);
                BackgroundTool backup = BackgroundTool.start("cumulus-backup",
                        Backups.backupArgs(s3, source, SERVER, with(format.flags, "-v", "--immediate-checkpoint",
                                "--max-bandwidth", format.bandwidth)), s3.toolEnv())) {
            load.awaitProgress(source, 50);
            // the tablespace archive is written first: once it is stored, the data archive is being copied
            backup.awaitStderr(err -> err.contains("/" + tablespaceOid + format.extension + " ("), BACKUP_TIMEOUT,
                    "the tablespace archive");
            load.stop();
            expectedState = PgbenchLoad.state(source);
            assertTrue(backup.isAlive(), "the backup ended before the load stopped: slow it down");
            assertEquals(0, backup.awaitExit(BACKUP_TIMEOUT), backup::describe);
            id = Backups.idFromSummary(backup.stdout());
        }
        // the restore point the backup created after its stop must reach the archive
        source.execute("CREATE TABLE IF NOT EXISTS after_backups (n int)");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));

        assertEquals(List.of(tablespaceOid + format.extension, "backup.info", "backup_manifest", "data" + format.extension),
                Backups.objects(s3, SERVER, id));
        assertBarmanBackupInfo(s3, id);
        ToolResult listed = barman.command("barman-cloud-backup-list", "--format", "json", s3.url(), SERVER).run();
        assertEquals(0, listed.exitCode(), listed::describe);
        assertTrue(listed.stdout().contains("\"backup_id\": \"" + id + "\""), listed::describe);
        assertTrue(listed.stdout().contains("\"status\": \"DONE\""), listed::describe);

        Path restored = barmanRestore(id, format.name().toLowerCase(Locale.ROOT));
        Backups.assertVerified(restored, manifestFile(s3, id));
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(restored)
                .recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(s3.restoreCommand(SERVER))
                .setting("recovery_target_name", "barman_" + id)
                .setting("recovery_target_action", "promote")
                .startTimeout(RECOVERY_TIMEOUT)
                .start()) {
            recovered.awaitRecoveryEnd(RECOVERY_TIMEOUT);
            String log = recovered.serverLog();
            assertTrue(log.contains("consistent recovery state reached"), log);
            assertTrue(log.contains("recovery stopping at restore point \"barman_" + id + "\""), log);
            assertEquals(expectedState, PgbenchLoad.state(recovered), () -> recovered.serverLogTail(40));
            assertTrue(PgbenchLoad.invariantHolds(recovered));
            // the primary keys live in the tablespace: each must index exactly the rows of its table
            recovered.execute("CREATE EXTENSION amcheck");
            for (String index : List.of("pgbench_accounts_pkey", "pgbench_branches_pkey", "pgbench_tellers_pkey")) {
                recovered.execute("SELECT bt_index_check('" + index + "', true)");
            }
        }
    }

    /**
     * As barman-cloud-backup: a successful backup prints nothing (cron sends no mail), not even
     * PostgreSQL's "all required WAL segments have been archived"; -v adds the summary. One whose WAL
     * goes to another bucket or server name than the backup warns, naming the segment it needs.
     */
    @Test
    void aSuccessfulBackupPrintsNothingUnlessVerbose() {
        ToolResult quiet = Backups.backup(s3, source, SERVER, "--immediate-checkpoint").run();
        assertEquals(0, quiet.exitCode(), quiet::describe);
        assertEquals("", quiet.stdout(), quiet::describe);
        assertEquals("", quiet.stderr(), quiet::describe);
        ToolResult verbose = Backups.backup(s3, source, SERVER, "-v", "--immediate-checkpoint").run();
        assertEquals(0, verbose.exitCode(), verbose::describe);
        Backups.idFromSummary(verbose.stdout());

        // the cluster archives to s3 as SERVER: a backup into file:// as pg-quiet has none of its WAL there
        ToolResult elsewhere = Backups.backup(file, source, "pg-quiet", "--immediate-checkpoint").run();
        assertEquals(0, elsewhere.exitCode(), elsewhere::describe);
        assertTrue(elsewhere.stderr().matches("(?s).*WARNING: WAL segment [0-9A-F]{24}, which backup \\d{8}T\\d{6} needs,"
                + " is not archived in .*cannot be restored from this bucket alone.*"), elsewhere::describe);
        assertFalse(elsewhere.stderr().contains("all required WAL segments have been archived"), elsewhere::describe);
    }

    @Test
    void smallMaxArchiveSizeSplitsIntoPartsThatBarmanCloudRestores() {
        String id = Backups.backupSucceeds(s3, source, SERVER, "-z", "-S", "2MB", "--immediate-checkpoint");

        List<String> objects = Backups.objects(s3, SERVER, id);
        assertTrue(objects.contains("data.tar.gz") && objects.contains("data_0001.tar.gz"), objects::toString);
        assertTrue(objects.contains(tablespaceOid + ".tar.gz"), objects::toString);
        for (String object : objects) {
            assertTrue(object.matches("(data|" + tablespaceOid + ")(_\\d{4})?\\.tar\\.gz|backup\\.info|backup_manifest"),
                    object);
        }
        assertBarmanBackupInfo(s3, id);
        Path restored = barmanRestore(id, "split");
        Backups.assertVerified(restored, manifestFile(s3, id));
    }

    @Test
    void backupsToAFileStoreHaveTheSameLayoutAndPythonExtractsAVerifiedCopy() {
        String plain = Backups.backupSucceeds(file, source, SERVER, "--immediate-checkpoint");
        String split = Backups.backupSucceeds(file, source, SERVER, "-S", "5MB", "--immediate-checkpoint",
                "--name", "split-copy");

        assertEquals(List.of(tablespaceOid + ".tar", "backup.info", "backup_manifest", "data.tar"),
                Backups.objects(file, SERVER, plain));
        assertBarmanBackupInfo(file, plain);
        List<String> parts = Backups.objects(file, SERVER, split).stream().filter(o -> o.startsWith("data")).toList();
        assertTrue(parts.size() >= 3, parts::toString);
        assertTrue(Backups.objects(file, SERVER, split).contains(tablespaceOid + "_0001.tar"),
                () -> Backups.objects(file, SERVER, split).toString());
        assertEquals("split-copy", Backups.backupInfo(file, SERVER, split).get("backup_name"));

        Path data = postgresDirectory("python-extract/data");
        Path tablespace = postgresDirectory("python-extract/" + TABLESPACE);
        Path base = file.root().resolve(SERVER + "/base/" + split);
        List<Path> dataParts = new ArrayList<>();
        parts.forEach(part -> dataParts.add(base.resolve(part)));
        Backups.extractWithPython(dataParts, data);
        List<Path> tablespaceParts = Backups.objects(file, SERVER, split).stream()
                .filter(o -> o.startsWith(Long.toString(tablespaceOid))).map(base::resolve).toList();
        Backups.extractWithPython(tablespaceParts, tablespace);
        try {
            Files.createSymbolicLink(data.resolve("pg_tblspc/" + tablespaceOid), tablespace);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Backups.assertVerified(data, base.resolve("backup_manifest"));
    }

    /**
     * A postgresql.conf that includes a file outside the data directory, and ALTER SYSTEM settings in
     * postgresql.auto.conf: cumulus-backup records included_files as barman-cloud-backup 3.4 does (the
     * same list in the same order) and, like it, warns that the outside file is not in the backup and
     * must be copied by hand; both still exit 0. Undone at the end: the other tests expect no warning.
     */
    @Test
    void includedFilesAreRecordedAsBarmanCloudBackupDoesAndTheOneOutsideTheDataDirectoryIsWarnedOf()
            throws IOException, InterruptedException {
        Path conf = source.dataDir().resolve("postgresql.conf");
        String original = Files.readString(conf);
        String workMem = source.queryString("SHOW work_mem");
        String maintenanceWorkMem = source.queryString("SHOW maintenance_work_mem");
        Path extra = Files.writeString(work.resolve("extra.conf"), "work_mem = '7MB'\n");
        try {
            source.appendSettings(Map.of("include", extra.toString()));
            source.execute("ALTER SYSTEM SET maintenance_work_mem = '77MB'");
            source.reload();
            awaitSetting("work_mem", "7MB");
            awaitSetting("maintenance_work_mem", "77MB");

            TwoBackups both = backUpWithBothTools();
            ToolResult cumulus = both.cumulus();
            List<String> warnings = warnings(cumulus);
            assertEquals(List.of("WARNING: configuration files pulled in by include directives live outside the"
                    + " data directory and are not in the backup: " + extra + "; back them up by hand: a server"
                    + " restored from this backup reads them where its include lines point: an absolute path as it is,"
                    + " a relative one from the directory of the postgresql.conf it starts with (the restored data"
                    + " directory, for the copy the backup holds)"), warnings, cumulus::describe);
            assertTrue(both.barman().stderr().contains("The usage of include directives is not supported for files"
                    + " that reside outside PGDATA.\nPlease manually backup the following files:\n\t" + extra + "\n"),
                    both.barman()::describe);
            String id = both.cumulusId();
            String included = Backups.backupInfo(s3, SERVER, id).get("included_files");
            assertEquals(Backups.backupInfo(s3, SERVER, both.barmanId()).get("included_files"), included);
            assertTrue(included.contains("'" + source.dataDir().resolve("postgresql.auto.conf") + "'"), included);
            assertTrue(included.contains("'" + extra + "'"), included);
            assertBarmanBackupInfo(s3, id);
            // neither stores the file: a restore on another host must have it copied there by hand
            assertFalse(Backups.objects(s3, SERVER, id).stream().anyMatch(o -> o.contains("extra")));
        } finally {
            Files.writeString(conf, original);
            source.execute("ALTER SYSTEM RESET maintenance_work_mem");
            source.reload();
            awaitSetting("work_mem", workMem);
            awaitSetting("maintenance_work_mem", maintenanceWorkMem);
        }
    }

    /**
     * postgresql.conf a symbolic link to a file outside the data directory, and {@code include_dir =
     * 'conf.d'} with {@code conf.d} a link to a directory outside it: the backup stores the first as a
     * link and the second not at all (a link is never followed, as barman-cloud-backup), so a server
     * restored from it does not start. barman-cloud-backup says nothing; cumulus-backup warns in one
     * line naming each file and its link, both exit 0 and record the same included_files. Undone at
     * the end: the other tests expect no warning.
     */
    @Test
    void configFilesReachedThroughSymbolicLinksInTheDataDirectoryAreWarnedOf() throws IOException, InterruptedException {
        Path conf = source.dataDir().resolve("postgresql.conf");
        Path confD = source.dataDir().resolve("conf.d");
        String original = Files.readString(conf);
        String workMem = source.queryString("SHOW work_mem");
        Path etc = Files.createDirectories(work.resolve("etc/conf.d")).getParent();
        Files.writeString(etc.resolve("conf.d/10-work.conf"), "work_mem = '7MB'\n");
        Path readThroughLink = confD.resolve("10-work.conf");
        Path linkedConf = Files.writeString(etc.resolve("postgresql.conf"), original + "include_dir = 'conf.d'\n");
        try {
            Files.createSymbolicLink(confD, etc.resolve("conf.d"));
            Files.delete(conf);
            Files.createSymbolicLink(conf, linkedConf);
            source.reload();
            awaitSetting("work_mem", "7MB");

            TwoBackups both = backUpWithBothTools();
            ToolResult cumulus = both.cumulus();
            List<String> warnings = warnings(cumulus);
            assertEquals(List.of("WARNING: configuration files reached through a symbolic link are not in the backup,"
                    + " which holds a link as a link and never follows it: " + conf + " (a symbolic link), "
                    + readThroughLink + " (through the symbolic link " + confD + "); keep a copy"
                    + " of them with your configuration management, as for files outside the data directory: a"
                    + " server restored from this backup needs them at these paths"), warnings, cumulus::describe);
            String id = both.cumulusId();
            String included = Backups.backupInfo(s3, SERVER, id).get("included_files");
            assertEquals(Backups.backupInfo(s3, SERVER, both.barmanId()).get("included_files"), included);
            assertTrue(included.contains("'" + readThroughLink + "'"), included);
            assertBarmanBackupInfo(s3, id);
            List<TarMembers.Member> members = TarMembers.of(s3.read(SERVER + "/base/" + id + "/data.tar")
                    .orElseThrow(() -> new AssertionError("no data.tar in " + Backups.objects(s3, SERVER, id))));
            assertFalse(members.stream().anyMatch(m -> m.name().contains("conf.d")), members::toString);
            assertEquals(List.of('2'), members.stream().filter(m -> m.name().equals("./postgresql.conf"))
                    .map(TarMembers.Member::type).toList());
        } finally {
            if (Files.isSymbolicLink(conf)) {
                Files.delete(conf);
                Files.writeString(conf, original);
                PostgresUser.chown(conf);
                Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
            }
            Files.deleteIfExists(confD);
            source.reload();
            awaitSetting("work_mem", workMem);
        }
    }

    /** A backup of the source by each tool, both having exited 0, with their results and ids. */
    private record TwoBackups(ToolResult cumulus, String cumulusId, ToolResult barman, String barmanId) {
    }

    /** cumulus-backup, then barman-cloud-backup 3.4, of the source into {@link #s3}; each must exit 0. */
    private TwoBackups backUpWithBothTools() {
        ToolResult cumulus = Backups.backup(s3, source, SERVER, "-v", "--immediate-checkpoint").run();
        List<String> before = backupIds(s3);
        ToolResult barmanBackup = barman.command("barman-cloud-backup", "--immediate-checkpoint",
                "-h", "127.0.0.1", "-p", Integer.toString(source.port()), "-U", PgCluster.SUPERUSER)
                .args(s3.url(), SERVER).asPostgres().timeout(BACKUP_TIMEOUT).run();
        assertEquals(0, cumulus.exitCode(), cumulus::describe);
        assertEquals(0, barmanBackup.exitCode(), barmanBackup::describe);
        List<String> barmanIds = new ArrayList<>(backupIds(s3));
        barmanIds.removeAll(before);
        assertEquals(1, barmanIds.size(), barmanIds::toString);
        return new TwoBackups(cumulus, Backups.idFromSummary(cumulus.stdout()), barmanBackup, barmanIds.get(0));
    }

    /** The tool's WARNING lines, from {@code WARNING: } on. */
    private static List<String> warnings(ToolResult result) {
        return result.stderr().lines().filter(line -> line.contains(" WARNING: "))
                .map(line -> line.substring(line.indexOf(" WARNING: ") + 1)).toList();
    }

    /** The ids of the backups of {@link #SERVER} that have a backup.info, sorted. */
    private static List<String> backupIds(ArchiveStore store) {
        String prefix = SERVER + "/base/";
        return store.keys(prefix).stream().filter(key -> key.endsWith("/backup.info"))
                .map(key -> key.substring(prefix.length(), key.length() - "/backup.info".length())).toList();
    }

    /** Waits for a reload, which the postmaster handles in its own time, to show in new sessions. */
    private void awaitSetting(String name, String value) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!value.equals(source.queryString("SHOW " + name)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(value, source.queryString("SHOW " + name));
    }

    /** backup.info as barman-cloud 3.4 writes it for an object-store backup, read back by its own tools. */
    private void assertBarmanBackupInfo(ArchiveStore store, String id) {
        Map<String, String> info = Backups.backupInfo(store, SERVER, id);
        List<String> expectedKeys = new ArrayList<>(Backups.KEYS_34);
        if (info.containsKey("backup_name")) {
            expectedKeys.add(1, "backup_name");
        }
        assertEquals(expectedKeys, new ArrayList<>(info.keySet()));
        assertEquals("DONE", info.get("status"));
        assertEquals("cloud", info.get("server_name"));
        assertEquals("None", info.get("compression"));
        assertEquals("None", info.get("error"));
        assertEquals("None", info.get("mode"));
        assertEquals("[('" + TABLESPACE + "', " + tablespaceOid + ", '" + source.baseDir().resolve(TABLESPACE) + "')]",
                info.get("tablespaces"));
        assertEquals(source.dataDir().toString(), info.get("pgdata"));
        assertEquals(source.queryString("SELECT system_identifier::text FROM pg_control_system()"), info.get("systemid"));
        assertEquals(source.queryString("SHOW server_version_num"), info.get("version"));
        assertEquals("16777216", info.get("xlog_segment_size"));
        assertEquals("1", info.get("timeline"));
        assertTrue(info.get("begin_wal").matches("[0-9A-F]{24}"), info::toString);
        assertTrue(info.get("end_xlog").matches("[0-9A-F]+/[0-9A-F]+"), info::toString);
        assertTrue(info.get("backup_label").startsWith("'START WAL LOCATION: "), info::toString);
        assertTrue(info.get("backup_label").contains("LABEL: Barman backup cloud " + id + "\\n"), info::toString);
        assertTrue(info.get("copy_stats").startsWith("{'total_time': "), info::toString);
    }

    /** barman-cloud-restore of backup {@code id} into a new directory, the tablespace moved next to it. */
    private Path barmanRestore(String id, String name) {
        Path parent = postgresDirectory("restore-" + name);
        Path data = parent.resolve("data");
        Path tablespace = parent.resolve(TABLESPACE);
        ToolResult restore = barman.command("barman-cloud-restore", "--tablespace", TABLESPACE + ":" + tablespace,
                s3.url(), SERVER, id, data.toString()).asPostgres().timeout(BACKUP_TIMEOUT).run();
        assertEquals(0, restore.exitCode(), restore::describe);
        assertEquals(tablespace, readLink(data.resolve("pg_tblspc/" + tablespaceOid)));
        return data;
    }

    private Path manifestFile(ArchiveStore store, String id) {
        Path manifest = work.resolve("manifest-" + id + "-" + System.nanoTime());
        try {
            return Files.write(manifest, store.read(SERVER + "/base/" + id + "/backup_manifest").orElseThrow());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A directory under the work directory, created (with its parents) for the PostgreSQL user. */
    private Path postgresDirectory(String relative) {
        Path directory = work;
        for (Path name : Path.of(relative)) {
            directory = directory.resolve(name);
            if (!Files.isDirectory(directory)) {
                try {
                    Files.createDirectory(directory);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                PostgresUser.chown(directory);
            }
        }
        return directory;
    }

    private static Path readLink(Path link) {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String[] with(String[] flags, String... more) {
        List<String> all = new ArrayList<>(List.of(flags));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
