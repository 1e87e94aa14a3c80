package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.Ports;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * cumulus-backup when things go wrong: killed, terminated or cut off from PostgreSQL mid-copy, and
 * given input it cannot work with. A backup that did not finish is never listed as DONE; one that
 * fails while it can still clean up aborts its upload and stores a FAILED backup.info; bad input is
 * one clear line and barman-cloud's exit code (1 failed, 2 store unreachable, 3 invalid input).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupFailuresEndToEndTest {

    private static final String SERVER = "pg-failures";
    private static final Pattern STACK_FRAME = Pattern.compile("(?m)^\\s+at [\\w$.]+\\(.*\\)$");
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    /** Slow enough that a test can act while the copy runs, with 5 MiB upload parts (-S 1GB). */
    private static final String[] SLOW = {"-v", "-S", "1GB", "--max-bandwidth", "2MB", "--immediate-checkpoint"};

    private S3ArchiveStore s3;
    private BarmanCloud barman;
    private PgCluster source;
    private Path work;

    @BeforeAll
    void startCluster() {
        work = PostgresUser.createTempDir("cumulus-backup-failures-");
        s3 = S3ArchiveStore.start("failures", "cumulus");
        barman = new BarmanCloud(s3, work);
        source = PgCluster.builder().archiveCommand(s3.archiveCommand(SERVER)).start();
        PgbenchLoad.initialise(source, 3, "pg_default");
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, s3, () -> PostgresUser.deleteRecursively(work));
    }

    // ---------------------------------------------------------------- interrupted backups

    @Test
    void killedBackupIsNeverListedAsDoneAndTheNextBackupSucceeds() {
        String id;
        try (BackgroundTool backup = slowBackup()) {
            id = awaitCopying(backup);
            backup.kill();
            backup.awaitExit(TIMEOUT);
        }

        assertFalse(Backups.objects(s3, SERVER, id).contains("backup.info"), () -> Backups.objects(s3, SERVER, id)
                .toString());
        // its claim on the id stays, for cumulus-backup-delete to remove with the directory; barman ignores it
        assertTrue(Backups.objects(s3, SERVER, id).contains("backup.claim"), () -> Backups.objects(s3, SERVER, id)
                .toString());
        ToolResult listed = barman.command("barman-cloud-backup-list", "--format", "json", s3.url(), SERVER).run();
        assertEquals(0, listed.exitCode(), listed::describe);
        assertFalse(listed.stdout().contains(id), listed::describe);
        // a killed process cannot abort its multipart upload: a lifecycle rule on the bucket removes it
        // (docs/backup.md); PostgreSQL aborted the backup with its session, so the next one runs normally
        String next = Backups.backupSucceeds(s3, source, SERVER, "--immediate-checkpoint");
        assertEquals("DONE", Backups.backupInfo(s3, SERVER, next).get("status"));
    }

    @Test
    void terminatedBackupAbortsItsUploadAndStoresAFailedBackupInfo() {
        String id;
        int exitCode;
        String stderr;
        try (BackgroundTool backup = slowBackup()) {
            id = awaitCopying(backup);
            backup.terminate();
            exitCode = backup.awaitExit(TIMEOUT);
            stderr = backup.stderr();
        }

        assertEquals(143, exitCode, stderr);
        // one line a cron job mails, not an empty stderr
        assertTrue(stderr.contains("ERROR: backup " + id + " stopped by a signal (SIGTERM): stored as FAILED"), stderr);
        assertEquals(1, stderr.lines().filter(line -> line.contains("ERROR")).count(), stderr);
        Map<String, String> info = Backups.backupInfo(s3, SERVER, id);
        assertEquals("FAILED", info.get("status"));
        assertEquals("failure uploading data (cumulus-backup was stopped by a signal)", info.get("error"));
        assertEquals(List.of("backup.info"), Backups.objects(s3, SERVER, id));
        assertEquals(List.of(), openMultipartUploads(id));
    }

    @Test
    void terminatedWhileTheStoreDoesNotAnswerSaysNoFailedBackupInfoWasStoredAndWhatIsLeft() {
        // the abort and the FAILED backup.info wait on a store that does not answer: the shutdown hook gives
        // up after its 30 s and the JVM halts, after the one line that says what is left
        String id;
        int exitCode;
        String stderr;
        List<String> args = new java.util.ArrayList<>(List.of(SLOW));
        try (CuttingProxy proxy = new CuttingProxy(java.net.URI.create(s3.endpoint()), Long.MAX_VALUE, 0, false)) {
            args.addAll(List.of("--endpoint-url", proxy.endpoint()));
            args.addAll(Backups.connection(source));
            args.addAll(List.of(s3.url(), SERVER));
            try (BackgroundTool backup = BackgroundTool.start("cumulus-backup", args, s3.toolEnv())) {
                id = awaitCopying(backup);
                proxy.freeze();
                long signalled = System.nanoTime();
                backup.terminate();
                exitCode = backup.awaitExit(TIMEOUT);
                stderr = backup.stderr();
                assertTrue(System.nanoTime() - signalled > Duration.ofSeconds(29).toNanos(), stderr);
            }
        }

        assertEquals(143, exitCode, stderr);
        assertTrue(stderr.contains("ERROR: backup " + id + " stopped by a signal (SIGTERM): it did not end within 30 s"
                + " (the store, or PostgreSQL, did not answer), so no FAILED backup.info was stored; " + s3.url() + "/"
                + SERVER + "/base/" + id + "/ is left with what it stored and its backup.claim"), stderr);
        assertTrue(stderr.contains("cumulus-backup-delete -r removes it once a newer backup is DONE"), stderr);
        assertEquals(1, stderr.lines().filter(line -> line.contains("ERROR")).count(), stderr);
        List<String> left = Backups.objects(s3, SERVER, id);
        assertTrue(left.contains("backup.claim") && !left.contains("backup.info"), left::toString);
    }

    @Test
    void droppedSessionFailsTheBackupWithAFailedBackupInfoAndNoOpenUpload() {
        String id;
        int exitCode;
        String stderr;
        try (BackgroundTool backup = slowBackup()) {
            id = awaitCopying(backup);
            assertEquals("t", source.queryString("SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name = 'cumulus_backup'"));
            exitCode = backup.awaitExit(TIMEOUT);
            stderr = backup.stderr();
        }

        assertEquals(1, exitCode, stderr);
        assertTrue(stderr.contains("ERROR: backup " + id + " failed: the session with "), stderr);
        assertTrue(stderr.contains("(backup.info with status FAILED stored)"), stderr);
        Map<String, String> info = Backups.backupInfo(s3, SERVER, id);
        assertEquals("FAILED", info.get("status"));
        assertTrue(info.get("error").startsWith("failure uploading data (the session with "), info::toString);
        assertEquals(List.of(), openMultipartUploads(id));
    }

    @Test
    void failingArchivingEndsTheBackupAtTheArchiveWaitTimeoutAsFailedInsteadOfHanging() {
        // pg_backup_stop waits for the WAL the backup needs to be archived: for ever while
        // archive_command fails, unless cumulus-backup bounds the wait
        failArchiving();
        try {
            ToolResult result = Backups.backup(s3, source, SERVER, "--immediate-checkpoint",
                    "--archive-wait-timeout", "5").timeout(TIMEOUT).run();
            assertEquals(1, result.exitCode(), result::describe);
            assertTrue(result.stderr().contains("PostgreSQL did not archive the WAL this backup needs within 5 s"
                    + " (--archive-wait-timeout)"), result::describe);
            java.util.regex.Matcher m = Pattern.compile("backup (\\d{8}T\\d{6}) failed").matcher(result.stderr());
            assertTrue(m.find(), result::describe);
            Map<String, String> info = Backups.backupInfo(s3, SERVER, m.group(1));
            assertEquals("FAILED", info.get("status"), info::toString);
        } finally {
            resumeArchiving();
        }
    }

    @Test
    void terminatedWhilePostgresqlWaitsForArchivingStopsAtOnceAsFailed() {
        // pg_backup_stop waits (here up to the default hour) for WAL archiving, which /bin/false refuses:
        // a signal must cancel that wait, not leave the shutdown to give up after its 30 s
        failArchiving();
        try (BackgroundTool backup = BackgroundTool.start("cumulus-backup",
                Backups.backupArgs(s3, source, SERVER, "-v", "--immediate-checkpoint"), s3.toolEnv())) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!"1".equals(source.queryString("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                    + " 'cumulus_backup' AND state = 'active' AND query ILIKE '%pg_backup_stop%'"))) {
                assertTrue(System.nanoTime() < deadline && backup.isAlive(), backup::describe);
                Archiver.sleep(Duration.ofMillis(100));
            }
            java.util.regex.Matcher m = Pattern.compile("backup (\\d{8}T\\d{6})").matcher(backup.stderr());
            assertTrue(m.find(), backup::describe);
            long signalled = System.nanoTime();
            backup.terminate();
            int exitCode = backup.awaitExit(TIMEOUT);
            assertEquals(143, exitCode, backup::describe);
            assertTrue(System.nanoTime() - signalled < Duration.ofSeconds(20).toNanos(),
                    "the wait was cancelled, not sat out until the shutdown hook's 30 s: " + backup.describe());
            Map<String, String> info = Backups.backupInfo(s3, SERVER, m.group(1));
            assertEquals("FAILED", info.get("status"), info::toString);
            // the cancel makes PostgreSQL answer 57014 as a statement timeout does: the reason recorded is
            // the signal, not an --archive-wait-timeout that did not run out
            assertEquals("failure uploading data (cumulus-backup was stopped by a signal)", info.get("error"),
                    info::toString);
            assertEquals(List.of(), openMultipartUploads(m.group(1)));
        } finally {
            resumeArchiving();
        }
    }

    @Test
    void clusterWithoutWalArchivingGivesADoneBackupAndWarnsOnStandardErrorWithoutMinusV() {
        // cron: no terminal, no -v, so no progress lines; PostgreSQL's notice that archiving is off, and the
        // WAL this backup needs missing from the bucket, must still reach stderr (the cron mail)
        String server = "pg-no-archiving";
        try (PgCluster unarchived = PgCluster.start(Map.of())) { // archive_mode off
            ToolResult result = Backups.backup(s3, unarchived, server, "--immediate-checkpoint").timeout(TIMEOUT).run();

            assertEquals(0, result.exitCode(), result::describe);
            assertTrue(result.stderr().contains("WARNING: PostgreSQL: WAL archiving is not enabled"), result::describe);
            java.util.regex.Matcher m = Pattern.compile("WARNING: WAL segment (\\w{24}), which backup (\\d{8}T\\d{6})"
                    + " needs, is not archived in ").matcher(result.stderr());
            assertTrue(m.find(), result::describe);
            assertTrue(result.stderr().contains("this backup cannot be restored from this bucket alone until "
                    + m.group(1) + " is archived here: check archive_mode and archive_command"), result::describe);
            assertFalse(result.stderr().contains("ERROR"), result::describe);
            assertEquals("", result.stdout(), result::describe);
            Map<String, String> info = Backups.backupInfo(s3, server, m.group(2));
            assertEquals("DONE", info.get("status"), "DONE, as barman-cloud-backup: WAL may be copied by other means");
            assertEquals(m.group(1), info.get("end_wal"), info::toString);
        }
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void wrongConnectionSettingsAreExitOneWithTheServersAnswer() {
        ToolResult noServer = Tools.command("cumulus-backup", "-h", "127.0.0.1", "-p",
                Integer.toString(Ports.freeLoopbackPort()), s3.url(), SERVER).args(s3.toolOptions()).env(s3.toolEnv())
                .run();
        assertFailsWith(1, noServer, "cannot connect to PostgreSQL");

        ToolResult noRole = Tools.command("cumulus-backup", "-h", "127.0.0.1", "-p", Integer.toString(source.port()),
                "-U", "nobody", s3.url(), SERVER).args(s3.toolOptions()).env(s3.toolEnv()).run();
        assertFailsWith(1, noRole, "role \"nobody\" does not exist");
    }

    @Test
    void clusterWithWalLevelMinimalIsExitOneSayingWhatToChange() {
        try (PgCluster minimal = PgCluster.start(Map.of("wal_level", "minimal", "max_wal_senders", "0"))) {
            ToolResult result = Backups.backup(s3, minimal, SERVER).run();
            assertFailsWith(1, result, "wal_level must be replica or logical");
        }
    }

    @Test
    void userWithoutBackupRightsIsExitOneNamingWhatIsMissing() {
        source.execute("DROP ROLE IF EXISTS plain_user; CREATE ROLE plain_user LOGIN");
        ToolResult result = Tools.command("cumulus-backup", "-h", "127.0.0.1", "-p", Integer.toString(source.port()),
                "-U", "plain_user", s3.url(), SERVER).args(s3.toolOptions()).env(s3.toolEnv()).run();
        assertFailsWith(1, result, "user plain_user may not run backups");
        assertTrue(result.stderr().contains("pg_monitor") && result.stderr().contains("pg_backup_start"),
                result::describe);
    }

    @Test
    void reservedNameIsExitThree() {
        ToolResult result = Backups.backup(s3, source, SERVER, "-n", "latest").run();
        assertFailsWith(3, result, "Backup name 'latest' is not allowed: reserved word");
    }

    /**
     * An unwritable destination is exit 1, as barman-cloud-backup 3.4's: it writes nothing before
     * pg_backup_start, so it meets the destination once its backup has started, and its {@code
     * _coordinate_backup} catches every failure from there on, stores the FAILED backup.info where it can
     * and raises {@code SystemExit(1)}. cumulus-backup meets it at its first write, the claim of the backup
     * id, before pg_backup_start, and says so (a failure once the backup has started is exit 1 too,
     * whatever its cause; before the start, permission denied elsewhere is 4, a store that stops
     * answering 2, as barman's connectivity check and {@code GeneralErrorExit}).
     */
    @Test
    void unwritableDestinationIsExitOneAsBarmanCloud34AndLeavesPostgresqlWithoutABackup() throws IOException {
        Path readOnly = Files.createDirectory(work.resolve("read-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
        ToolResult result = Tools.command("cumulus-backup").args(Backups.connection(source))
                .args("file://" + readOnly, SERVER).asPostgres().run();
        assertFailsWith(1, result, "permission denied: " + readOnly.resolve(SERVER));
        assertTrue(result.stderr().contains("could not claim its id"), result::describe);
        assertTrue(result.stderr().contains("nothing was started or stored"), result::describe);
        assertEquals("0", source.queryString("SELECT count(*) FROM pg_stat_activity"
                + " WHERE application_name = 'cumulus_backup'"));
    }

    @Test
    void missingBucketIsExitOneAndUnreachableStoreExitTwo() {
        ToolResult missing = Tools.command("cumulus-backup").args(s3.toolOptions()).env(s3.toolEnv())
                .args(Backups.connection(source)).args("s3://no-such-bucket/x", SERVER).run();
        assertFailsWith(1, missing, "no-such-bucket");

        ToolResult unreachable = Tools.command("cumulus-backup", "--endpoint-url",
                "http://127.0.0.1:" + Ports.freeLoopbackPort()).env(s3.toolEnv())
                .args(Backups.connection(source)).args(s3.url(), SERVER).timeout(TIMEOUT).run();
        assertEquals(2, unreachable.exitCode(), unreachable::describe);
    }

    // ---------------------------------------------------------------- helpers

    /** Makes every archive_command call fail, so that pg_backup_stop waits for archiving. */
    private void failArchiving() {
        source.execute("ALTER SYSTEM SET archive_command = '/bin/false'");
        source.reload();
    }

    /**
     * Puts archive_command back and waits until archiving has caught up: the archiver retries what
     * /bin/false refused (earlier failures stay in its statistics).
     */
    private void resumeArchiving() {
        source.execute("ALTER SYSTEM RESET archive_command");
        source.reload();
        String last = source.switchWal();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!"t".equals(source.queryString("SELECT coalesce(last_archived_wal >= '" + last + "', false)"
                + " FROM pg_stat_archiver"))) {
            assertTrue(System.nanoTime() < deadline, "archiving did not resume after archive_command was reset");
            Archiver.sleep(Duration.ofMillis(200));
        }
    }

    private BackgroundTool slowBackup() {
        return BackgroundTool.start("cumulus-backup", Backups.backupArgs(s3, source, SERVER, SLOW), s3.toolEnv());
    }

    /** Waits until the backup has started and uploaded a part of its archive; returns its id. */
    private String awaitCopying(BackgroundTool backup) {
        backup.awaitStderr(err -> err.contains("INFO: backup "), TIMEOUT, "the start of the backup");
        java.util.regex.Matcher m = Pattern.compile("INFO: backup (\\d{8}T\\d{6}) of ").matcher(backup.stderr());
        assertTrue(m.find(), backup::describe);
        try {
            Thread.sleep(4000); // 8 MB at 2 MB/s: the first 5 MiB part is on its way
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertTrue(backup.isAlive(), backup::describe);
        return m.group(1);
    }

    private static void assertFailsWith(int exitCode, ToolResult result, String message) {
        assertEquals(exitCode, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains(message), result::describe);
        assertEquals(1, result.stderr().lines().filter(line -> !line.isBlank()).count(), result::describe);
        assertFalse(STACK_FRAME.matcher(result.output()).find(), result::describe);
    }

    /**
     * The multipart uploads the bucket holds open for backup {@code id}, asked through a client that
     * shares no code with Cumulus.
     */
    private List<String> openMultipartUploads(String id) {
        Properties overrides = new Properties();
        overrides.setProperty("jclouds.s3.virtual-host-buckets", "false");
        try (BlobStoreContext context = ContextBuilder.newBuilder("s3").endpoint(s3.endpoint())
                .credentials(s3.accessKey(), s3.secretKey()).overrides(overrides).buildView(BlobStoreContext.class)) {
            return context.getBlobStore().listMultipartUploads("failures").stream()
                    .map(upload -> upload.blobName() + " " + upload.id())
                    .filter(upload -> upload.contains("/base/" + id + "/")).toList();
        }
    }
}
