package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The walk over a made-up data directory that holds one of everything barman's rules name. */
class PgDataWalkerTest {

    private static final String CATALOG_DIR = "PG_15_202209061";

    @TempDir
    Path root;

    private Path pgdata;
    private Path tablespaceDir;
    private PgDataWalker walker;

    @BeforeEach
    void buildTree() throws IOException, InterruptedException {
        pgdata = Files.createDirectories(root.resolve("data"));
        tablespaceDir = Files.createDirectories(root.resolve("ts1"));
        Path etc = Files.createDirectories(root.resolve("etc"));
        for (String file : List.of("PG_VERSION", "backup_label.old", "current_logfiles.tmp", "pg_ident.conf",
                "postgresql.auto.conf", "postgresql.auto.conf.tmp", "postgresql.conf", "postmaster.opts",
                "postmaster.pid", "recovery.conf", "recovery.signal", "standby.signal", "tablespace_map",
                "base/1/112", "base/1/16384", "base/1/pg_internal.init", "base/1/t3_16384", "base/1/t3_16384_fsm",
                "base/1/t3_16384.1", "base/pgsql_tmp/pgsql_tmp123.0", "base/pgsql_tmp/pgsql_tmp1.0.fileset/i1of2.p0.0",
                "global/1260", "global/pg_control", "global/pg_internal.init",
                "pg_wal/000000010000000000000001", "pg_wal/archive_status/000000010000000000000001.done",
                "pg_log/postgresql.log", "log/x.log", "pg_stat_tmp/global.stat", "pg_replslot/slot1/state",
                "pg_notify/0000", "pg_subtrans/0000", "pg_serial/0000", "pg_snapshots/0000-1", "pg_dynshmem/mmap.1",
                "pg_stat/pgstat.stat", "pg_logical/replorigin_checkpoint",
                "inside_ts/" + CATALOG_DIR + "/5/1")) {
            write(pgdata.resolve(file), file);
        }
        Files.createDirectories(pgdata.resolve("pg_tblspc"));
        Files.createSymbolicLink(pgdata.resolve("pg_tblspc/16384"), tablespaceDir);
        Files.createSymbolicLink(pgdata.resolve("pg_tblspc/16390"), pgdata.resolve("inside_ts"));
        Files.createSymbolicLink(pgdata.resolve("link_to_version"), Path.of("PG_VERSION"));
        Files.createSymbolicLink(pgdata.resolve("pg_wal_link"), pgdata.resolve("pg_wal"));
        new ProcessBuilder("mkfifo", pgdata.resolve("a_fifo").toString()).start().waitFor();
        for (String file : List.of(CATALOG_DIR + "/5/16385", CATALOG_DIR + "/5/t4_99", CATALOG_DIR + "/pgsql_tmp/x",
                "PG_14_201909212/5/1", "stray.txt", "lost+found/y")) {
            write(tablespaceDir.resolve(file), file);
        }
        write(etc.resolve("pg_hba.conf"), "host all all 127.0.0.1/32 trust\n");
        ServerFacts facts = new ServerFacts(150018, "15.18", "7710490106817857947", pgdata, 16L << 20,
                pgdata.resolve("postgresql.conf"), etc.resolve("pg_hba.conf"), etc.resolve("pg_ident.conf"), List.of(),
                List.of(new Tablespace("ts1", 16384, tablespaceDir.toString()),
                        new Tablespace("inside", 16390, pgdata.resolve("inside_ts").toString())),
                false, "replica", true);
        walker = new PgDataWalker(facts);
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static List<String> names(List<PgDataEntry> entries) {
        return entries.stream().map(PgDataEntry::name).toList();
    }

    @Test
    void dataArchiveHoldsBarmansSelectionInWalkOrderWithPgControlAndExternalConfigLast() {
        List<String> names = names(walker.dataDirectory().toList());

        assertEquals(List.of(
                "./", "./PG_VERSION", "./backup_label.old", "./link_to_version", "./pg_ident.conf",
                "./postgresql.auto.conf", "./postgresql.conf", "./recovery.signal",
                "base/", "base/1/", "base/1/112", "base/1/16384",
                "global/", "global/1260",
                "log/", "pg_dynshmem/", "pg_log/", "pg_logical/", "pg_logical/replorigin_checkpoint",
                "pg_notify/", "pg_replslot/", "pg_serial/", "pg_snapshots/", "pg_stat/", "pg_stat/pgstat.stat",
                "pg_stat_tmp/", "pg_subtrans/", "pg_tblspc/", "pg_wal/",
                "global/pg_control", "pg_hba.conf"), names);
    }

    @Test
    void configFileOutsideTheDataDirectoryReplacesTheDataDirectoryCopyOfItsName() throws IOException {
        Path etc = root.resolve("etc");
        write(etc.resolve("postgresql.conf"), "listen_addresses = '*'\n");
        write(etc.resolve("pg_ident.conf"), "map1 alice bob\n");
        ServerFacts configOutside = new ServerFacts(150018, "15.18", "1", pgdata, 16L << 20,
                etc.resolve("postgresql.conf"), etc.resolve("pg_hba.conf"), etc.resolve("pg_ident.conf"), List.of(),
                List.of(), false, "replica", true);

        List<PgDataEntry> entries = new PgDataWalker(configOutside).dataDirectory().toList();

        List<PgDataEntry> configs = entries.stream().filter(e -> e.relativePath().equals("postgresql.conf")).toList();
        assertEquals(1, configs.size(), names(entries).toString());
        assertEquals("postgresql.conf", configs.get(0).name());
        assertEquals(etc.resolve("postgresql.conf"), configs.get(0).source());
        assertEquals(Files.size(etc.resolve("postgresql.conf")), configs.get(0).size());
        assertEquals(1, entries.stream().filter(e -> e.relativePath().equals("pg_ident.conf")).count());
        assertFalse(names(entries).contains("./postgresql.conf"), names(entries).toString());
        assertEquals(List.of("global/pg_control", "postgresql.conf", "pg_hba.conf", "pg_ident.conf"),
                names(entries).subList(entries.size() - 4, entries.size()));
    }

    @Test
    void tablespaceArchiveHoldsOnlyTheCurrentCatalogDirectoryRelativeToTheLocation() {
        List<PgDataEntry> entries = walker.tablespace(new Tablespace("ts1", 16384, tablespaceDir.toString())).toList();

        assertEquals(List.of(CATALOG_DIR + "/", CATALOG_DIR + "/5/", CATALOG_DIR + "/5/16385"), names(entries));
        assertEquals("pg_tblspc/16384/" + CATALOG_DIR + "/5/16385", entries.get(2).relativePath());
    }

    @Test
    void entriesCarryKindSizeModeOwnerAndRestoredPath() throws IOException {
        Map<String, PgDataEntry> byName = walker.dataDirectory()
                .collect(Collectors.toMap(PgDataEntry::name, Function.identity()));

        PgDataEntry version = byName.get("./PG_VERSION");
        assertEquals(PgDataEntry.Kind.FILE, version.kind());
        assertEquals("PG_VERSION", version.relativePath());
        assertEquals(Files.size(pgdata.resolve("PG_VERSION")), version.size());
        assertEquals(Files.getLastModifiedTime(pgdata.resolve("PG_VERSION")), version.modified());
        assertEquals((int) Files.getAttribute(pgdata.resolve("PG_VERSION"), "unix:uid"), version.uid());
        assertEquals(Files.getOwner(pgdata.resolve("PG_VERSION")).getName(), version.userName());
        PgDataEntry link = byName.get("./link_to_version");
        assertEquals(PgDataEntry.Kind.SYMLINK, link.kind());
        assertEquals("PG_VERSION", link.linkTarget());
        assertEquals(0, link.size());
        PgDataEntry base = byName.get("base/1/");
        assertEquals(PgDataEntry.Kind.DIRECTORY, base.kind());
        assertEquals("base/1", base.relativePath());
        assertEquals(".", byName.get("./").relativePath());
        assertEquals("global/pg_control", byName.get("global/pg_control").relativePath());
        assertEquals("pg_hba.conf", byName.get("pg_hba.conf").relativePath());
    }

    @Test
    void entriesThatVanishBeforeTheirTurnAreSkipped() throws IOException {
        Iterator<PgDataEntry> walk = walker.dataDirectory().iterator();
        assertEquals("./", walk.next().name());

        Files.delete(pgdata.resolve("PG_VERSION"));
        Files.delete(pgdata.resolve("pg_stat/pgstat.stat"));
        Files.delete(pgdata.resolve("pg_stat"));
        List<String> rest = new java.util.ArrayList<>();
        walk.forEachRemaining(entry -> rest.add(entry.name()));

        assertEquals("./backup_label.old", rest.get(0));
        assertFalse(rest.contains("pg_stat/"), rest.toString());
        assertTrue(rest.contains("pg_stat_tmp/"), rest.toString());
    }

    @Test
    void dataDirectoryGivenAsASymbolicLinkIsFollowed() throws IOException {
        Path link = Files.createSymbolicLink(root.resolve("data-link"), pgdata);
        ServerFacts viaLink = new ServerFacts(150018, "15.18", "1", link, 16L << 20, link.resolve("postgresql.conf"),
                link.resolve("pg_hba.conf"), link.resolve("pg_ident.conf"), List.of(), List.of(), false, "replica",
                true);
        write(pgdata.resolve("pg_hba.conf"), "local all all trust\n");

        List<String> names = names(new PgDataWalker(viaLink).dataDirectory().toList());

        assertEquals("./", names.get(0));
        assertTrue(names.contains("base/1/112"), names.toString());
        assertEquals("global/pg_control", names.get(names.size() - 1));
    }

    /**
     * PostgreSQL's base backup leaves a leftover backup_label and tablespace_map at the data
     * directory's root out; so does the walk (barman-cloud-backup 3.4 copies them): the backup
     * writes its own backup_label, and a stale tablespace_map would re-create stale tablespace links.
     * Files of those names deeper down are a DBA's and are kept.
     */
    @Test
    void leftoverBackupLabelAndTablespaceMapAtTheRootAreLeftOut() throws IOException {
        write(pgdata.resolve("backup_label"), "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n");
        write(pgdata.resolve("stray/backup_label"), "kept\n");
        write(pgdata.resolve("stray/tablespace_map"), "kept\n");

        List<PgDataEntry> entries = walker.dataDirectory().toList();

        List<String> paths = entries.stream().map(PgDataEntry::relativePath).toList();
        assertFalse(paths.contains("backup_label"), paths.toString());
        assertFalse(paths.contains("tablespace_map"), paths.toString());
        assertTrue(paths.contains("backup_label.old"), paths.toString());
        assertTrue(paths.containsAll(List.of("stray/backup_label", "stray/tablespace_map")), paths.toString());
    }

    /**
     * A configuration file reached through a symbolic link below the data directory (a linked
     * {@code conf.d}, a linked postgresql.conf, a link to a directory elsewhere in the data
     * directory) is not stored, the link at most, and is named with that link; so is a configuration
     * file outside the data directory that is itself a link. Links above the data directory (the
     * data directory given through one) are followed, as the walk follows them.
     */
    @Test
    void configFilesReachedThroughSymbolicLinksAreNamedWithTheirLink() throws IOException {
        Path etc = root.resolve("etc");
        write(root.resolve("etc2/conf.d/10-work.conf"), "work_mem = '7MB'\n");
        Path confD = Files.createSymbolicLink(pgdata.resolve("conf.d"), root.resolve("etc2/conf.d"));
        write(pgdata.resolve("real.d/20-inside.conf"), "maintenance_work_mem = '77MB'\n");
        Path innerD = Files.createSymbolicLink(pgdata.resolve("inner.d"), Path.of("real.d"));
        write(etc.resolve("postgresql.conf"), "include_dir = 'conf.d'\n");
        Path config = pgdata.resolve("postgresql.conf");
        Files.delete(config);
        Files.createSymbolicLink(config, etc.resolve("postgresql.conf"));
        write(etc.resolve("ident/pg_ident.conf"), "map1 alice bob\n");
        Path ident = Files.createSymbolicLink(etc.resolve("pg_ident.conf"), etc.resolve("ident/pg_ident.conf"));
        write(etc.resolve("extra.conf"), "shared_buffers = '1GB'\n");
        List<String> included = List.of(pgdata.resolve("postgresql.auto.conf").toString(),
                confD.resolve("10-work.conf").toString(), innerD.resolve("20-inside.conf").toString(),
                etc.resolve("extra.conf").toString());
        ServerFacts facts = new ServerFacts(150018, "15.18", "1", pgdata, 16L << 20, config,
                etc.resolve("pg_hba.conf"), ident, included, List.of(), false, "replica", true);
        PgDataWalker linked = new PgDataWalker(facts);

        Map<Path, Path> expected = new java.util.LinkedHashMap<>();
        expected.put(config, config);
        expected.put(ident, ident);
        expected.put(confD.resolve("10-work.conf"), confD);
        expected.put(innerD.resolve("20-inside.conf"), innerD);
        assertEquals(expected, linked.configFilesBehindLinks());
        assertEquals(List.of(etc.resolve("extra.conf")), linked.includedFilesOutside());
        Map<String, PgDataEntry> byName = linked.dataDirectory()
                .collect(Collectors.toMap(PgDataEntry::name, Function.identity()));
        assertEquals(PgDataEntry.Kind.SYMLINK, byName.get("./postgresql.conf").kind());
        assertEquals(PgDataEntry.Kind.SYMLINK, byName.get("pg_ident.conf").kind());
        assertFalse(byName.keySet().stream().anyMatch(name -> name.startsWith("conf.d") || name.startsWith("inner.d")),
                byName.keySet().toString());

        Path dataLink = Files.createSymbolicLink(root.resolve("data-link"), pgdata);
        write(pgdata.resolve("pg_hba.conf"), "local all all trust\n");
        ServerFacts throughDataLink = new ServerFacts(150018, "15.18", "1", dataLink, 16L << 20,
                dataLink.resolve("postgresql.auto.conf"), dataLink.resolve("pg_hba.conf"),
                dataLink.resolve("pg_ident.conf"),
                List.of(dataLink.resolve("conf.d/10-work.conf").toString(),
                        dataLink.resolve("real.d/20-inside.conf").toString()),
                List.of(), false, "replica", true);
        assertEquals(Map.of(dataLink.resolve("conf.d/10-work.conf"), dataLink.resolve("conf.d")),
                new PgDataWalker(throughDataLink).configFilesBehindLinks());
        assertEquals(List.of(), new PgDataWalker(throughDataLink).includedFilesOutside());
    }

    /**
     * barman-cloud-backup warns of every included file not under the data directory; Cumulus does
     * the same by real path, so a file reached through a link into the data directory is inside, and
     * a sibling directory whose name merely starts like the data directory's is not.
     */
    @Test
    void includedFilesOutsideTheDataDirectoryAreTheOnesNoArchiveHolds() throws IOException {
        Path link = Files.createSymbolicLink(root.resolve("data-link"), pgdata);
        Path sibling = Files.createDirectories(root.resolve("data2"));
        write(pgdata.resolve("conf.d/a.conf"), "work_mem = '8MB'\n");
        List<String> included = List.of(pgdata.resolve("postgresql.auto.conf").toString(),
                root.resolve("etc/extra.conf").toString(), link.resolve("conf.d/a.conf").toString(),
                sibling.resolve("b.conf").toString(), pgdata.resolve("../etc/up.conf").toString());
        ServerFacts facts = new ServerFacts(150018, "15.18", "1", pgdata, 16L << 20, pgdata.resolve("postgresql.conf"),
                pgdata.resolve("pg_hba.conf"), pgdata.resolve("pg_ident.conf"), included, List.of(), false, "replica",
                true);

        assertEquals(List.of(root.resolve("etc/extra.conf"), sibling.resolve("b.conf"),
                pgdata.resolve("../etc/up.conf")), new PgDataWalker(facts).includedFilesOutside());
        assertEquals(included, facts.sourceFacts().includedFiles());
    }
    /**
     * A tar member's name is text: a name whose bytes are not UTF-8 is stored with U+FFFD for them, and said;
     * two that read the same would be two members of one path (one file on restore, a manifest
     * pg_verifybackup refuses), so the second is left out, and said.
     */
    @Test
    void fileNamesThatAreNotUtf8AreStoredReadableOnceEachAndWarnedOf() throws IOException, InterruptedException {
        Path stray = Files.createDirectories(pgdata.resolve("stray"));
        Process made = new ProcessBuilder("sh", "-c", "printf one > \"$(printf 'dup\\376')\"; printf two > \"$(printf"
                + " 'dup\\377')\"; printf three > \"$(printf 'bad\\377name')\"; printf ok > plain")
                .directory(stray.toFile()).inheritIO().start();
        assertEquals(0, made.waitFor());
        List<String> warnings = new java.util.ArrayList<>();
        ServerFacts facts = new ServerFacts(150018, "15.18", "1", pgdata, 16L << 20, pgdata.resolve("postgresql.conf"),
                pgdata.resolve("pg_hba.conf"), pgdata.resolve("pg_ident.conf"), List.of(), List.of(), false, "replica",
                true);

        List<String> names = names(new PgDataWalker(facts, warnings::add).dataDirectory()
                .filter(e -> e.name().startsWith("stray/")).toList());

        assertEquals(List.of("stray/", "stray/bad\uFFFDname", "stray/dup\uFFFD", "stray/plain"), names);
        assertEquals(3, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("file name " + stray.toUri().getRawPath()
                + "bad%FFname is not valid UTF-8: stored as " + stray.resolve("bad\uFFFDname"))), warnings.toString());
        assertEquals(1, warnings.stream().filter(w -> w.contains("as another file's there does: left out")).count(),
                warnings.toString());
    }
}
