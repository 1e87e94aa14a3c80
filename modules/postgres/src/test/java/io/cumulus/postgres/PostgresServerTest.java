package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.Tablespace;
import io.cumulus.postgres.PostgresException.Reason;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.Ports;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.SystemProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session side of a backup against a real PostgreSQL 15. */
class PostgresServerTest {

    private static final long SIXTEEN_MIB = 16L << 20;

    private static PgCluster cluster;

    @TempDir
    Path home;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = PgCluster.start(Map.of());
        cluster.execute("CREATE ROLE plain LOGIN");
        cluster.execute("CREATE ROLE backupuser LOGIN");
        cluster.execute("GRANT pg_monitor TO backupuser");
        cluster.execute("GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean),"
                + " pg_switch_wal(), pg_create_restore_point(text) TO backupuser");
        cluster.execute("CREATE ROLE pwuser LOGIN PASSWORD 'pa:ss\\word'");
        cluster.execute("CREATE ROLE idler SUPERUSER LOGIN");
        cluster.execute("ALTER ROLE idler SET idle_session_timeout = '1s'");
        Path hba = cluster.dataDir().resolve("pg_hba.conf");
        Files.writeString(hba, "host all pwuser 127.0.0.1/32 scram-sha-256\n" + Files.readString(hba));
        cluster.reload();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ConnectionSettings settings(String user, String dbname) {
        return TestSettings.forCluster(cluster, user, dbname, home);
    }

    private PostgresServer connect(String user) throws PostgresException {
        return PostgresServer.connect(settings(user, "postgres"));
    }

    @Test
    void aBackupFunctionCancelledByAStandbysRecoveryConflictSaysWhatAvoidsIt() {
        // PostgreSQL's words and SQLSTATE when a standby cancels a statement holding back WAL replay
        PostgresException conflict = new PostgresException(Reason.BACKUP_FAILED, "pg_backup_start failed on h",
                new SQLException("ERROR: canceling statement due to conflict with recovery", "40001"));
        PostgresException hinted = PostgresServer.withRecoveryConflictHint(conflict);
        assertTrue(hinted.getMessage().startsWith("pg_backup_start failed on h: the standby cancelled it to replay"),
                hinted.getMessage());
        assertTrue(hinted.getMessage().contains("--immediate-checkpoint") && hinted.getMessage().contains(
                "hot_standby_feedback = on"), hinted.getMessage());
        assertEquals(Reason.BACKUP_FAILED, hinted.reason());
        // as pgjdbc words it: PostgreSQL's Detail on a second line, which a failure's line leaves out
        PostgresException detailed = new PostgresException(Reason.BACKUP_FAILED, "pg_backup_start failed on h: ERROR:"
                + " canceling statement due to conflict with recovery\n  Detail: User query might have needed to see"
                + " row versions that must be removed.",
                new SQLException("ERROR: canceling statement due to conflict with recovery", "40001"));
        String firstLine = PostgresServer.withRecoveryConflictHint(detailed).getMessage().lines().findFirst().orElseThrow();
        assertTrue(firstLine.contains("conflict with recovery: the standby cancelled it to replay")
                && firstLine.contains("--immediate-checkpoint"), firstLine);
        // another serialization failure, or another error, is left as it was
        PostgresException other = new PostgresException(Reason.BACKUP_FAILED, "x",
                new SQLException("ERROR: could not serialize access", "40001"));
        assertEquals(other, PostgresServer.withRecoveryConflictHint(other));
    }

    @Test
    void factsDescribeTheRunningCluster() throws Exception {
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            ServerFacts facts = server.facts();

            assertEquals(15, facts.majorVersion());
            assertEquals(cluster.queryLong("SHOW server_version_num"), facts.versionNum());
            assertEquals(cluster.dataDir().toRealPath(), facts.dataDirectory().toRealPath());
            assertEquals(SIXTEEN_MIB, facts.walSegmentSize());
            assertEquals(facts.dataDirectory().resolve("postgresql.conf"), facts.configFile());
            assertEquals(facts.dataDirectory().resolve("pg_hba.conf"), facts.hbaFile());
            assertEquals(facts.dataDirectory().resolve("pg_ident.conf"), facts.identFile());
            assertEquals(cluster.queryString("SELECT system_identifier FROM pg_control_system()"),
                    facts.systemIdentifier());
            assertFalse(facts.inRecovery());
            assertEquals("replica", facts.walLevel());
            assertTrue(facts.dataChecksums());
            assertEquals(List.of(), facts.tablespaces());
            assertTrue(server.rights().superuser());
            assertTrue(server.rights().mayRunBackups());
            assertEquals("cumulus_backup", cluster.queryString(
                    "SELECT application_name FROM pg_stat_activity WHERE pid = " + server.backendPid()));
        }
    }

    /**
     * barman's included_files: the files settings in effect come from, postgresql.conf aside, in the
     * server's order; of those, the include outside the data directory is what no archive holds.
     */
    @Test
    void includedFilesAreTheSourcesOfSettingsBesidesPostgresqlConf() throws Exception {
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            assertEquals(List.of(), server.facts().includedFiles(), "initdb's postgresql.auto.conf sets nothing");
        }
        Path conf = cluster.dataDir().resolve("postgresql.conf");
        String original = Files.readString(conf);
        Path extra = Files.writeString(cluster.baseDir().resolve("extra.conf"), "work_mem = '7MB'\n");
        try {
            cluster.appendSettings(Map.of("include", extra.toString()));
            cluster.execute("ALTER SYSTEM SET maintenance_work_mem = '77MB'");
            cluster.reload();
            awaitSetting("maintenance_work_mem", "77MB");
            try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
                ServerFacts facts = server.facts();

                assertEquals(List.of(facts.dataDirectory().resolve("postgresql.auto.conf").toString(),
                        extra.toString()), facts.includedFiles());
                assertEquals(List.of(extra), new PgDataWalker(facts).includedFilesOutside());
            }
        } finally {
            Files.writeString(conf, original);
            cluster.execute("ALTER SYSTEM RESET maintenance_work_mem");
            cluster.reload();
            awaitSetting("maintenance_work_mem", "64MB");
            Files.delete(extra);
        }
    }

    /** Waits for a reload (a signal the postmaster handles in its own time) to show in new sessions. */
    private static void awaitSetting(String name, String value) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!value.equals(cluster.queryString("SHOW " + name)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(value, cluster.queryString("SHOW " + name));
    }

    @Test
    void backupStartAndStopRoundTripReturnsTheLabelWithTheStartWalLocation() throws Exception {
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            BackupSession backup = server.startBackup("cumulus round trip", true);
            BackupStart start = backup.start();
            cluster.execute("CREATE TABLE round_trip AS SELECT generate_series(1, 1000) AS n");

            BackupStop stop = backup.stop(BackupSession.restorePointName("20260101T000000"));

            assertEquals(1, start.timeline());
            assertEquals(1, stop.timeline());
            assertTrue(stop.lsn().compareTo(start.lsn()) > 0, start.lsn() + " then " + stop.lsn());
            assertTrue(stop.backupLabel().startsWith("START WAL LOCATION: " + start.lsn() + " (file "
                    + start.walSegment(SIXTEEN_MIB) + ")\n"), stop.backupLabel());
            assertTrue(stop.backupLabel().contains("\nLABEL: cumulus round trip\n"), stop.backupLabel());
            assertTrue(stop.backupLabel().contains("\nBACKUP FROM: primary\n"), stop.backupLabel());
            assertFalse(stop.time().isBefore(start.time()));
            assertFalse(backup.isActive());
            assertTrue(stop.notices().stream().anyMatch(n -> n.contains("WAL archiving is not enabled")),
                    stop.notices().toString());
            assertFalse(stop.notices().stream().anyMatch(n -> n.contains("pg_switch_wal")
                    || n.contains("pg_create_restore_point")), stop.notices().toString());
            // pg_switch_wal() ran: WAL is written past the end of the stop location's segment
            Lsn current = Lsn.parse(cluster.queryString("SELECT pg_current_wal_lsn()"));
            long nextSegmentStart = (stop.lsn().value() / SIXTEEN_MIB + 1) * SIXTEEN_MIB;
            assertTrue(current.value() >= nextSegmentStart, stop.lsn() + " then " + current);
            assertThrows(IllegalStateException.class, () -> backup.stop(null));
        }
    }

    /**
     * The tablespaces a backup copies are read on its session once pg_backup_start returned, and the stop
     * answers PostgreSQL's own list (tablespace_map), a path's backslash escaped, to check them against.
     */
    @Test
    void tablespacesReadOnceTheBackupStartedMatchTheStopsTablespaceMap() throws Exception {
        Path location = Files.createDirectory(cluster.baseDir().resolve("map ts\\1"));
        PostgresUser.chown(location);
        cluster.execute("CREATE TABLESPACE map_ts LOCATION '" + location + "'");
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            long oid = cluster.queryLong("SELECT oid FROM pg_tablespace WHERE spcname = 'map_ts'");
            BackupSession backup = server.startBackup("map", true);

            List<Tablespace> listed = server.tablespaces();
            BackupStop stop = backup.stop(null);

            assertEquals(List.of(new Tablespace("map_ts", oid, location.toString())), listed);
            assertEquals(oid + " " + location.toString().replace("\\", "\\\\") + "\n", stop.tablespaceMap());
            assertEquals(Set.of(oid), TablespaceMap.parse(stop.tablespaceMap()).oids());
            assertTrue(TablespaceMap.parse(stop.tablespaceMap()).coveredBy(listed));
        } finally {
            cluster.execute("DROP TABLESPACE map_ts");
        }
    }

    /**
     * An in-place tablespace (allow_in_place_tablespaces; its location pg_tblspc/OID, relative) is a directory
     * of the data directory, which data.tar holds: it is no tablespace of its own to archive (read against the
     * tool's working directory, its archive came out empty and data.tar left it out: the rows were lost).
     */
    @Test
    void anInPlaceTablespaceIsPartOfTheDataDirectory() throws Exception {
        cluster.execute("ALTER SYSTEM SET allow_in_place_tablespaces = on");
        cluster.execute("SELECT pg_reload_conf()");
        try {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                try {
                    cluster.execute("CREATE TABLESPACE in_place LOCATION ''");
                    break;
                } catch (IllegalStateException notYetReloaded) {
                    if (System.nanoTime() > deadline) {
                        throw notYetReloaded;
                    }
                    Thread.sleep(100);
                }
            }
            try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
                assertEquals(List.of(), server.tablespaces());
                assertEquals(List.of(), server.facts().tablespaces());
            } finally {
                cluster.execute("DROP TABLESPACE in_place");
            }
        } finally {
            cluster.execute("ALTER SYSTEM RESET allow_in_place_tablespaces");
            cluster.execute("SELECT pg_reload_conf()");
        }
    }

    @Test
    void secondBackupOnTheSameSessionIsRefusedWhileOneRuns() throws Exception {
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            BackupSession backup = server.startBackup("first", true);

            assertThrows(IllegalStateException.class, () -> server.startBackup("second", true));
            backup.stop(null);
        }
    }

    @Test
    void nonSuperuserWithoutBackupRightsGetsThePrivilegesFailure() throws Exception {
        try (PostgresServer server = connect("plain")) {
            BackupRights rights = server.rights();
            assertFalse(rights.mayRunBackups());
            assertEquals("plain", rights.user());

            PostgresException check = assertThrows(PostgresException.class, server::checkBackupPossible);
            PostgresException start = assertThrows(PostgresException.class, () -> server.startBackup("x", true));
            PostgresException facts = assertThrows(PostgresException.class, server::facts);

            assertEquals(Reason.PRIVILEGES, check.reason());
            assertTrue(check.getMessage().contains("user plain may not run backups"), check.getMessage());
            assertTrue(check.getMessage().contains("pg_backup_start"), check.getMessage());
            assertTrue(check.getMessage().contains("pg_monitor"), check.getMessage());
            assertEquals(Reason.PRIVILEGES, start.reason());
            assertEquals(Reason.PRIVILEGES, facts.reason());
            assertTrue(facts.getMessage().contains("pg_read_all_settings"), facts.getMessage());
        }
    }

    @Test
    void nonSuperuserWithBarmansGrantsMayReadFactsAndRunABackup() throws Exception {
        try (PostgresServer server = connect("backupuser")) {
            assertTrue(server.rights().mayRunBackups(), server.rights().missing().toString());
            assertFalse(server.rights().superuser());
            assertEquals(SIXTEEN_MIB, server.facts().walSegmentSize());

            BackupSession backup = server.startBackup("by backupuser", true);
            BackupStop stop = backup.stop(BackupSession.restorePointName("20260101T000001"));

            assertTrue(stop.backupLabel().contains("LABEL: by backupuser"), stop.backupLabel());
            assertFalse(stop.notices().stream().anyMatch(n -> n.contains("failed")), stop.notices().toString());
        }
    }

    @Test
    void anyUserReadsTheClustersTimelineWithTheArchivingStatus() throws Exception {
        try (PostgresServer server = connect("plain")) {
            ArchivingStatus status = server.archivingStatus();
            assertEquals(1, status.checkpointTimeline());
            assertEquals(1, status.timeline());
        }
    }

    @Test
    void unreachableServerAndMissingDatabaseAreConnectionFailures() {
        ConnectionSettings nothingThere = ConnectionSettings.resolve("127.0.0.1",
                Integer.toString(Ports.freeLoopbackPort()), "postgres", "postgres",
                new ClientEnvironment(Map.of(), home, "root"));
        PostgresException refused = assertThrows(PostgresException.class, () -> PostgresServer.connect(nothingThere));
        PostgresException noDatabase = assertThrows(PostgresException.class,
                () -> PostgresServer.connect(settings("postgres", "no_such_db")));

        assertEquals(Reason.CONNECTION, refused.reason());
        assertTrue(refused.getMessage().startsWith("cannot connect to PostgreSQL (host=127.0.0.1"),
                refused.getMessage());
        assertEquals(Reason.CONNECTION, noDatabase.reason());
        assertTrue(noDatabase.getMessage().contains("\"no_such_db\" does not exist"), noDatabase.getMessage());
    }

    @Test
    void wrongPasswordIsAnAuthenticationFailureThatDoesNotRepeatIt() {
        ConnectionSettings wrong = ConnectionSettings.resolve(null, null, null, "host=127.0.0.1 port=" + cluster.port()
                + " user=pwuser dbname=postgres password=Wr0ngSecret", new ClientEnvironment(Map.of(), home, "root"));

        PostgresException failure = assertThrows(PostgresException.class, () -> PostgresServer.connect(wrong));

        assertEquals(Reason.AUTHENTICATION, failure.reason());
        assertFalse(failure.getMessage().contains("Wr0ngSecret"), failure.getMessage());
        assertTrue(failure.getMessage().contains("pwuser"), failure.getMessage());
    }

    @Test
    void missingPasswordIsAnAuthenticationFailureEvenWherePgjdbcWouldFindOneByItsOwnRules() throws Exception {
        // a password file libpq would ignore: pgjdbc's own lookup must not use it behind our back
        Path exposed = home.resolve("exposed.pgpass");
        Files.writeString(exposed, "*:*:*:pwuser:pa\\:ss\\\\word\n");
        Files.setPosixFilePermissions(exposed, PosixFilePermissions.fromString("rw-r--r--"));
        try (SystemProperties set = SystemProperties.set(Map.of("org.postgresql.pgpassfile", exposed.toString()))) {
            PostgresException failure = assertThrows(PostgresException.class, () -> connect("pwuser"));

            assertEquals(Reason.AUTHENTICATION, failure.reason(), failure.getMessage());
            assertTrue(failure.getMessage().contains("no password was given"), failure.getMessage());
        }
    }

    @Test
    void passwordFromPgpassAuthenticates() throws Exception {
        Path pgpass = home.resolve(".pgpass");
        Files.writeString(pgpass, "127.0.0.1:" + cluster.port() + ":*:pwuser:pa\\:ss\\\\word\n");
        Files.setPosixFilePermissions(pgpass, PosixFilePermissions.fromString("rw-------"));

        try (PostgresServer server = connect("pwuser")) {
            assertEquals("pwuser", server.rights().user());
        }
    }

    @Test
    void keepaliveQueryRunsWhileTheSessionIsIdle() throws Exception {
        try (PostgresServer server = PostgresServer.connect(settings(PgCluster.SUPERUSER, "postgres"),
                Duration.ofMillis(200))) {
            BackupSession backup = server.startBackup("keepalive", true);
            Thread.sleep(1000);

            String lastQuery = cluster.queryString("SELECT query FROM pg_stat_activity WHERE pid = "
                    + server.backendPid());

            assertEquals(GuardedConnection.KEEPALIVE_QUERY, lastQuery);
            backup.checkAlive();
            backup.stop(null);
        }
    }

    @Test
    void sessionSurvivesTheRolesIdleSessionTimeout() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", "idler");
        try (Connection unprotected = DriverManager.getConnection(cluster.jdbcUrl(), properties);
                PostgresServer server = PostgresServer.connect(settings("idler", "postgres"), Duration.ZERO)) {
            Thread.sleep(2500);

            assertThrows(SQLException.class, () -> {
                try (Statement statement = unprotected.createStatement()) {
                    statement.execute("SELECT 1");
                }
            });
            assertTrue(server.rights().superuser());
        }
    }

    @Test
    void sessionKilledDuringTheCopyIsReportedAsLost() throws Exception {
        try (PostgresServer server = connect(PgCluster.SUPERUSER)) {
            BackupSession backup = server.startBackup("killed", true);
            cluster.execute("SELECT pg_terminate_backend(" + server.backendPid() + ")");

            PostgresException failure = assertThrows(PostgresException.class, () -> backup.stop(null));

            assertEquals(Reason.SESSION_LOST, failure.reason());
        }
    }

    @Test
    void keepaliveNoticesABrokenIdleSessionBeforeTheStop() throws Exception {
        try (PostgresServer server = PostgresServer.connect(settings(PgCluster.SUPERUSER, "postgres"),
                Duration.ofMillis(100))) {
            BackupSession backup = server.startBackup("killed while idle", true);
            cluster.execute("SELECT pg_terminate_backend(" + server.backendPid() + ")");
            Thread.sleep(1000);

            PostgresException failure = assertThrows(PostgresException.class, backup::checkAlive);

            assertEquals(Reason.SESSION_LOST, failure.reason());
            assertTrue(failure.getMessage().contains("keepalive"), failure.getMessage());
        }
    }
}
