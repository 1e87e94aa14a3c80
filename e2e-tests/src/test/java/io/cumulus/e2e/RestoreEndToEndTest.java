package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * cumulus-restore against a real PostgreSQL 15 with a tablespace: a Cumulus backup restored with the
 * tablespace moved and recovery configured by the tool itself (restore_command through
 * cumulus-wal-restore, the backup's restore point as target) starts and holds exactly the rows of the
 * backup's end; a backup by Debian's barman-cloud-backup 3.4 restores too, unverified; a changed byte
 * in the bucket and bad input stop the restore with the documented exit codes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RestoreEndToEndTest {

    private static final String SERVER = "pg-restore";
    private static final String TABLESPACE = "ts1";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private FileArchiveStore file;
    private S3ArchiveStore s3;
    private BarmanCloud barman;
    private PgCluster source;
    private Path work;
    private long tablespaceOid;
    private String backupId;

    @BeforeAll
    void startClusterWithATablespaceAndBackItUp() {
        work = PostgresUser.createTempDir("cumulus-restore-e2e-");
        file = new FileArchiveStore();
        s3 = S3ArchiveStore.start("restores", "cumulus");
        barman = new BarmanCloud(s3, work);
        source = PgCluster.builder().archiveCommand(file.archiveCommand(SERVER)).start();
        Path location = postgresDirectory("source-" + TABLESPACE);
        source.execute("CREATE TABLESPACE " + TABLESPACE + " LOCATION '" + location + "'");
        tablespaceOid = source.queryLong("SELECT oid FROM pg_tablespace WHERE spcname = '" + TABLESPACE + "'");
        source.execute("CREATE TABLE in_tablespace TABLESPACE " + TABLESPACE
                + " AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 2000) g");
        source.execute("CREATE TABLE in_base AS SELECT g AS n FROM generate_series(1, 500) g");
        // the PostgreSQL user must create the server's directory in the file store before root's backup does
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        backupId = Backups.backupSucceeds(file, source, SERVER, "-z", "--immediate-checkpoint");
        // written after the backup's restore point: a recovery to it must not see them
        source.execute("INSERT INTO in_tablespace SELECT g, 'later' FROM generate_series(5001, 5100) g");
        source.execute("DROP TABLE in_base");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, s3, file, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void cumulusBackupRestoredWithTheTablespaceMovedRecoversToItsRestorePoint() {
        Path data = work.resolve("cumulus/data");
        Path tablespace = work.resolve("cumulus/" + TABLESPACE);
        postgresDirectory("cumulus");

        ToolResult restore = restore(file, SERVER, backupId, data, "--tablespace", TABLESPACE + ":" + tablespace,
                "--recovery-target-name", "barman_" + backupId, "--recovery-target-action", "promote", "-J", "3");

        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().contains("verified against backup_manifest"), restore::describe);
        assertEquals(tablespace, readLink(data.resolve("pg_tblspc/" + tablespaceOid)));
        assertTrue(Files.exists(data.resolve("recovery.signal")));
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            String log = recovered.serverLog();
            assertTrue(log.contains("recovery stopping at restore point \"barman_" + backupId + "\""), log);
            assertEquals(2000, recovered.queryLong("SELECT count(*) FROM in_tablespace"));
            assertEquals(500, recovered.queryLong("SELECT count(*) FROM in_base"));
            assertEquals("off", recovered.queryString("SHOW archive_mode"));
        }
    }

    @Test
    void pointInTimeRecoveryByTimeOrLsnFromTheAutoChosenBackupStopsBeforeTheLaterWritesAndTheDrop() {
        source.execute("CREATE TABLE pitr_doomed TABLESPACE " + TABLESPACE + " AS SELECT g AS n FROM generate_series(1, 300) g");
        source.execute("CREATE TABLE pitr_marks (what text) TABLESPACE " + TABLESPACE);
        source.execute("INSERT INTO pitr_marks VALUES ('marker')");
        String time = source.queryString("SELECT clock_timestamp()::text");
        String lsn = source.queryString("SELECT pg_current_wal_insert_lsn()::text");
        source.execute("INSERT INTO pitr_marks VALUES ('later')");
        source.execute("DROP TABLE pitr_doomed");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));

        for (List<String> target : List.of(List.of("--recovery-target-time", time),
                List.of("--recovery-target-lsn", lsn))) {
            String name = target.get(0).substring("--recovery-target-".length());
            Path data = work.resolve("pitr-" + name + "/data");
            postgresDirectory("pitr-" + name);
            ToolResult restore = restore(file, SERVER, "auto", data, "--tablespace",
                    TABLESPACE + ":" + work.resolve("pitr-" + name + "/" + TABLESPACE), target.get(0), target.get(1),
                    "--recovery-target-action", "promote");

            assertEquals(0, restore.exitCode(), restore::describe);
            try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data)
                    .recovery(PgCluster.Recovery.ARCHIVE).startTimeout(TIMEOUT).start()) {
                recovered.awaitRecoveryEnd(TIMEOUT);
                assertTrue(recovered.serverLog().contains("recovery stopping"), recovered::serverLog);
                assertEquals(List.of("marker"), recovered.queryColumn("SELECT what FROM pitr_marks"), name);
                assertEquals(300, recovered.queryLong("SELECT count(*) FROM pitr_doomed"), name);
            }
        }
    }

    /**
     * PostgreSQL reads a recovery_target_time without an offset in the restored server's timezone
     * (UTC here); the tool runs in Asia/Kolkata (+05:30) and reads the target there, as it chooses the
     * backup. Written as it was given, recovery would stop 5.5 hours later, past the drop.
     */
    @Test
    void aTargetTimeWithoutOffsetIsTheToolsLocalTimeWhateverTheRestoredServersTimezone() throws Exception {
        source.execute("CREATE TABLE tz_doomed TABLESPACE " + TABLESPACE + " AS SELECT g AS n FROM generate_series(1, 300) g");
        source.execute("CREATE TABLE tz_marks (what text) TABLESPACE " + TABLESPACE);
        source.execute("INSERT INTO tz_marks VALUES ('marker')");
        Thread.sleep(1500);
        String kolkata = source.queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'Asia/Kolkata',"
                + " 'YYYY-MM-DD HH24:MI:SS.US')");
        Thread.sleep(1500);
        source.execute("INSERT INTO tz_marks VALUES ('later')");
        source.execute("DROP TABLE tz_doomed");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        Path data = work.resolve("tz/data");
        postgresDirectory("tz");

        Command command = Tools.command("cumulus-restore", "--tablespace", TABLESPACE + ":" + work.resolve("tz/"
                + TABLESPACE), "--recovery-target-time", kolkata, "--recovery-target-action", "promote")
                .args(file.toolOptions()).env(file.toolEnv()).env("TZ", "Asia/Kolkata")
                .args(file.url(), SERVER, "auto", data.toString());
        ToolResult restore = command.asPostgres().timeout(TIMEOUT).run();

        assertEquals(0, restore.exitCode(), restore::describe);
        String conf = Files.readString(data.resolve("postgresql.auto.conf"));
        assertTrue(conf.contains("recovery_target_time = '" + kolkata.replaceFirst("0+$", "").replaceFirst("\\.$", "")
                + "+05:30'"), conf);
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).setting("timezone", "UTC")
                .recovery(PgCluster.Recovery.ARCHIVE).startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertTrue(recovered.serverLog().contains("recovery stopping before commit"), recovered::serverLog);
            assertEquals(List.of("marker"), recovered.queryColumn("SELECT what FROM tz_marks"));
            assertEquals(300, recovered.queryLong("SELECT count(*) FROM tz_doomed"));
        }
    }

    /**
     * Run as root (a DBA's sudo) into the empty data directory a package made for postgres, the restore
     * gives every file, directory and link to postgres, the tablespace's directory included, and
     * PostgreSQL, as postgres, starts on the directory in place; before, every file was root's and
     * pg_ctl could not even write postmaster.pid.
     */
    @Test
    void restoredAsRootIntoADirectoryPostgresOwnsStartsInPlaceAsPostgres() throws IOException {
        assumeTrue(PostgresUser.switchesUser(), "only a run as root restores as root");
        Path data = postgresDirectory("as-root/data");
        Path tablespace = work.resolve("as-root/" + TABLESPACE); // made by the restore, as root
        Path socket = postgresDirectory("as-root/socket");

        ToolResult restore = Tools.command("cumulus-restore", "--tablespace", TABLESPACE + ":" + tablespace,
                        "--recovery-target", "immediate", "--recovery-target-action", "promote")
                .args(file.toolOptions()).env(file.toolEnv()).args(file.url(), SERVER, backupId, data.toString())
                .timeout(TIMEOUT).run();

        assertEquals(0, restore.exitCode(), restore::describe);
        assertFalse(restore.stderr().contains("restored as root"), restore::describe);
        List<Path> notPostgres = new java.util.ArrayList<>();
        for (Path top : List.of(data, tablespace)) {
            try (var entries = Files.walk(top)) {
                for (Path p : entries.toList()) {
                    if (!Files.getOwner(p, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName().equals(PostgresUser.NAME)) {
                        notPostgres.add(p);
                    }
                }
            }
        }
        assertEquals(List.of(), notPostgres);
        Path pgCtl = PgCluster.PG_BIN.resolve("pg_ctl");
        String port = Integer.toString(io.cumulus.testsupport.Ports.freeLoopbackPort());
        ToolResult start = Command.of(pgCtl, "-D", data.toString(), "-l", socket.resolve("log").toString(), "-w",
                "-t", "180", "-o", "-p " + port + " -k " + socket + " -c listen_addresses=''", "start")
                .asPostgres().timeout(TIMEOUT).run();
        try {
            assertEquals(0, start.exitCode(), () -> start.describe() + "\n" + readOrEmpty(socket.resolve("log")));
            ToolResult count = Command.of(PgCluster.PG_BIN.resolve("psql"), "-h", socket.toString(), "-p", port, "-U",
                    PgCluster.SUPERUSER, "-d", "postgres", "-XAtc", "SELECT count(*) FROM in_tablespace")
                    .asPostgres().run();
            assertEquals("2000", count.stdout().strip(), count::describe);
        } finally {
            Command.of(pgCtl, "-D", data.toString(), "-m", "immediate", "-w", "stop").asPostgres().run();
        }
    }

    /**
     * As postgres, into an empty directory root owns: refused before anything is made (the tablespace's
     * directory neither), naming the directory, why, and the fix; exit 4, as barman-cloud-restore.
     */
    @Test
    void anEmptyDirectoryRootOwnsIsRefusedNamingTheFixBeforeAnythingIsMade() throws IOException {
        assumeTrue(PostgresUser.switchesUser(), "needs root to own a directory postgres may not take");
        postgresDirectory("root-owns");
        Path data = Files.createDirectory(work.resolve("root-owns/data"));
        Path tablespace = work.resolve("root-owns/" + TABLESPACE);

        ToolResult restore = restore(file, SERVER, backupId, data, "--tablespace", TABLESPACE + ":" + tablespace);

        assertEquals(4, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("ERROR: cannot set mode 0700 on the destination directory " + data
                + ", as PostgreSQL requires: it is owned by root, not by " + PostgresUser.NAME + ", who runs"
                + " cumulus-restore; give it to " + PostgresUser.NAME + " (as root: chown " + PostgresUser.NAME + ": "
                + data + ") and run cumulus-restore again; nothing was restored\n"), restore::describe);
        assertFalse(Files.exists(tablespace));
        assertEquals(List.of(), list(data));
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    /** barman warns and skips a backup.info it cannot read; latest is then the newest readable backup. */
    @Test
    void latestSkipsAnOlderUnreadableBackupInfoWithAWarningNamingIt() throws IOException {
        String server = "pg-unreadable";
        String older = Backups.backupSucceeds(file, source, server, "--immediate-checkpoint");
        String newer = Backups.backupSucceeds(file, source, server, "--immediate-checkpoint");
        Files.writeString(file.root().resolve(server + "/base/" + older + "/backup.info"), "garbage\n");
        Path data = work.resolve("unreadable/data");
        postgresDirectory("unreadable");

        ToolResult restore = restore(file, server, "latest", data, "--tablespace",
                TABLESPACE + ":" + work.resolve("unreadable/" + TABLESPACE));

        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("skipping backup " + older + ": its backup.info cannot be read"),
                restore::describe);
        assertTrue(restore.stdout().contains("restored backup " + newer), restore::describe);
        ToolResult explicit = restore(file, server, older, work.resolve("unreadable/other"));
        assertEquals(4, explicit.exitCode(), explicit::describe);
        assertTrue(explicit.stderr().contains("backup " + older + ": its backup.info cannot be read"),
                explicit::describe);
    }

    /**
     * An S3 download whose connection is reset mid-body is resumed from the byte reached, and every
     * file still matches the manifest; a store that then stays away is exit 2, saying the copy is
     * incomplete.
     */
    @Test
    void anS3DownloadCutMidBodyIsResumedAndAStoreThatStaysAwayIsExitTwo() {
        String server = "pg-s3-cut";
        String id = Backups.backupSucceeds(s3, source, server, "--immediate-checkpoint");
        postgresDirectory("s3-cut");
        try (CuttingProxy proxy = new CuttingProxy(java.net.URI.create(s3.endpoint()), 4 << 20, 1, false)) {
            Path data = work.resolve("s3-cut/resumed");
            ToolResult restore = restoreThrough(proxy, server, id, data, "--tablespace",
                    TABLESPACE + ":" + work.resolve("s3-cut/resumed-" + TABLESPACE));

            assertEquals(0, restore.exitCode(), restore::describe);
            assertEquals(1, proxy.cuts());
            assertTrue(restore.stderr().matches("(?s).*reading \\S+/data\\.tar broke at byte \\d+ of \\d+ .*; resuming"
                    + " from there \\(1 of 3\\).*"), restore::describe);
            assertTrue(restore.stdout().contains("verified against backup_manifest"), restore::describe);
        }
        try (CuttingProxy proxy = new CuttingProxy(java.net.URI.create(s3.endpoint()), 4 << 20, 1, true)) {
            Path data = work.resolve("s3-cut/down");
            // one archive at a time, so the failure reported is data.tar's, not the next archive's open
            ToolResult restore = restoreThrough(proxy, server, id, data, "-J", "1", "--tablespace",
                    TABLESPACE + ":" + work.resolve("s3-cut/down-" + TABLESPACE));

            assertEquals(2, restore.exitCode(), restore::describe);
            assertTrue(restore.stderr().contains("resuming from there (3 of 3)"), restore::describe);
            assertTrue(restore.stderr().matches("(?s).*ERROR: the store stopped answering while reading \\S+/data\\.tar \\(at"
                    + " byte \\d+ of \\d+, 3 resumes failed\\).*"), restore::describe);
            assertTrue(restore.stderr().contains(data + " is incomplete (it has no global/pg_control, so PostgreSQL will"
                    + " not start from it): empty " + data + ", "), restore::describe);
        }
    }

    private ToolResult restoreThrough(CuttingProxy proxy, String server, String id, Path data,
            String... options) {
        return Tools.command("cumulus-restore", options).args("--endpoint-url", proxy.endpoint())
                .env(s3.toolEnv()).args(s3.url(), server, id, data.toString())
                .asPostgres().timeout(TIMEOUT).run();
    }

    /**
     * A cluster restored to a target time and promoted keeps cumulus-restore's settings in its
     * postgresql.auto.conf (PostgreSQL never removes them), so its next base backup carries that
     * recovery_target_time along: restoring that backup to the end of its archive must still replay
     * every row, not stop silently at the old target.
     */
    @Test
    void anEarlierRestoresTargetCarriedInALaterBackupDoesNotCutItsRecoveryShort() throws IOException {
        source.execute("CREATE TABLE carried (n int)");
        source.execute("INSERT INTO carried SELECT g FROM generate_series(1, 1000) g");
        String time = source.queryString("SELECT clock_timestamp()::text");
        source.execute("INSERT INTO carried SELECT g FROM generate_series(1001, 1100) g");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        Path first = work.resolve("carried-first/data");
        postgresDirectory("carried-first");
        ToolResult toTime = restore(file, SERVER, backupId, first, "--tablespace",
                TABLESPACE + ":" + work.resolve("carried-first/" + TABLESPACE), "--recovery-target-time", time,
                "--recovery-target-action", "promote");
        assertEquals(0, toTime.exitCode(), toTime::describe);

        String server = "pg-restored-again";
        String secondBackup;
        try (PgCluster promoted = PgCluster.builder().fromDataDirectory(first).recovery(PgCluster.Recovery.ARCHIVE)
                .startTimeout(TIMEOUT).start()) {
            promoted.awaitRecoveryEnd(TIMEOUT);
            assertEquals(1000, promoted.queryLong("SELECT count(*) FROM carried"));
            // archiving again as docs/restore.md step 5 asked before this fix: only archive_mode = 'off'
            // goes, restore_command and recovery_target_time stay in postgresql.auto.conf
            promoted.execute("ALTER SYSTEM RESET archive_mode");
            promoted.appendSettings(Map.of("archive_mode", "on", "archive_command", file.archiveCommand(server)));
            promoted.restart();
            promoted.awaitArchived(promoted.switchWal(), Duration.ofSeconds(90));
            secondBackup = Backups.backupSucceeds(file, promoted, server, "--immediate-checkpoint");
            promoted.execute("INSERT INTO carried SELECT g FROM generate_series(2001, 3000) g");
            promoted.awaitArchived(promoted.switchWal(), Duration.ofSeconds(90));
        }

        Path second = work.resolve("carried-second/data");
        postgresDirectory("carried-second");
        ToolResult toEnd = restore(file, server, secondBackup, second, "--tablespace",
                TABLESPACE + ":" + work.resolve("carried-second/" + TABLESPACE), "--recovery-target-timeline",
                "latest", "--recovery-target-action", "promote");

        assertEquals(0, toEnd.exitCode(), toEnd::describe);
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(second)
                .recovery(PgCluster.Recovery.ARCHIVE).startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertFalse(recovered.serverLog().contains("recovery stopping"), recovered::serverLog);
            assertEquals(2000, recovered.queryLong("SELECT count(*) FROM carried"));
            assertEquals("", recovered.queryString("SHOW recovery_target_time"));
        }
        String autoConf = Files.readString(second.resolve("postgresql.auto.conf"));
        assertFalse(Pattern.compile("^\\s*recovery_target_time\\b", Pattern.MULTILINE | Pattern.CASE_INSENSITIVE)
                .matcher(autoConf).find(), autoConf);
        // the first restore's line, disabled and named (written with the time's offset)
        assertTrue(toEnd.stderr().contains("recovery_target_time = '" + time.substring(0, 19)), toEnd::describe);
    }

    @Test
    void aTargetBeforeTheOldestBackupIsExitOne() {
        ToolResult restore = restore(file, SERVER, "auto", work.resolve("too-early/data"), "--recovery-target-time",
                "2000-01-01 00:00:00+00");
        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("no DONE backup ended at or before"), restore::describe);
    }

    /**
     * barman-cloud end to end: a cluster archiving with barman-cloud-wal-archive, backed up by
     * barman-cloud-backup, restored by cumulus-restore and recovered with that WAL through
     * cumulus-wal-restore.
     */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "gzip"})
    void barmanCloudBackupIsRestoredUnverifiedAndStartsWithBarmanArchivedWal(String format) {
        String server = "pg-barman-" + format;
        List<String> flags = format.equals("gzip") ? List.of("-z") : List.of();
        String barmanArchive = barman.command("barman-cloud-wal-archive").args(flags).args(s3.url(), server)
                .toShellLine() + " %p";
        try (PgCluster barmanSource = PgCluster.builder().archiveCommand(barmanArchive).start()) {
            Path location = postgresDirectory(server + "-source-" + TABLESPACE);
            barmanSource.execute("CREATE TABLESPACE " + TABLESPACE + " LOCATION '" + location + "'");
            barmanSource.execute("CREATE TABLE in_tablespace TABLESPACE " + TABLESPACE
                    + " AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 2100) g");
            ToolResult backup = barman.command("barman-cloud-backup", "--immediate-checkpoint", "-h", "127.0.0.1",
                    "-p", Integer.toString(barmanSource.port()), "-U", PgCluster.SUPERUSER).args(flags)
                    .args(s3.url(), server).asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, backup.exitCode(), backup::describe);
            barmanSource.awaitArchived(barmanSource.switchWal(), Duration.ofSeconds(90));
        }
        Path data = work.resolve(server + "/data");
        Path tablespace = work.resolve(server + "/" + TABLESPACE);
        postgresDirectory(server);

        ToolResult restore = restore(s3, server, "latest", data, "--tablespace", TABLESPACE + ":" + tablespace);

        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stdout().contains("NOT verified"), restore::describe);
        assertTrue(restore.stderr().contains("could not be verified"), restore::describe);
        assertFalse(Files.exists(data.resolve("recovery.signal")));
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(s3.restoreCommand(server)).setting("recovery_target", "immediate")
                .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(2100, recovered.queryLong("SELECT count(*) FROM in_tablespace"));
            assertTrue(recovered.serverLog().contains("restored log file"),
                    "recovery replayed WAL archived by barman-cloud-wal-archive");
        }
    }

    /**
     * A tablespace made inside the data directory (PostgreSQL only warns), backed up by
     * barman-cloud-backup, which copies its files into data.tar as well: restored to the same place
     * inside the new data directory, as barman-cloud-restore does in place (it was refused).
     */
    @Test
    void barmanCloudBackupOfATablespaceInsideTheDataDirectoryIsRestoredInsideIt() throws IOException {
        String server = "pg-barman-inside";
        String barmanArchive = barman.command("barman-cloud-wal-archive").args(s3.url(), server).toShellLine() + " %p";
        try (PgCluster barmanSource = PgCluster.builder().archiveCommand(barmanArchive).start()) {
            Path location = barmanSource.dataDir().resolve("inside");
            try {
                Files.createDirectory(location);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            PostgresUser.chown(location);
            barmanSource.execute("CREATE TABLESPACE inside LOCATION '" + location + "'");
            barmanSource.execute("CREATE TABLE in_inside TABLESPACE inside"
                    + " AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 1700) g");
            ToolResult backup = barman.command("barman-cloud-backup", "--immediate-checkpoint", "-h", "127.0.0.1",
                    "-p", Integer.toString(barmanSource.port()), "-U", PgCluster.SUPERUSER)
                    .args(s3.url(), server).asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, backup.exitCode(), backup::describe);
            barmanSource.awaitArchived(barmanSource.switchWal(), Duration.ofSeconds(90));
        }
        Path data = work.resolve(server + "/data");
        postgresDirectory(server);

        ToolResult restore = restore(s3, server, "latest", data, "--tablespace", "inside:" + data.resolve("inside"));

        assertEquals(0, restore.exitCode(), restore::describe);
        List<Path> links = list(data.resolve("pg_tblspc"));
        assertEquals(1, links.size(), links::toString);
        assertEquals(data.resolve("inside"), readLink(links.get(0)));
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(s3.restoreCommand(server)).setting("recovery_target", "immediate")
                .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(1700, recovered.queryLong("SELECT count(*) FROM in_inside"));
            assertEquals(1700, recovered.queryLong("SELECT count(DISTINCT h) FROM in_inside"));
        }
    }

    /**
     * A tablespace_map left at PGDATA's root (an exclusive pg_start_backup of PostgreSQL 14 or older, running
     * or crashed, leaves one) is copied by barman-cloud-backup 3.4. Restored with it, PostgreSQL re-created
     * the pg_tblspc link from it at its first start: recovery and everything after it wrote into the
     * original cluster's tablespace directory. cumulus-restore drops it, with a warning, and PostgreSQL keeps
     * the link to the relocated directory.
     */
    @Test
    void barmanCloudBackupHoldingALeftoverTablespaceMapRecoversIntoTheRelocatedTablespace() throws IOException {
        String server = "pg-barman-tsmap";
        String barmanArchive = barman.command("barman-cloud-wal-archive").args(s3.url(), server).toShellLine() + " %p";
        Path location = postgresDirectory(server + "-source-" + TABLESPACE);
        long oid;
        try (PgCluster barmanSource = PgCluster.builder().archiveCommand(barmanArchive).start()) {
            barmanSource.execute("CREATE TABLESPACE " + TABLESPACE + " LOCATION '" + location + "'");
            oid = barmanSource.queryLong("SELECT oid FROM pg_tablespace WHERE spcname = '" + TABLESPACE + "'");
            barmanSource.execute("CREATE TABLE in_tablespace TABLESPACE " + TABLESPACE
                    + " AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 1300) g");
            // what PostgreSQL writes there for an exclusive backup
            Path map = Files.writeString(barmanSource.dataDir().resolve("tablespace_map"), oid + " " + location + "\n");
            PostgresUser.chown(map);
            ToolResult backup = barman.command("barman-cloud-backup", "--immediate-checkpoint", "-h", "127.0.0.1",
                    "-p", Integer.toString(barmanSource.port()), "-U", PgCluster.SUPERUSER)
                    .args(s3.url(), server).asPostgres().timeout(TIMEOUT).run();
            assertEquals(0, backup.exitCode(), backup::describe);
            barmanSource.awaitArchived(barmanSource.switchWal(), Duration.ofSeconds(90));
        }
        Map<Path, String> original = contents(location); // the source is stopped; its directory stays
        Path data = work.resolve(server + "/data");
        Path tablespace = work.resolve(server + "/" + TABLESPACE);
        postgresDirectory(server);

        ToolResult restore = restore(s3, server, "latest", data, "--tablespace", TABLESPACE + ":" + tablespace);

        assertEquals(0, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("data.tar holds a tablespace_map (left at the data directory's root"),
                restore::describe);
        assertFalse(Files.exists(data.resolve("tablespace_map")));
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(s3.restoreCommand(server)).setting("recovery_target", "immediate")
                .setting("recovery_target_action", "promote").startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            recovered.execute("INSERT INTO in_tablespace SELECT g, 'restored' FROM generate_series(1301, 1400) g");
            recovered.checkpoint();
            assertEquals(tablespace, readLink(data.resolve("pg_tblspc/" + oid)));
            assertEquals(tablespace.toString(), recovered.queryString("SELECT pg_tablespace_location(" + oid + ")"));
            assertEquals(1400, recovered.queryLong("SELECT count(*) FROM in_tablespace"));
            assertEquals(1300, recovered.queryLong("SELECT count(DISTINCT h) FROM in_tablespace WHERE n <= 1300"));
        }
        assertEquals(original, contents(location), "the original cluster's tablespace directory was written");
    }

    @Test
    void oneChangedByteInTheBucketStopsTheRestoreNamingTheFile() throws IOException {
        String server = "pg-corrupt";
        String id = Backups.backupSucceeds(file, source, server, "--immediate-checkpoint");
        Path archive = file.root().resolve(server + "/base/" + id + "/" + tablespaceOid + ".tar");
        String member = flipAByteInTheLargestMember(archive);
        Path data = work.resolve("corrupt/data");
        postgresDirectory("corrupt");

        ToolResult restore = restore(file, server, id, data, "--tablespace",
                TABLESPACE + ":" + work.resolve("corrupt/" + TABLESPACE));

        assertEquals(1, restore.exitCode(), restore::describe);
        assertTrue(restore.stderr().contains("pg_tblspc/" + tablespaceOid + "/" + member), restore::describe);
        assertTrue(restore.stderr().contains("verification failed"), restore::describe);
    }

    @Test
    void badInputIsRefusedWithTheDocumentedExitCodes() throws IOException {
        Path empty = work.resolve("bad/data");
        ToolResult unknown = restore(file, SERVER, "20000101T000000", empty);
        assertEquals(1, unknown.exitCode(), unknown::describe);
        assertTrue(unknown.stderr().contains("backup 20000101T000000 not found"), unknown::describe);
        assertEquals(1, restore(file, SERVER, "no-such-name", empty).exitCode());

        Path full = postgresDirectory("bad/full");
        Files.writeString(full.resolve("keep-me"), "precious");
        ToolResult notEmpty = restore(file, SERVER, backupId, full, "--tablespace", TABLESPACE + ":" + empty);
        assertEquals(1, notEmpty.exitCode(), notEmpty::describe);
        assertTrue(notEmpty.stderr().contains("is not empty"), notEmpty::describe);
        assertEquals(List.of(full.resolve("keep-me")), list(full));

        ToolResult badRule = restore(file, SERVER, backupId, empty, "--tablespace", TABLESPACE);
        assertEquals(3, badRule.exitCode(), badRule::describe);
        assertTrue(badRule.stderr().contains("NAME:LOCATION"), badRule::describe);
        assertFalse(Files.exists(empty));

        // refused with the options, whatever BACKUP_ID is: before, only auto parsed it, and the restore
        // wrote recovery_target_time = 'notatime', which PostgreSQL then refused to start with
        for (String id : List.of(backupId, "latest", "auto")) {
            ToolResult badTime = restore(file, SERVER, id, empty, "--recovery-target-time", "notatime");
            assertEquals(3, badTime.exitCode(), badTime::describe);
            assertTrue(badTime.stderr().contains("invalid --recovery-target-time 'notatime'"), badTime::describe);
            assertFalse(Files.exists(empty));
        }
    }

    /** {@code cumulus-restore [options] URL SERVER ID DIR} as the PostgreSQL user, who will run the copy. */
    private static ToolResult restore(ArchiveStore store, String server, String id, Path data, String... options) {
        Command command = Tools.command("cumulus-restore", options).args(store.toolOptions()).env(store.toolEnv())
                .args(store.url(), server, id, data.toString());
        return command.asPostgres().timeout(TIMEOUT).run();
    }

    /** Changes one byte in the middle of the largest file of a plain tar archive; returns its member name. */
    private static String flipAByteInTheLargestMember(Path archive) throws IOException {
        byte[] bytes = Files.readAllBytes(archive);
        TarMembers.Member largest = TarMembers.of(bytes).stream().filter(TarMembers.Member::isFile)
                .max(java.util.Comparator.comparingLong(TarMembers.Member::size))
                .orElseThrow(() -> new AssertionError("no file in " + archive));
        bytes[(int) (largest.data() + largest.size() / 2)] ^= 0x01;
        Files.write(archive, bytes);
        return largest.name();
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

    /** Every file below {@code directory}, with the SHA-256 of its content. */
    private static Map<Path, String> contents(Path directory) throws IOException {
        Map<Path, String> contents = new java.util.TreeMap<>();
        try (var files = Files.walk(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                try {
                    contents.put(directory.relativize(file), java.util.HexFormat.of().formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException("every JVM has SHA-256", e);
                }
            }
        }
        return contents;
    }

    private static List<Path> list(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.toList();
        }
    }

    private static Path readLink(Path link) {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
