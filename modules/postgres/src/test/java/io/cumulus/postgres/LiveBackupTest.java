package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.Tablespace;
import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The building blocks together on a running PostgreSQL 15 with a tablespace, a replication slot,
 * a temporary table and junk files: what the walk keeps and drops, and a whole backup streamed the
 * way cumulus-backup will stream it, read back by Python, verified by pg_verifybackup and started.
 */
class LiveBackupTest {

    private static final long SIXTEEN_MIB = 16L << 20;

    private static PgCluster cluster;
    private static Connection tempTableHolder;
    private static String tempRelation;
    private static String tempRelationInTablespace;

    @TempDir
    Path work;

    @BeforeAll
    static void startClusterWithOneOfEverything() throws Exception {
        cluster = PgCluster.start(Map.of());
        Path tablespace = cluster.baseDir().resolve("ts1");
        Files.createDirectory(tablespace);
        PostgresUser.chown(tablespace);
        cluster.execute("CREATE TABLESPACE ts1 LOCATION '" + tablespace + "'");
        cluster.execute("CREATE TABLE in_ts TABLESPACE ts1 AS SELECT g AS n FROM generate_series(1, 5000) g");
        cluster.execute("CREATE TABLE in_base AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 20000) g");
        cluster.execute("SELECT pg_create_physical_replication_slot('slot1', true)");
        Path data = cluster.dataDir();
        for (String junk : List.of("pg_log/old.log", "postgresql.auto.conf.tmp", "current_logfiles.tmp",
                "base/pgsql_tmp/pgsql_tmp999.0")) {
            Path file = data.resolve(junk);
            if (!Files.exists(file.getParent())) {
                Files.createDirectories(file.getParent());
                PostgresUser.chown(file.getParent());
            }
            Files.writeString(file, "junk");
            PostgresUser.chown(file);
        }
        tempTableHolder = cluster.connect();
        try (Statement statement = tempTableHolder.createStatement()) {
            statement.execute("CREATE TEMP TABLE tmp_rel AS SELECT generate_series(1, 100) AS n");
            statement.execute("CREATE TEMP TABLE tmp_rel_ts TABLESPACE ts1 AS SELECT generate_series(1, 100) AS n");
            tempRelation = firstString(statement, "SELECT pg_relation_filepath('tmp_rel')");
            tempRelationInTablespace = firstString(statement, "SELECT pg_relation_filepath('tmp_rel_ts')");
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (tempTableHolder != null) {
            tempTableHolder.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String firstString(Statement statement, String sql) throws Exception {
        try (ResultSet row = statement.executeQuery(sql)) {
            row.next();
            return row.getString(1);
        }
    }

    private PostgresServer connect() throws PostgresException {
        return PostgresServer.connect(TestSettings.forCluster(cluster, PgCluster.SUPERUSER, "postgres", work));
    }

    private static List<String> names(Stream<PgDataEntry> entries) {
        return entries.map(PgDataEntry::name).toList();
    }

    @Test
    void walkOfALiveDataDirectoryKeepsAndDropsWhatBarmanDoesWithPgControlLast() throws Exception {
        ServerFacts facts;
        try (PostgresServer server = connect()) {
            facts = server.facts();
        }
        Path data = facts.dataDirectory();
        Tablespace tablespace = facts.tablespaces().get(0);
        PgDataWalker walker = new PgDataWalker(facts);
        String relation = cluster.queryString("SELECT pg_relation_filepath('in_base')");
        String tablespacePrefix = "pg_tblspc/" + tablespace.oid() + "/";
        String relationInTablespace = cluster.queryString("SELECT pg_relation_filepath('in_ts')")
                .substring(tablespacePrefix.length());
        assertTrue(Files.exists(data.resolve(tempRelation)), tempRelation);
        assertTrue(Files.exists(data.resolve("global/pg_internal.init")));
        assertTrue(Files.exists(data.resolve("pg_replslot/slot1/state")));
        assertTrue(Files.exists(data.resolve("postmaster.pid")));

        List<String> dataNames = names(walker.dataDirectory());
        List<String> tablespaceNames = names(walker.tablespace(tablespace));

        for (String kept : List.of("./", "./PG_VERSION", "./postgresql.conf", "./postgresql.auto.conf",
                "./pg_hba.conf", "./pg_ident.conf", "base/", "global/", relation, "pg_wal/", "pg_log/",
                "pg_replslot/", "pg_stat_tmp/", "pg_tblspc/", "pg_subtrans/", "pg_notify/", "pg_serial/",
                "pg_snapshots/", "pg_dynshmem/", "pg_xact/", "pg_xact/0000", "global/pg_control")) {
            assertTrue(dataNames.contains(kept), kept + " missing from " + dataNames);
        }
        for (String dropped : List.of("./postmaster.pid", "./postmaster.opts", "./postgresql.auto.conf.tmp",
                "./current_logfiles.tmp", "pg_log/old.log", "pg_replslot/slot1/", "pg_wal/archive_status/",
                tempRelation, "base/pgsql_tmp/")) {
            assertFalse(dataNames.contains(dropped), dropped + " should not be in the data archive");
        }
        for (String name : dataNames) {
            assertFalse(name.startsWith("pg_wal/") && !name.equals("pg_wal/"), name);
            assertFalse(name.startsWith("pg_tblspc/") && !name.equals("pg_tblspc/"), name);
            assertFalse(name.endsWith("pg_internal.init"), name);
            assertFalse(name.contains("pgsql_tmp"), name);
        }
        assertEquals("global/pg_control", dataNames.get(dataNames.size() - 1));
        assertEquals(1, dataNames.stream().filter("global/pg_control"::equals).count());

        assertTrue(tablespaceNames.get(0).matches("PG_15_\\d+/"), tablespaceNames.toString());
        assertTrue(tablespaceNames.stream().allMatch(name -> name.startsWith(tablespaceNames.get(0))));
        assertTrue(tablespaceNames.contains(relationInTablespace), relationInTablespace + " in " + tablespaceNames);
        assertFalse(tablespaceNames.contains(tempRelationInTablespace.substring(tablespacePrefix.length())),
                tempRelationInTablespace);
    }

    @Test
    void backupStreamedWithTheseBuildingBlocksIsReadByPythonVerifiedByPgVerifybackupAndStarts() throws Exception {
        Path archives = Files.createDirectories(work.resolve("archives"));
        Map<String, List<String>> written = new LinkedHashMap<>();
        BackupManifestWriter manifest = new BackupManifestWriter();
        ServerFacts facts;
        BackupStart start;
        BackupStop stop;
        try (PostgresServer server = connect()) {
            facts = server.facts();
            BackupSession backup = server.startBackup("cumulus live test", true);
            start = backup.start();
            cluster.execute("INSERT INTO in_base SELECT g, 'during' FROM generate_series(20001, 21000) g");
            PgDataWalker walker = new PgDataWalker(facts);
            for (Tablespace tablespace : facts.tablespaces()) {
                String name = tablespace.oid() + ".tar";
                try (TarStreamWriter tar = new TarStreamWriter(Files.newOutputStream(archives.resolve(name)),
                        ChecksumAlgorithm.CRC32C)) {
                    written.put(name, copy(walker.tablespace(tablespace), tar, manifest));
                }
            }
            try (TarStreamWriter tar = new TarStreamWriter(Files.newOutputStream(archives.resolve("data.tar")),
                    ChecksumAlgorithm.CRC32C)) {
                List<String> names = copy(walker.dataDirectory(), tar, manifest);
                backup.checkAlive();
                stop = backup.stop(BackupSession.restorePointName("20260101T000000"));
                manifest.addFile(tar.writeBackupLabel(stop.backupLabel(), walker.dataDirectoryRoot(),
                        stop.time().toInstant()));
                names.add("backup_label");
                written.put("data.tar", names);
            }
        }
        byte[] manifestBytes = manifest.finish(List.of(new WalRange(stop.timeline(), start.lsn(), stop.lsn())))
                .toByteArray();

        for (Map.Entry<String, List<String>> archive : written.entrySet()) {
            List<String> read = PythonTar.list(archives.resolve(archive.getKey())).stream()
                    .map(PythonTar.Member::name).toList();
            assertEquals(archive.getValue().stream().map(LiveBackupTest::pythonName).toList(), read, archive.getKey());
        }

        Path restore = PostgresUser.createTempDir("cumulus-restore-");
        try {
            Path data = restore.resolve("data");
            PythonTar.extract(archives.resolve("data.tar"), data);
            for (Tablespace tablespace : facts.tablespaces()) {
                Path location = restore.resolve("ts" + tablespace.oid());
                PythonTar.extract(archives.resolve(tablespace.oid() + ".tar"), location);
                PostgresUser.chown(location);
                Files.createSymbolicLink(data.resolve("pg_tblspc/" + tablespace.oid()), location);
            }
            Files.write(data.resolve("backup_manifest"), manifestBytes);

            ToolResult verify = Command.of(PgCluster.PG_BIN.resolve("pg_verifybackup"), "--wal-directory",
                    cluster.dataDir().resolve("pg_wal").toString(), data.toString()).run();
            assertEquals(0, verify.exitCode(), verify.describe());
            assertTrue(verify.stdout().contains("backup successfully verified"), verify.describe());

            copyWal(start.walSegment(SIXTEEN_MIB).name(), stop.walSegment(SIXTEEN_MIB).name(), data.resolve("pg_wal"));
            try (PgCluster restored = PgCluster.builder().fromDataDirectory(data).start()) {
                assertEquals(21000, restored.queryLong("SELECT count(*) FROM in_base"));
                assertEquals(5000, restored.queryLong("SELECT count(*) FROM in_ts"));
            }
        } finally {
            PostgresUser.deleteRecursively(restore);
        }
    }

    private static List<String> copy(Stream<PgDataEntry> entries, TarStreamWriter tar, BackupManifestWriter manifest)
            throws IOException {
        List<String> names = new ArrayList<>();
        for (PgDataEntry entry : (Iterable<PgDataEntry>) entries::iterator) {
            tar.write(entry).ifPresent(manifest::addFile);
            names.add(entry.name());
        }
        return names;
    }

    /** Python's tarfile strips the trailing slash of directory names and reads "./" as ".". */
    private static String pythonName(String name) {
        return name.equals("./") ? "." : name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    /** The segments from first to last, as pg_basebackup -X fetch would put them in the copy. */
    private static void copyWal(String first, String last, Path target) throws IOException {
        try (Stream<Path> segments = Files.list(cluster.dataDir().resolve("pg_wal"))) {
            for (Path segment : (Iterable<Path>) segments::iterator) {
                String name = segment.getFileName().toString();
                if (name.length() == 24 && name.compareTo(first) >= 0 && name.compareTo(last) <= 0) {
                    Path copy = Files.copy(segment, target.resolve(name));
                    PostgresUser.chown(copy);
                }
            }
        }
    }
}
