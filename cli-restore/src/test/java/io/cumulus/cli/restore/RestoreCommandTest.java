package io.cumulus.cli.restore;

import static io.cumulus.cli.restore.InProcessRestore.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.restore.InProcessRestore.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cumulus-restore run in-process against a file:// store holding a small barman-style backup. */
class RestoreCommandTest {

    private static final String ID = "20261121T051944";

    @TempDir
    Path dir;

    private String store;

    /**
     * A backup as barman-cloud writes it: backup.info and one data.tar, pg_control and then backup_label
     * last, no manifest.
     */
    @BeforeEach
    void barmanBackup() throws IOException {
        store = "file://" + dir.resolve("store") + "/pfx";
        barmanBackup("main", "archive_command = 'somewhere'\n");
    }

    /** A backup of {@code server} whose postgresql.auto.conf holds {@code autoConf}. */
    private void barmanBackup(String server, String autoConf) throws IOException {
        InProcessRestore.barmanBackup(dir.resolve("store/pfx/" + server + "/base/" + ID), "backup_name=nightly\n"
                + "end_time=2026-11-21 05:24:05+00:00\nend_xlog=0/579E488\nstatus=DONE\ntimeline=1\nversion=150018\n",
                new String[] {"./PG_VERSION", "15\n"}, new String[] {"base/5/1259", "rows"},
                new String[] {"postgresql.auto.conf", autoConf});
    }

    @Test
    void restoresByNameAndConfiguresRecoveryThroughCumulusWalRestore() throws IOException {
        Path pgdata = dir.resolve("pgdata");

        Result result = run(store, "main", "nightly", pgdata.toString(), "--recovery-target-name",
                "barman_" + ID, "--recovery-target-action", "promote");

        assertEquals(0, result.exitCode(), result.err());
        assertEquals("rows", Files.readString(pgdata.resolve("base/5/1259")));
        assertTrue(result.out().startsWith("restored backup " + ID + " into " + pgdata + ": 5 files, "), result.out());
        assertTrue(result.out().contains("NOT verified"), result.out());
        assertTrue(result.err().contains("could not be verified"), result.err());
        assertTrue(Files.exists(pgdata.resolve("recovery.signal")));
        String conf = Files.readString(pgdata.resolve("postgresql.auto.conf"));
        assertTrue(conf.contains("restore_command = 'cumulus-wal-restore " + store + " main %f %p'\n"), conf);
        assertTrue(conf.contains("recovery_target_name = 'barman_" + ID + "'\n"), conf);
        assertTrue(conf.endsWith("archive_mode = 'off'\n# End of the block added by cumulus-restore\n"), conf);
    }

    /**
     * A backup of a cluster that was itself restored and promoted carries that recovery's settings in
     * postgresql.auto.conf: without recovery options they are named and left alone; with them, they are
     * commented out before the new block, and named.
     */
    @Test
    void anEarlierRecoverysSettingsInTheBackupAreNamedAndDisabledOnlyWhenRecoveryIsConfigured() throws IOException {
        String inherited = "restore_command = 'old %f %p'\nrecovery_target_time = '2026-11-21 05:00:00+00'\n";
        barmanBackup("promoted", inherited);

        Result plain = run(store, "promoted", ID, dir.resolve("plain").toString());

        assertEquals(0, plain.exitCode(), plain.err());
        assertTrue(plain.err().contains("WARNING: postgresql.auto.conf line 2 sets recovery_target_time ="
                + " '2026-11-21 05:00:00+00', carried over from the backed-up cluster"), plain.err());
        assertTrue(plain.err().contains("WARNING: postgresql.auto.conf line 1 sets restore_command"), plain.err());
        assertEquals(inherited, Files.readString(dir.resolve("plain/postgresql.auto.conf")));

        Result configured = run(store, "promoted", ID, dir.resolve("configured").toString(),
                "--recovery-target-timeline", "latest");

        assertEquals(0, configured.exitCode(), configured.err());
        assertTrue(configured.err().contains("WARNING: postgresql.auto.conf line 2 set recovery_target_time ="
                + " '2026-11-21 05:00:00+00', carried over from the backed-up cluster"), configured.err());
        String conf = Files.readString(dir.resolve("configured/postgresql.auto.conf"));
        assertTrue(conf.matches("(?s)# disabled by cumulus-restore [^\n]*: restore_command = 'old %f %p'\n"
                + "# disabled by cumulus-restore [^\n]*: recovery_target_time = '2026-11-21 05:00:00\\+00'\n"
                + "\n# Added by cumulus-restore.*"), conf);
    }

    /**
     * A backup of a Debian-layout cluster holds its /etc/postgresql postgresql.conf at the data directory's
     * root, with data_directory naming the old data directory: started with pg_ctl -D, PostgreSQL would run
     * that one. Named with or without recovery options, the file left as it is, exit 0.
     */
    @Test
    void aRestoredConfigurationNamingTheBackedUpHostsPathsIsWarnedOfAndLeftAsItIs() throws IOException {
        String conf = "data_directory = '/var/lib/postgresql/15/main'\nhba_file = '/etc/postgresql/15/main/pg_hba.conf'\n"
                + "include_dir = 'conf.d'\n";
        InProcessRestore.barmanBackup(dir.resolve("store/pfx/debian/base/" + ID), "config_file=/etc/postgresql/15/main"
                + "/postgresql.conf\nend_time=2026-11-21 05:24:05+00:00\nend_xlog=0/579E488\n"
                + "pgdata=/var/lib/postgresql/15/main\nstatus=DONE\ntimeline=1\nversion=150018\n",
                new String[] {"./PG_VERSION", "15\n"}, new String[] {"postgresql.conf", conf});

        for (String[] options : List.of(new String[] {}, new String[] {"--recovery-target", "immediate"})) {
            Path pgdata = dir.resolve("restored" + options.length);
            List<String> args = new java.util.ArrayList<>(List.of(options));
            args.addAll(List.of(store, "debian", ID, pgdata.toString()));

            Result result = run(args.toArray(String[]::new));

            assertEquals(0, result.exitCode(), result.err());
            assertTrue(result.err().contains("WARNING: " + pgdata.resolve("postgresql.conf") + " line 1 sets"
                    + " data_directory = '/var/lib/postgresql/15/main', a path of the backed-up host: PostgreSQL"
                    + " started on " + pgdata + " (pg_ctl -D) would run the data directory /var/lib/postgresql/15/main"
                    + " instead"), result.err());
            assertTrue(result.err().contains("line 2 sets hba_file"), result.err());
            assertTrue(result.err().contains("line 3 sets include_dir = 'conf.d'"), result.err());
            assertEquals(conf, Files.readString(pgdata.resolve("postgresql.conf")));
        }
    }

    /** As barman-cloud-restore 3.4, the snapshot options are taken and ignored for a backup without snapshots. */
    @Test
    void testOnlyChecksTheStoreAndRestoresNothingAsBarmanCloudRestore() {
        Path pgdata = dir.resolve("pgdata");

        Result reachable = run("-t", store, "main", ID, pgdata.toString());
        Result missing = run("--test", "file://" + dir.resolve("no-such-store"), "main", ID, pgdata.toString());

        assertEquals(0, reachable.exitCode(), reachable.err());
        assertFalse(Files.exists(pgdata));
        assertEquals(1, missing.exitCode(), missing.err());
        assertFalse(Files.exists(pgdata));
    }

    @Test
    void theSnapshotOptionsAreIgnoredForABackupWithoutSnapshots() throws IOException {
        Result result = run(store, "main", ID, dir.resolve("pgdata").toString(), "--snapshot-recovery-instance",
                "vm-1", "--snapshot-recovery-zone=europe-west1-b");
        assertEquals(0, result.exitCode(), result.err());
    }

    @Test
    void withoutRecoveryOptionsNothingButTheBackupIsWritten() throws IOException {
        Path pgdata = dir.resolve("pgdata");

        Result result = run(store, "main", "latest", pgdata.toString(), "-J", "1");

        assertEquals(0, result.exitCode(), result.err());
        assertFalse(Files.exists(pgdata.resolve("recovery.signal")));
        assertEquals("archive_command = 'somewhere'\n", Files.readString(pgdata.resolve("postgresql.auto.conf")));
        assertTrue(Files.isDirectory(pgdata.resolve("pg_wal")));
    }

    @Test
    void storageOptionsAreCarriedIntoTheRestoreCommand() throws IOException {
        Path pgdata = dir.resolve("pgdata");

        Result result = run("--read-timeout", "30", store, "main", ID, pgdata.toString(), "--standby");

        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.exists(pgdata.resolve("standby.signal")));
        assertTrue(Files.readString(pgdata.resolve("postgresql.auto.conf"))
                .contains("restore_command = 'cumulus-wal-restore --read-timeout=30 " + store + " main %f %p'"));
    }

    /** An endpoint's user info is a password: never written into postgresql.auto.conf (docs/restore.md). */
    @Test
    void anEndpointsUserInfoIsNotCopiedIntoTheRestoreCommand() throws IOException {
        Path pgdata = dir.resolve("pgdata");

        Result result = run("--endpoint-url", "http://minio:SE/CRET@127.0.0.1:9000", store, "main", ID,
                pgdata.toString(), "--standby");

        assertEquals(0, result.exitCode(), result.err());
        String conf = Files.readString(pgdata.resolve("postgresql.auto.conf"));
        assertTrue(conf.contains("restore_command = 'cumulus-wal-restore --endpoint-url=http://127.0.0.1:9000 " + store
                + " main %f %p'"), conf);
        assertFalse(conf.contains("SE/CRET") || conf.contains("minio"), conf);
        assertTrue(result.err().contains("--endpoint-url carries user info, which is not copied into restore_command"),
                result.err());
        assertFalse(result.err().contains("SE/CRET"), result.err());
    }

    @Test
    void autoChoosesByTargetTimeOrLsnAndATargetBeforeEveryBackupIsExitOne() throws IOException {
        Result byTime = run(store, "main", "auto", dir.resolve("a").toString(), "--recovery-target-time",
                "2026-11-21 06:00:00+00");
        assertEquals(0, byTime.exitCode(), byTime.err());
        assertTrue(Files.readString(dir.resolve("a/postgresql.auto.conf"))
                .contains("recovery_target_time = '2026-11-21 06:00:00+00:00'"));
        assertEquals(0, run(store, "main", "auto", dir.resolve("b").toString(), "--target-lsn", "0/579E488")
                .exitCode());

        Result tooEarly = run(store, "main", "auto", dir.resolve("c").toString(), "--target-time",
                "2026-11-21 05:24:04+00");
        assertEquals(1, tooEarly.exitCode(), tooEarly.err());
        assertTrue(tooEarly.err().contains("no DONE backup ended at or before"), tooEarly.err());
        assertEquals(3, run(store, "main", "auto", dir.resolve("c").toString(), "--target-lsn", "x").exitCode());
        assertFalse(Files.exists(dir.resolve("c")));
    }

    /**
     * A target before the chosen backup's end cannot be reached from it: PostgreSQL checks a time target
     * at commits only, and stopped at the first commit after the backup's end, keeping what the target
     * was to undo, both tools saying success. Refused before anything is restored, as barman recover does.
     */
    @Test
    void aTargetBeforeTheChosenBackupsEndIsExitOneBeforeAnythingIsRestored() throws IOException {
        for (String id : List.of("latest", ID, "nightly")) {
            Result early = run(store, "main", id, dir.resolve("e").toString(), "--recovery-target-time",
                    "2026-11-21 05:24:04+00");
            assertEquals(1, early.exitCode(), early.err());
            assertTrue(early.err().contains("the recovery target time 2026-11-21T05:24:04Z is before the end of backup "
                    + ID + " (2026-11-21T05:24:05Z)"), early.err());
            assertTrue(early.err().contains("give BACKUP_ID auto"), early.err());
        }
        Result byAutoTime = run(store, "main", "auto", dir.resolve("e").toString(), "--target-time",
                "2026-11-21 05:30:00+00", "--recovery-target-time", "2026-11-21 05:24:04+00");
        assertEquals(1, byAutoTime.exitCode(), byAutoTime.err());
        Result earlyLsn = run(store, "main", "latest", dir.resolve("e").toString(), "--recovery-target-lsn",
                "0/579E487");
        assertEquals(1, earlyLsn.exitCode(), earlyLsn.err());
        assertTrue(earlyLsn.err().contains("the recovery target LSN 0/579E487 is before the end of backup " + ID
                + " (0/579E488)"), earlyLsn.err());
        assertFalse(Files.exists(dir.resolve("e")));

        assertEquals(0, run(store, "main", "latest", dir.resolve("f").toString(), "--recovery-target-time",
                "2026-11-21 05:24:05+00").exitCode());
        assertEquals(0, run(store, "main", "latest", dir.resolve("g").toString(), "--recovery-target-lsn",
                "0/579E488").exitCode());
    }

    /**
     * After a failover, the old primary, restarted on timeline 1, took a backup past the point where
     * timeline 2 left it: newer than every other, and PostgreSQL, recovering to the latest timeline,
     * refuses it ("requested timeline 2 is not a child of this server's history") after the download.
     * latest passes over it, naming it; given by id with --recovery-target-timeline current, it restores.
     */
    @Test
    void latestPassesOverABackupTheRecoverysTimelineCannotStartFrom() throws IOException {
        Files.createDirectories(dir.resolve("store/pfx/main/wals"));
        Files.writeString(dir.resolve("store/pfx/main/wals/00000002.history"),
                "1\t0/6000000\tno recovery target specified\n");
        String oldPrimary = "20261122T000000";
        InProcessRestore.barmanBackup(dir.resolve("store/pfx/main/base/" + oldPrimary), "end_time=2026-11-22"
                + " 00:05:00+00:00\nend_xlog=0/7000100\nstatus=DONE\ntimeline=1\nversion=150018\n",
                new String[] {"./PG_VERSION", "15\n"}, new String[] {"base/5/1259", "old primary"});

        Result latest = run(store, "main", "latest", dir.resolve("l").toString());
        assertEquals(0, latest.exitCode(), latest.err());
        assertEquals("rows", Files.readString(dir.resolve("l/base/5/1259")));
        assertTrue(latest.err().contains("skipping backup " + oldPrimary + " for 'latest': it is a backup of timeline"
                + " 1 that the recovery cannot start from (it may start from backups on timeline 2 or, before its"
                + " history (00000002.history) leaves them, on timeline 1 up to 0/6000000)"), latest.err());

        Result explicit = run(store, "main", "latest", dir.resolve("c").toString(), "--recovery-target-timeline",
                "current");
        assertEquals(0, explicit.exitCode(), explicit.err());
        assertEquals("old primary", Files.readString(dir.resolve("c/base/5/1259")));
        assertEquals(0, run(store, "main", oldPrimary, dir.resolve("i").toString()).exitCode());
    }

    /**
     * auto with a transaction id or a restore point cannot tell which backup precedes it: it takes the
     * newest, saying so; for barman_<id> (cumulus-backup's restore point at that backup's end) it takes
     * that backup, from which recovery stops there.
     */
    @Test
    void autoForARestorePointOfABackupChoosesThatBackupAndWarnsForOtherTargets() throws IOException {
        String newer = "20261122T000000";
        InProcessRestore.barmanBackup(dir.resolve("store/pfx/main/base/" + newer), "end_time=2026-11-22"
                + " 00:05:00+00:00\nend_xlog=0/7000100\nstatus=DONE\ntimeline=1\nversion=150018\n",
                new String[] {"./PG_VERSION", "15\n"}, new String[] {"base/5/1259", "newer"});

        Result point = run(store, "main", "auto", dir.resolve("p").toString(), "--recovery-target-name",
                "barman_" + ID);
        assertEquals(0, point.exitCode(), point.err());
        assertEquals("rows", Files.readString(dir.resolve("p/base/5/1259")));
        assertFalse(point.err().contains("cannot tell"), point.err());

        Result xid = run(store, "main", "auto", dir.resolve("x").toString(), "--recovery-target-xid", "700");
        assertEquals(0, xid.exitCode(), xid.err());
        assertEquals("newer", Files.readString(dir.resolve("x/base/5/1259")));
        assertTrue(xid.err().contains("auto cannot tell which backup precedes transaction 700: it chose the newest, "
                + newer), xid.err());
    }

    /** Checked with the options, before the store (here a directory that does not exist) is contacted. */
    @Test
    void aMalformedTargetTimeIsExitThreeForAnyBackupIdBeforeTheStoreIsRead() {
        String missingStore = dir.resolve("no-such-store").toUri().toString();
        for (String id : List.of("latest", ID, "auto")) {
            for (String option : List.of("--recovery-target-time", "--target-time")) {
                Result result = run(option, "notatime", missingStore, "main", id, dir.resolve("m").toString());
                assertEquals(3, result.exitCode(), id + " " + option + ": " + result.err());
                assertTrue(result.err().contains("invalid " + option + " 'notatime': expected a time such as"),
                        result.err());
            }
        }
        assertFalse(Files.exists(dir.resolve("m")));
    }

    @Test
    void unknownBackupIsExitOne() {
        Result result = run(store, "main", "20200101T000000", dir.resolve("pgdata").toString());
        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains("backup 20200101T000000 not found"), result.err());
        assertEquals(1, run(store, "main", "no-such-name", dir.resolve("pgdata").toString()).exitCode());
        assertFalse(Files.exists(dir.resolve("pgdata")));
    }

    @Test
    void nonEmptyDestinationIsExitOne() throws IOException {
        Path pgdata = Files.createDirectories(dir.resolve("pgdata"));
        Files.writeString(pgdata.resolve("PG_VERSION"), "14\n");

        Result result = run(store, "main", ID, pgdata.toString());

        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains("is not empty"), result.err());
        assertEquals("14\n", Files.readString(pgdata.resolve("PG_VERSION")));
    }

    /** barman-cloud-restore keeps its rules in a dict: a name given twice takes the last location, as any repeated option. */
    @Test
    void aTablespaceGivenTwiceTakesItsLastLocation() {
        assertEquals(java.util.Map.of("ts1", Path.of("/b"), "ts2", Path.of("/c")),
                RestoreCommand.tablespaces(List.of("ts1:/a", "ts2:/c", "ts1:/b")));
    }

    @Test
    void badTablespaceRulesAndTargetsAreExitThree() {
        String pgdata = dir.resolve("pgdata").toString();
        assertEquals(3, run(store, "main", ID, pgdata, "--tablespace", "ts1").exitCode());
        assertEquals(3, run(store, "main", ID, pgdata, "--tablespace", ":/x").exitCode());
        assertEquals(3, run(store, "main", ID, pgdata, "--tablespace", "ts1:").exitCode());
        assertEquals(3, run(store, "main", ID, pgdata, "--recovery-target-lsn", "0/1",
                "--recovery-target-xid", "7").exitCode());
        assertEquals(3, run(store, "main", ID, pgdata, "--recovery-target", "now").exitCode());
        assertEquals(3, run(store, "main", ID, pgdata, "-J", "0").exitCode());
        assertFalse(Files.exists(dir.resolve("pgdata")));
    }

    /**
     * An install reached through a "current" link: restore_command named the resolved, versioned
     * directory, and the standby stopped ("command not found") when an upgrade switched the link and
     * removed the old version. It names the tool beside the path cumulus-restore was called by.
     */
    @Test
    void restoreCommandNamesTheToolBesideThePathCumulusRestoreWasCalledBy() throws IOException {
        Path version = Files.createDirectories(dir.resolve("cumulus-0.1.0/cli-restore/bin"));
        for (String tool : List.of("cumulus-restore", "cumulus-wal-restore")) {
            Files.writeString(version.resolve(tool), "#!/bin/sh\n");
            version.resolve(tool).toFile().setExecutable(true);
        }
        Files.createSymbolicLink(dir.resolve("current"), dir.resolve("cumulus-0.1.0"));
        Path called = dir.resolve("current/cli-restore/bin/cumulus-restore");
        String launcher = version.resolve("cumulus-restore").toString();

        assertEquals(dir.resolve("current/cli-restore/bin/cumulus-wal-restore").toString(),
                RestoreCommand.walRestore(called.toString(), launcher));
        assertEquals(dir.resolve("current/cli-restore/bin/cumulus-wal-restore").toString(),
                RestoreCommand.walRestore(dir.resolve("current/cli-restore/bin/./cumulus-restore").toString(), launcher));
        // called through a link with no cumulus-wal-restore beside it: the launcher's own directory
        Files.createDirectories(dir.resolve("lonely"));
        Files.createSymbolicLink(dir.resolve("lonely/cumulus-restore"), version.resolve("cumulus-restore"));
        assertEquals(version.resolve("cumulus-wal-restore").toString(),
                RestoreCommand.walRestore(dir.resolve("lonely/cumulus-restore").toString(), launcher));
        assertEquals("cumulus-wal-restore", RestoreCommand.walRestore(null, null));
    }

    /** PostgreSQL replaces %f, %p and %r anywhere in restore_command, and reads %% as one %. */
    @Test
    void percentSignsInAUrlAreDoubledForRestoreCommand() {
        assertEquals("gs://b/my%%20dir/100%%full", RestoreCommand.commandWord("gs://b/my%20dir/100%full"));
        assertEquals("'gs://b/my dir/100%%'", RestoreCommand.commandWord("gs://b/my dir/100%"));
        assertEquals("s3://bucket/path", RestoreCommand.commandWord("s3://bucket/path"));
    }
}
