package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * cumulus-check against a real PostgreSQL 15 cluster archiving with cumulus-wal-archive into a
 * file:// store, run as the PostgreSQL OS user as a monitoring agent would: every check OK; then
 * each fault, introduced alone and undone afterwards, fails exactly its own check. "Credentials
 * that can read but not write" are file permissions here: S3Proxy serves one identity with full
 * rights, so a read-only identity cannot be had from it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CheckEndToEndTest {

    private static final String SERVER = "pg-check";
    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(60);
    /** The cluster's WAL segment size, 1 MiB, and so the segments in one log file. */
    private static final long SEGMENT_SIZE = 1 << 20;
    private static final long SEGMENTS_PER_LOG = 0x1_0000_0000L / SEGMENT_SIZE;
    private static final Pattern LINE = Pattern.compile("(?m)^  (\\S.*?)\\s+(OK|FAILED)  (.*)$");
    private static final List<String> CHECKS = List.of("PostgreSQL", "wal_level", "archive_mode", "archive_command",
            "archiver", "archive lag", "store", "store permissions", "system identifier", "backup age", "backup count",
            "WAL continuity");

    private FileArchiveStore store;
    private FileArchiveStore elsewhere;
    private PgCluster cluster;
    private String backupId;

    @BeforeAll
    void startArchivingClusterWithABackup() {
        store = new FileArchiveStore();
        elsewhere = new FileArchiveStore();
        cluster = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(store.archiveCommand(SERVER)).start();
        // the archiver creates the server's directory, as it would on a real host
        cluster.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g");
        cluster.awaitArchived(cluster.switchWal(), ARCHIVE_TIMEOUT);
        backupId = Backups.backupSucceeds(store, cluster, SERVER, "--immediate-checkpoint");
        for (int i = 0; i < 4; i++) {
            cluster.execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
            cluster.awaitArchived(cluster.switchWal(), ARCHIVE_TIMEOUT);
        }
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(cluster, store, elsewhere);
    }

    private ToolResult check(String... options) {
        return Tools.command("cumulus-check", options).args(Backups.connection(cluster)).args(store.url(), SERVER)
                .asPostgres().run();
    }

    /** Each check's status and message, in output order. */
    private static Map<String, String[]> verdicts(ToolResult result) {
        Map<String, String[]> verdicts = new LinkedHashMap<>();
        Matcher m = LINE.matcher(result.stdout());
        while (m.find()) {
            verdicts.put(m.group(1), new String[] {m.group(2), m.group(3).strip()});
        }
        return verdicts;
    }

    /** Every check ran; exactly {@code failing} failed (with exit 1), and its message holds {@code says}. */
    private static void onlyFails(ToolResult result, String failing, String says) {
        Map<String, String[]> verdicts = verdicts(result);
        assertEquals(CHECKS, List.copyOf(verdicts.keySet()), result::describe);
        verdicts.forEach((name, verdict) -> assertEquals(name.equals(failing) ? "FAILED" : "OK", verdict[0],
                () -> name + " in\n" + result.describe()));
        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(verdicts.get(failing)[1].contains(says), result::describe);
        assertTrue(result.stdout().contains("fix: "), result::describe);
    }

    @Test
    @Order(1)
    void everyCheckPassesOnAHealthyChain() {
        ToolResult result = check();
        Map<String, String[]> verdicts = verdicts(result);
        assertEquals(CHECKS, List.copyOf(verdicts.keySet()), result::describe);
        verdicts.forEach((name, verdict) -> assertEquals("OK", verdict[0], () -> name + " in\n" + result.describe()));
        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(store.keys(SERVER + "/cumulus-check").isEmpty(), "the probe object was not removed");
        assertFalse(verdicts.get("store permissions")[1].contains("warning"),
                () -> "file:// honours create-only writes: " + result.describe());

        ToolResult nagios = check("--nagios");
        assertEquals(0, nagios.exitCode(), nagios::describe);
        assertTrue(nagios.stdout().matches("CUMULUS OK - pg-check: 12 checks OK \\| backup_age=\\d+s;;604800;0"
                + " archive_lag=\\d+s;;900;0 backups=1;;1:;0\\n"), nagios::describe);

        assertEquals(systemIdentifier(cluster) + ", as the newest DONE backup's", verdicts.get("system identifier")[1],
                result::describe);

        ToolResult json = check("--format", "json");
        assertEquals(0, json.exitCode(), json::describe);
        assertTrue(json.stdout().contains("\"status\" : \"OK\""), json::describe);
        assertTrue(json.stdout().contains("\"done_backups\" : 1"), json::describe);
    }

    @Test
    @Order(2)
    void theRetentionPolicyIsCheckedWhenGiven() {
        ToolResult met = check("--retention-policy", "REDUNDANCY 1");
        assertEquals(0, met.exitCode(), met::describe);
        assertEquals("OK", verdicts(met).get("retention policy")[0]);
        ToolResult unmet = check("--retention-policy", "REDUNDANCY 2");
        assertEquals(1, unmet.exitCode(), unmet::describe);
        assertEquals("FAILED", verdicts(unmet).get("retention policy")[0], unmet::describe);
        assertEquals(CHECKS.size(), verdicts(unmet).values().stream().filter(v -> v[0].equals("OK")).count());
    }

    @Test
    @Order(3)
    void archiveModeOffFailsOnlyArchiveMode() {
        cluster.execute("ALTER SYSTEM SET archive_mode = off");
        cluster.restart();
        try {
            onlyFails(check(), "archive_mode", "archive_mode is off");
            ToolResult nagios = check("--nagios");
            assertEquals(2, nagios.exitCode(), nagios::describe);
            assertTrue(nagios.stdout().startsWith("CUMULUS CRITICAL - pg-check: 1 of 12 checks FAILED: archive_mode:"),
                    nagios::describe);
        } finally {
            cluster.execute("ALTER SYSTEM RESET archive_mode");
            cluster.restart();
        }
    }

    @Test
    @Order(4)
    void anArchiveCommandPointingElsewhereFailsOnlyArchiveCommand() {
        String original = cluster.queryString("SHOW archive_command");
        setArchiveCommand(elsewhere.archiveCommand(SERVER));
        try {
            ToolResult result = check();
            onlyFails(result, "archive_command", "archives to " + elsewhere.url());
            assertTrue(!result.stdout().contains("AWS_SECRET"), "archive_command shown verbatim");

            // archiving here, but failures hidden from PostgreSQL, which would recycle WAL never stored
            setArchiveCommand(original + " || true");
            onlyFails(check(), "archive_command", "'||' after cumulus-wal-archive makes the line's exit status"
                    + " another command's");
        } finally {
            cluster.execute("ALTER SYSTEM RESET archive_command");
            cluster.reload();
            awaitSetting("archive_command", original);
        }
    }

    @Test
    @Order(5)
    void aSegmentDeletedInTheMiddleFailsOnlyWalContinuityNamingIt() throws IOException {
        List<String> segments = segmentsAfterTheBackup();
        assertTrue(segments.size() >= 3, segments::toString);
        String victim = segments.get(segments.size() / 2);
        moveAside(victim);
        try {
            onlyFails(check(), "WAL continuity", "missing " + name(victim));
        } finally {
            putBack(victim);
        }
    }

    @Test
    @Order(6)
    void aStaleNewestBackupFailsOnlyBackupAge() throws IOException {
        Path info = store.root().resolve(SERVER + "/base/" + backupId + "/backup.info");
        String original = Files.readString(info);
        // end_time=2026-11-21 10:16:56.393000+00:00 becomes eight days older: past the 7-day default
        Matcher end = Pattern.compile("(?m)^end_time=(\\d{4}-\\d{2}-\\d{2})").matcher(original);
        assertTrue(end.find(), original);
        String stale = end.replaceFirst("end_time=" + LocalDate.parse(end.group(1)).minusDays(8));
        Files.writeString(info, stale);
        try {
            onlyFails(check(), "backup age", "more than --max-backup-age 7d");
        } finally {
            Files.writeString(info, original);
        }
    }

    @Test
    @Order(7)
    void credentialsThatCanReadButNotWriteFailOnlyStorePermissions() {
        Map<Path, Set<PosixFilePermission>> before = readOnly(store.root().resolve(SERVER));
        try {
            onlyFails(check(), "store permissions", "cannot write the probe object");
        } finally {
            restore(before);
        }
    }

    @Test
    @Order(8)
    void aFailingArchiverFailsOnlyTheArchiverCheck() {
        long failures = cluster.queryLong("SELECT failed_count FROM pg_stat_archiver");
        Map<Path, Set<PosixFilePermission>> before = readOnly(store.root().resolve(SERVER + "/wals"));
        String stuck;
        try {
            cluster.execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
            stuck = cluster.switchWal();
            long deadline = System.nanoTime() + ARCHIVE_TIMEOUT.toNanos();
            while (cluster.queryLong("SELECT failed_count FROM pg_stat_archiver") == failures) {
                assertTrue(System.nanoTime() < deadline, "the archiver did not fail");
                sleep(200);
            }
            onlyFails(check(), "archiver", "the last attempt failed: " + stuck);
        } finally {
            restore(before);
        }
        // archiving resumes once the store is writable again
        cluster.execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
        String next = cluster.switchWal();
        long deadline = System.nanoTime() + ARCHIVE_TIMEOUT.toNanos();
        while (cluster.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver").compareTo(next) < 0) {
            assertTrue(System.nanoTime() < deadline, "archiving did not resume");
            sleep(200);
        }
        ToolResult healthy = check();
        assertEquals(0, healthy.exitCode(), healthy::describe);
    }

    @Test
    @Order(9)
    void anotherClustersTimelineInThePrefixNeitherHidesAGapOnTheClustersOwnNorPasses() throws IOException {
        // a restore drill elsewhere kept archive_command and was promoted to timeline 2 one segment
        // before a segment this cluster (on timeline 1) lost: following the highest timeline, the
        // check would see no gap
        List<String> segments = segmentsAfterTheBackup();
        assertTrue(segments.size() >= 4, segments::toString);
        String victim = segments.get(segments.size() / 2);
        long lost = segmentNumber(name(victim));
        long newest = segmentNumber(name(segments.get(segments.size() - 1)));
        Path wals = store.root().resolve(SERVER + "/wals");
        List<Path> foreign = new ArrayList<>();
        long switchLsn = (lost - 1) * SEGMENT_SIZE + 0x100;
        foreign.add(Files.writeString(wals.resolve("00000002.history"), String.format("1\t%X/%X\trestore drill%n",
                switchLsn >>> 32, switchLsn & 0xFFFF_FFFFL)));
        // the drill's first segment is a copy of one of this cluster's (its long page header names this
        // database system, as a restored copy's does); the rest are empty
        String model = segments.get(0);
        String suffix = model.substring(model.lastIndexOf('/') + 1).substring(24);
        for (long n = lost - 1; n <= newest + 2; n++) {
            String segment = String.format("%08X%08X%08X", 2, n / SEGMENTS_PER_LOG, n % SEGMENTS_PER_LOG);
            Path file = wals.resolve(segment.substring(0, 16)).resolve(n == lost - 1 ? segment + suffix : segment);
            Files.createDirectories(file.getParent());
            foreign.add(Files.write(file, n == lost - 1 ? Files.readAllBytes(store.root().resolve(model)) : new byte[0]));
        }
        moveAside(victim);
        try {
            ToolResult result = check();
            onlyFails(result, "WAL continuity", "missing " + name(victim));
            String message = verdicts(result).get("WAL continuity")[1];
            assertTrue(message.startsWith("the archive holds timeline 2 (e.g. " + SERVER + "/wals/00000002.history),"
                    + " newer than the cluster's timeline 1"), result::describe);
            // the drill branched off this primary's timeline behind the segment it writes now
            assertTrue(message.contains(", and this cluster, still a primary, has written past that point (it writes"
                    + " 00000001"), result::describe);
            assertTrue(message.contains(", and its segments are of this database system: a server promoted from"
                    + " this cluster's WAL archives here"), result::describe);
        } finally {
            putBack(victim);
            for (Path path : foreign) {
                Files.delete(path);
            }
            Files.delete(wals.resolve("0000000200000000"));
        }
        ToolResult healthy = check();
        assertEquals(0, healthy.exitCode(), healthy::describe);
    }

    /**
     * A backup directory without backup.info (a backup killed before it stored one) shows in no
     * listing; the check names it under "backup count", without counting it or failing.
     */
    @Test
    @Order(10)
    void aBackupWithoutBackupInfoIsNamedButNeitherCountedNorFailed() throws IOException {
        Path killed = store.root().resolve(SERVER + "/base/20200101T000000");
        Files.createDirectories(killed);
        Files.writeString(killed.resolve("data.tar"), "half a backup");
        try {
            ToolResult result = check();
            Map<String, String[]> verdicts = verdicts(result);
            assertEquals(0, result.exitCode(), result::describe);
            assertEquals("OK", verdicts.get("backup count")[0], result::describe);
            assertTrue(verdicts.get("backup count")[1].contains("1 DONE backup(s) (1 without backup.info: running,"
                    + " or killed"), result::describe);
        } finally {
            Files.delete(killed.resolve("data.tar"));
            Files.delete(killed);
        }
    }

    /**
     * The check of another cluster (a second initdb: another database system, as after pg_upgrade)
     * pointed at this server name: no backup there restores it, whatever their age, and the check
     * says so naming both identifiers. Once that cluster backs up there too, this cluster's check
     * fails the same way: two clusters back up as one server name.
     */
    @Test
    @Order(11)
    void backupsOfAnotherDatabaseSystemFailTheSystemIdentifierNamingBoth() {
        String ours = systemIdentifier(cluster);
        try (PgCluster other = PgCluster.builder().walSegmentSizeMb(1).start()) {
            String theirs = systemIdentifier(other);
            assertTrue(!ours.equals(theirs), ours);
            ToolResult result = Tools.command("cumulus-check").args(Backups.connection(other))
                    .args(store.url(), SERVER).asPostgres().run();
            assertEquals(1, result.exitCode(), result::describe);
            Map<String, String[]> verdicts = verdicts(result);
            assertEquals("FAILED", verdicts.get("system identifier")[0], result::describe);
            assertEquals("the newest DONE backup " + backupId + " is of database system " + ours + ", this cluster is "
                    + theirs + ": no DONE backup restores this cluster", verdicts.get("system identifier")[1],
                    result::describe);
            assertTrue(result.stdout().contains("fix: take a backup now: after pg_upgrade or a re-initdb the older"
                    + " backups restore only the old cluster"), result::describe);
            assertEquals("FAILED", verdicts.get("backup age")[0], result::describe);
            assertTrue(verdicts.get("backup count")[1].startsWith("0 DONE backup(s), 1 more of another database"
                    + " system"), result::describe);
            assertTrue(verdicts.get("WAL continuity")[1].startsWith("no DONE backup of this database system (those in"
                    + " the store are of another: see the system identifier line)"), result::describe);

            String theirBackup = Backups.backupSucceeds(store, other, SERVER, "--immediate-checkpoint");
            try {
                ToolResult ourCheck = check();
                assertEquals(1, ourCheck.exitCode(), ourCheck::describe);
                assertEquals("the newest DONE backup " + theirBackup + " is of database system " + theirs + ", this"
                        + " cluster is " + ours + " (1 older DONE backup(s) are this cluster's): another cluster"
                        + " backs up as this server name", verdicts(ourCheck).get("system identifier")[1],
                        ourCheck::describe);
                ToolResult theirCheck = Tools.command("cumulus-check").args(Backups.connection(other))
                        .args(store.url(), SERVER).asPostgres().run();
                assertEquals(theirs + ", as the newest DONE backup's; 1 older DONE backup(s) of database system " + ours
                        + " restore only that cluster (from before a pg_upgrade or re-initdb?) and are not counted",
                        verdicts(theirCheck).get("system identifier")[1], theirCheck::describe);
            } finally {
                PostgresUser.deleteRecursively(store.root().resolve(SERVER + "/base/" + theirBackup));
            }
        }
        ToolResult healthy = check();
        assertEquals(0, healthy.exitCode(), healthy::describe);
    }

    /**
     * pg_control_system() is open to a role without pg_monitor; where a DBA revoked it, the backups'
     * system is not compared, and the line says so without failing.
     */
    @Test
    @Order(12)
    void aRoleWithoutRightsReadsTheSystemIdentifierUnlessItIsRevoked() {
        cluster.execute("DROP ROLE IF EXISTS plain_monitor; CREATE ROLE plain_monitor LOGIN");
        try {
            ToolResult plain = Tools.command("cumulus-check", "-h", "127.0.0.1", "-p", Integer.toString(cluster.port()),
                    "-U", "plain_monitor", store.url(), SERVER).asPostgres().run();
            assertEquals("OK", verdicts(plain).get("system identifier")[0], plain::describe);
            assertEquals(systemIdentifier(cluster) + ", as the newest DONE backup's",
                    verdicts(plain).get("system identifier")[1], plain::describe);
            cluster.execute("REVOKE EXECUTE ON FUNCTION pg_control_system() FROM PUBLIC");
            ToolResult revoked = Tools.command("cumulus-check", "-h", "127.0.0.1", "-p",
                    Integer.toString(cluster.port()), "-U", "plain_monitor", store.url(), SERVER).asPostgres().run();
            assertEquals("OK", verdicts(revoked).get("system identifier")[0], revoked::describe);
            assertTrue(verdicts(revoked).get("system identifier")[1].startsWith("not checked: this user may not call"
                    + " pg_control_system()"), revoked::describe);
        } finally {
            cluster.execute("GRANT EXECUTE ON FUNCTION pg_control_system() TO PUBLIC");
            cluster.execute("DROP ROLE plain_monitor");
        }
    }

    /**
     * The store lost the data archive of the only DONE backup: cumulus-restore would refuse it, and the
     * check says so first, naming it and the archive; with no other backup there is no age either.
     */
    @Test
    @Order(13)
    void aDoneBackupWhoseDataArchiveIsGoneFailsBackupCountNamingItAndLeavesNoAge() throws IOException {
        Path dir = store.root().resolve(SERVER + "/base/" + backupId);
        Path data;
        try (Stream<Path> files = Files.list(dir)) {
            data = files.filter(f -> f.getFileName().toString().startsWith("data.tar")).findFirst().orElseThrow();
        }
        Path aside = dir.resolveSibling("data-archive.aside");
        Files.move(data, aside);
        try {
            ToolResult result = check();
            assertEquals(1, result.exitCode(), result::describe);
            String refusal = "backup " + backupId + " is incomplete: data.tar is missing from " + SERVER + "/base/"
                    + backupId + "/";
            Map<String, String[]> verdicts = verdicts(result);
            assertEquals(CHECKS, List.copyOf(verdicts.keySet()), result::describe);
            verdicts.forEach((name, verdict) -> assertEquals(name.startsWith("backup ") ? "FAILED" : "OK", verdict[0],
                    () -> name + " in\n" + result.describe()));
            assertEquals("0 DONE backup(s), 1 more that cumulus-restore cannot restore (" + refusal + "), fewer than"
                    + " --min-backups 1",
                    verdicts.get("backup count")[1], result::describe);
            assertTrue(verdicts.get("backup age")[1].startsWith("no DONE backup in the catalog that cumulus-restore"
                    + " can restore (1 more that cumulus-restore cannot restore (" + refusal + "))"), result::describe);
        } finally {
            Files.move(aside, data);
        }
    }

    /** A newer backup that FAILED fails the age at once, though the DONE one before it is young. */
    @Test
    @Order(14)
    void aNewestBackupThatFailedFailsOnlyBackupAgeNamingItsError() throws IOException {
        Path info = store.root().resolve(SERVER + "/base/" + backupId + "/backup.info");
        Path failed = store.root().resolve(SERVER + "/base/29991231T000000/backup.info");
        Files.createDirectories(failed.getParent());
        String text = Files.readString(info).replaceFirst("(?m)^status=.*$", "status=FAILED");
        String error = "error=failure uploading data (the test cut it)";
        Files.writeString(failed, text.contains("\nerror=") ? text.replaceFirst("(?m)^error=.*$", error)
                : text + error + "\n");
        try {
            ToolResult result = check();
            onlyFails(result, "backup age", "the newest backup 29991231T000000 FAILED (failure uploading data (the"
                    + " test cut it)); the newest DONE backup is ");
            assertTrue(verdicts(result).get("backup count")[1].contains("(1 FAILED)"), result::describe);
        } finally {
            PostgresUser.deleteRecursively(failed.getParent());
        }
        ToolResult healthy = check();
        assertEquals(0, healthy.exitCode(), healthy::describe);
    }

    private static String systemIdentifier(PgCluster cluster) {
        return cluster.queryString("SELECT system_identifier::text FROM pg_control_system()");
    }

    /**
     * The last test: it leaves a second backup and the first kept standalone. archive_command =
     * '/bin/true' (archiving "off for a while"), then a line that only tests the store (-t): PostgreSQL
     * counts each segment archived and recycles it, the store never gets it, and the store's chain,
     * complete up to where it stopped, looked healthy. Once archiving works again the recycled segments
     * are a gap, which a new backup clears only with the older backup kept standalone (or deleted).
     */
    @Test
    @Order(20)
    void anArchiveCommandThatStoresNothingFailsWalContinuityAndTheGapItLeavesClearsAsTheFixSays() {
        List<String> stored = segmentsAfterTheBackup();
        String newestStored = name(stored.get(stored.size() - 1));
        String firstLost = segmentName(1, segmentNumber(newestStored) + 1);
        String original = cluster.queryString("SHOW archive_command");
        try {
            setArchiveCommand("/bin/true");
            String stubbed = switchAndAwaitArchived();
            ToolResult result = check();
            onlyFails(result, "WAL continuity", "PostgreSQL archived " + stubbed + " at ");
            String message = verdicts(result).get("WAL continuity")[1];
            assertTrue(message.contains(" ends at " + newestStored + ": archive_command does not store WAL here"),
                    result::describe);
            assertTrue(verdicts(result).get("archive_command")[1].contains("not checked: "), result::describe);
            ToolResult nagios = check("--nagios");
            assertEquals(2, nagios.exitCode(), nagios::describe);

            // a line that only tests the store: the archive_command line names it too
            setArchiveCommand(store.archiveCommand(SERVER, "-t"));
            String tested = switchAndAwaitArchived();
            result = check();
            Map<String, String[]> verdicts = verdicts(result);
            assertEquals(1, result.exitCode(), result::describe);
            assertEquals("FAILED", verdicts.get("archive_command")[0], result::describe);
            assertTrue(verdicts.get("archive_command")[1].contains("with -t/--test, which only checks the store"),
                    result::describe);
            assertEquals("FAILED", verdicts.get("WAL continuity")[0], result::describe);
            assertTrue(verdicts.get("WAL continuity")[1].startsWith("PostgreSQL archived " + tested + " at "),
                    result::describe);
            assertTrue(verdicts.get("WAL continuity")[1].endsWith(" segment(s) PostgreSQL archived are"
                    + " missing: " + firstLost + " to " + tested), result::describe);
        } finally {
            cluster.execute("ALTER SYSTEM RESET archive_command");
            cluster.reload();
            awaitSetting("archive_command", original);
        }
        switchAndAwaitArchived();
        ToolResult gap = check();
        onlyFails(gap, "WAL continuity", "missing " + firstLost + " to ");
        assertTrue(gap.stdout().contains("cumulus-backup-keep --target standalone"), gap::describe);

        String newer = Backups.backupSucceeds(store, cluster, SERVER, "--immediate-checkpoint");
        onlyFails(check(), "WAL continuity", "missing " + firstLost + " to ");
        ToolResult keep = Tools.command("cumulus-backup-keep", "--target", "standalone")
                .args(store.url(), SERVER, backupId).run(); // as cumulus-backup ran, which wrote base/
        assertEquals(0, keep.exitCode(), keep::describe);
        ToolResult cleared = check();
        assertEquals(0, cleared.exitCode(), cleared::describe);
        assertTrue(verdicts(cleared).get("WAL continuity")[1].contains("from the oldest DONE backup not kept"
                + " standalone, " + newer), cleared::describe);
    }

    /**
     * Writes, closes the segment and waits until PostgreSQL counts it archived. Not {@link
     * PgCluster#awaitArchived}, which fails on any failure since the start: the archiver test made some.
     */
    private String switchAndAwaitArchived() {
        cluster.execute("INSERT INTO t SELECT g FROM generate_series(1, 1000) g");
        String segment = cluster.switchWal();
        long deadline = System.nanoTime() + ARCHIVE_TIMEOUT.toNanos();
        while (cluster.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
                .compareTo(segment) < 0) {
            assertTrue(System.nanoTime() < deadline, segment + " was not archived");
            sleep(200);
        }
        return segment;
    }

    private static String segmentName(long timeline, long number) {
        return String.format("%08X%08X%08X", timeline, number / SEGMENTS_PER_LOG, number % SEGMENTS_PER_LOG);
    }

    /** Renames the object at {@code key} to a name that is no WAL name: to the check, it is gone. */
    private void moveAside(String key) throws IOException {
        Path file = store.root().resolve(key);
        Files.move(file, file.resolveSibling(file.getFileName() + ".aside"));
    }

    /** Undoes {@link #moveAside}. */
    private void putBack(String key) throws IOException {
        Path file = store.root().resolve(key);
        Files.move(file.resolveSibling(file.getFileName() + ".aside"), file);
    }

    /** The keys of the segments archived after the backup's begin_wal, in order (all on timeline 1). */
    private List<String> segmentsAfterTheBackup() {
        String beginWal = Backups.backupInfo(store, SERVER, backupId).get("begin_wal");
        return store.keys(SERVER + "/wals/").stream()
                .filter(key -> key.matches(".*/[0-9A-F]{24}(\\.\\w+)?$"))
                .filter(key -> name(key).compareTo(beginWal) > 0).toList();
    }

    private static long segmentNumber(String segment) {
        return Long.parseLong(segment.substring(8, 16), 16) * SEGMENTS_PER_LOG + Long.parseLong(segment.substring(16), 16);
    }

    private void setArchiveCommand(String command) {
        cluster.execute("ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'");
        cluster.reload();
        awaitSetting("archive_command", command);
    }

    private void awaitSetting(String name, String value) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!cluster.queryString("SHOW " + name).equals(value)) {
            assertTrue(System.nanoTime() < deadline, name + " was not reloaded");
            sleep(100);
        }
    }

    private static String name(String key) {
        String file = key.substring(key.lastIndexOf('/') + 1);
        return file.substring(0, 24);
    }

    /** Takes write permission away from every directory under {@code root}; returns what they had. */
    private static Map<Path, Set<PosixFilePermission>> readOnly(Path root) {
        Map<Path, Set<PosixFilePermission>> before = new LinkedHashMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path dir : paths.filter(Files::isDirectory).toList()) {
                before.put(dir, Files.getPosixFilePermissions(dir));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return before;
    }

    private static void restore(Map<Path, Set<PosixFilePermission>> permissions) {
        permissions.forEach((path, perms) -> {
            try {
                Files.setPosixFilePermissions(path, perms);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
