package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.id;
import static io.cumulus.core.retention.TestCatalog.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Retention decisions pinned on small catalogs, each rule of reference §6 on its own. */
class RetentionPlannerTest {

    private static final Instant NOW = TestCatalog.DAY_ZERO.plusDays(30).toInstant();

    private static Map<BackupId, String> statuses(RetentionPlan plan) {
        return plan.decisions().stream().collect(Collectors.toMap(d -> d.backup().id(), d -> d.status().label(),
                (a, b) -> a, TreeMap::new));
    }

    private static List<String> walNames(RetentionPlan plan) {
        return plan.walToDelete().stream().map(w -> w.name().name()).toList();
    }

    @Test
    void policiesParseAsBarmanSpellsThemAndAnythingElseIsInvalidInput() {
        assertEquals(new RetentionPolicy.Redundancy(3), RetentionPolicy.parse(" redundancy   3 "));
        assertEquals(new RetentionPolicy.RecoveryWindow(2, RetentionPolicy.Unit.WEEKS),
                RetentionPolicy.parse("RECOVERY WINDOW OF 2 WEEK"));
        assertEquals("RECOVERY WINDOW OF 1 MONTHS", RetentionPolicy.parse("Recovery Window Of 1 months").toString());
        assertEquals(NOW.minus(Duration.ofDays(31)), ((RetentionPolicy.RecoveryWindow)
                RetentionPolicy.parse("recovery window of 1 month")).start(NOW.atZone(ZoneOffset.UTC)));
        InvalidInputException zero = assertThrows(InvalidInputException.class,
                () -> RetentionPolicy.parse(" redundancy 0 "));
        assertTrue(zero.getMessage().startsWith("REDUNDANCY 0 would delete every backup"), zero.getMessage());
        assertEquals("REDUNDANCY 0", new RetentionPolicy.Redundancy(0).toString(), "the planner still takes it");
        for (String bad : List.of("REDUNDANCY", "REDUNDANCY -1", "REDUNDANCY 00", "REDUNDANCY two", "RECOVERY WINDOW 3 DAYS",
                "RECOVERY WINDOW OF 3 YEARS", "KEEP 3", "", "REDUNDANCY 99999999999")) {
            assertThrows(InvalidInputException.class, () -> RetentionPolicy.parse(bad), bad);
        }
    }

    @Test
    void redundancyKeepsTheNewestDoneBackupsCountingKeptOnesAndIgnoresFailedOnes() throws Exception {
        TestCatalog c = new TestCatalog()
                .done(0, 1, 10).backup(1, BackupStatus.DONE, 1, 20, Keep.FULL).done(2, 1, 30)
                .backup(3, BackupStatus.FAILED, 1, 40, null).backup(4, BackupStatus.DONE, 1, 50, Keep.STANDALONE)
                .done(5, 1, 60).backup(6, BackupStatus.FAILED, 1, 70, null);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);

        assertEquals(Map.of(id(0), "OBSOLETE", id(1), "KEEP:FULL", id(2), "OBSOLETE", id(3), "-",
                id(4), "KEEP:STANDALONE", id(5), "VALID", id(6), "-"), statuses(plan));
        // 5 and the kept 4 are the two newest DONE: 2 is already outside the redundancy
        assertEquals(List.of(id(0), id(2)), plan.backupsToDelete());
    }

    @Test
    void minimumRedundancyRaisesARedundancyBelowIt() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(1, 1, 20).done(2, 1, 30).done(3, 1, 40);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 1"), NOW, 3);

        assertEquals(List.of(id(0)), plan.backupsToDelete());
        assertTrue(plan.policy().contains("minimum redundancy 3"), plan.policy());
    }

    @Test
    void recoveryWindowKeepsTheNewestBackupThatEndedBeforeItsStartAndDeletesTheOlderOnes() throws Exception {
        // backups end at day n + 30 minutes; NOW is day 30; a 7-day window starts at day 23
        TestCatalog c = new TestCatalog();
        for (int n = 18; n <= 28; n += 2) {
            c.done(n, 1, n * 10L);
        }
        c.backup(19, BackupStatus.FAILED, 1, 195, null).backup(17, BackupStatus.DONE, 1, 170, Keep.FULL);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal,
                RetentionPolicy.parse("RECOVERY WINDOW OF 7 DAYS"), NOW, 0);

        assertEquals("VALID", statuses(plan).get(id(24)));
        assertEquals("VALID", statuses(plan).get(id(22)), "the base for recovery to the window's start");
        assertEquals("OBSOLETE", statuses(plan).get(id(20)));
        assertEquals("-", statuses(plan).get(id(19)));
        assertEquals("KEEP:FULL", statuses(plan).get(id(17)));
        assertEquals(List.of(id(18), id(20)), plan.backupsToDelete());
        assertTrue(plan.decision(id(22)).orElseThrow().reason().contains("ended before"));
    }

    /**
     * barman computes the start as {@code datetime.now(tzlocal()) - timedelta(days=7)}: on the local
     * wall clock. Its RecoveryWindowRetentionPolicy, run on these three backups with
     * TZ=America/New_York, puts the start at 2026-10-27T12:00-04:00 and reports all three VALID.
     */
    @Test
    void recoveryWindowCountsDaysOnTheLocalWallClockAcrossADaylightSavingChangeAsBarmanDoes() throws Exception {
        // New York leaves daylight saving time on 2026-11-01: 7 days before 12:00 EST on 11-03 is
        // 12:00 EDT on 10-27, 16:00Z, an hour later than 7 x 24 hours before
        ZonedDateTime now = Instant.parse("2026-11-03T17:00:00Z").atZone(ZoneId.of("America/New_York"));
        List<CatalogBackup> backups = List.of(doneEndingAt("2026-10-26T16:30:00Z"),
                doneEndingAt("2026-10-27T16:30:00Z"), doneEndingAt("2026-10-28T16:30:00Z"));
        RetentionPolicy week = RetentionPolicy.parse("RECOVERY WINDOW OF 7 DAYS");

        RetentionPlan plan = RetentionPlanner.byPolicy(backups, List.of(), week, now, 0);

        assertEquals(List.of("VALID", "VALID", "VALID"),
                plan.decisions().stream().map(d -> d.status().label()).toList());
        assertEquals(List.of(), plan.backupsToDelete());
        assertTrue(plan.decisions().get(0).reason().contains("ended before 2026-10-27T16:00Z"),
                plan.decisions().get(0).reason());
        // the same instant on a UTC clock: the start is 17:00Z, so 10-27 is the base and 10-26 goes
        RetentionPlan utc = RetentionPlanner.byPolicy(backups, List.of(), week,
                now.withZoneSameInstant(ZoneOffset.UTC), 0);
        assertEquals(List.of(backups.get(0).id()), utc.backupsToDelete());
    }

    /** The instants barman 3.4 computes for these, run with TZ=America/New_York. */
    @Test
    void aWindowStartOnAMissingOrRepeatedWallClockTimeIsResolvedAsBarmanResolvesIt() {
        RetentionPolicy.RecoveryWindow week = new RetentionPolicy.RecoveryWindow(7, RetentionPolicy.Unit.DAYS);
        ZoneId newYork = ZoneId.of("America/New_York");
        // 02:30 on 2026-03-08 does not exist (clocks spring from 02:00 to 03:00): taken as EDT
        assertEquals(Instant.parse("2026-03-08T06:30:00Z"),
                week.start(Instant.parse("2026-03-15T06:30:00Z").atZone(newYork)));
        // 01:30 on 2026-11-01 happens twice (clocks fall back from 02:00 to 01:00): the first, EDT
        assertEquals(Instant.parse("2026-11-01T05:30:00Z"),
                week.start(Instant.parse("2026-11-08T06:30:00Z").atZone(newYork)));
        // away from a change, the wall clock and the offset both carry over
        assertEquals(Instant.parse("2026-10-27T16:00:00Z"),
                week.start(Instant.parse("2026-11-03T17:00:00Z").atZone(newYork)));
    }

    private static CatalogBackup doneEndingAt(String endTime) {
        OffsetDateTime end = OffsetDateTime.parse(endTime);
        BackupInfo info = BackupInfo.builder().status(BackupStatus.DONE).timeline(1).version(150000)
                .beginWal(segment(1, end.getDayOfYear())).endWal(segment(1, end.getDayOfYear()))
                .beginTime(end.minusMinutes(30)).endTime(end).build();
        return CatalogBackup.of(BackupId.of(end.minusMinutes(30).toLocalDateTime()), info);
    }

    @Test
    void recoveryWindowHoldsOlderBackupsForTheMinimumRedundancyAsPotentiallyObsolete() throws Exception {
        TestCatalog c = new TestCatalog().done(1, 1, 10).done(2, 1, 20).done(3, 1, 30).done(4, 1, 40);

        // every backup ended long before the one-day window: only the newest is VALID by the window
        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal,
                RetentionPolicy.parse("RECOVERY WINDOW OF 1 DAY"), NOW, 3);

        assertEquals(Map.of(id(1), "OBSOLETE", id(2), "OBSOLETE*", id(3), "OBSOLETE*", id(4), "VALID"), statuses(plan));
        assertEquals(List.of(id(1)), plan.backupsToDelete());
    }

    @Test
    void walBeforeTheNextBackupGoesButHistoryFilesAndOtherTimelinesStay() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(1, 1, 20).done(2, 2, 30)
                .segments(1, 5, 35).segments(2, 28, 40).walFile("00000002.history")
                .walFile(segment(1, 12) + ".partial").backupHistoryFiles();

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);

        assertEquals(List.of(id(0)), plan.backupsToDelete());
        // timeline 2 has a backup: protected; timeline 1 is cleaned up to backup 1's begin
        List<String> expected = new java.util.ArrayList<>();
        for (long s = 5; s < 20; s++) {
            expected.add(segment(1, s));
        }
        expected.add(segment(1, 10) + ".00000028.backup");
        expected.add(segment(1, 12) + ".partial");
        expected.sort(null);
        assertEquals(expected, walNames(plan).stream().sorted().toList());
        assertTrue(plan.deletions().get(0).walReason().endsWith(", except timeline 2 (on it: backup " + id(2) + ")"),
                plan.deletions().get(0).walReason());
    }

    /**
     * A timeline's WAL stays while a FAILED backup is on it, or the deleted backup itself (barman-cloud's
     * rule): the reason said "which other backups are on" when no restorable backup was; it names them.
     */
    @Test
    void theReasonNamesWhatKeepsAnotherTimelinesWal() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).backup(1, BackupStatus.FAILED, 2, 12, null).done(2, 3, 30)
                .done(3, 3, 40).segments(1, 5, 15).segments(3, 30, 45);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);

        assertEquals(List.of(id(0)), plan.backupsToDelete());
        assertEquals(List.of(), walNames(plan));
        assertTrue(plan.deletions().get(0).walReason().endsWith(", except timeline 1 (on it: this backup, whose"
                + " timeline barman-cloud keeps), except timeline 2 (on it: FAILED backup " + id(1) + ", which -b"
                + " deletes)"), plan.deletions().get(0).walReason());
    }

    /**
     * Backup ids are local wall-clock times: after the clock falls back (the end of daylight saving) a
     * later backup gets a smaller id. Freeing the WAL before the next backup by id (2, begin 30) lost
     * the WAL of backup 1, which began at 20 and stays VALID: barman-cloud 3.4 deletes it, and the
     * backup could no longer be restored ("could not locate required checkpoint record").
     */
    @Test
    void walABackupThatStaysNeedsIsKeptWhenIdsAreOutOfStartOrder() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(1, 1, 30).done(2, 1, 20).segments(1, 5, 35);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);

        assertEquals(List.of(id(0)), plan.backupsToDelete());
        List<String> expected = new java.util.ArrayList<>();
        for (long s = 5; s < 20; s++) {
            expected.add(segment(1, s));
        }
        assertEquals(expected, walNames(plan));
        assertTrue(plan.deletions().get(0).walReason().startsWith("WAL before " + segment(1, 20) + " (the begin of"
                + " backup " + id(2) + ", which began before the next backup by id, " + id(1) + ": backup ids are out"
                + " of start order"), plan.deletions().get(0).walReason());
    }

    @Test
    void aKeepFullBackupBeforeADeletedOneKeepsAllWalForPointInTimeRecovery() throws Exception {
        TestCatalog c = new TestCatalog().backup(0, BackupStatus.DONE, 1, 10, Keep.FULL).done(1, 1, 20)
                .done(2, 1, 30).segments(1, 5, 35);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);

        assertEquals(List.of(id(1)), plan.backupsToDelete());
        assertEquals(List.of(), plan.walToDelete());
        assertTrue(plan.deletions().get(0).walReason().contains("point-in-time recovery"));
    }

    /** Reference §6.4, observed with barman: REDUNDANCY 1 over [standalone A, B, C]. */
    @Test
    void aStandaloneBackupKeepsOnlyItsOwnRangeAndWalBeforeItGoesToo() throws Exception {
        TestCatalog c = new TestCatalog().backup(0, BackupStatus.DONE, 1, 10, Keep.STANDALONE).done(1, 1, 20)
                .done(2, 1, 30).segments(1, 5, 35);

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);

        assertEquals(List.of(id(1)), plan.backupsToDelete());
        List<String> expected = new java.util.ArrayList<>();
        for (long s = 5; s < 30; s++) {
            if (s != 10 && s != 11) {
                expected.add(segment(1, s));
            }
        }
        assertEquals(expected, walNames(plan));
    }

    /** A standalone backup without end_wal (hand-edited, foreign) protected nothing: its WAL cannot be told. */
    @Test
    void aStandaloneBackupWithoutEndWalLeavesTheWalAlone() throws Exception {
        TestCatalog c = new TestCatalog().backup(0, BackupStatus.DONE, 1, 10, Keep.STANDALONE).done(1, 1, 20)
                .done(2, 1, 30).segments(1, 5, 35);
        CatalogBackup standalone = c.backups.get(0);
        c.backups.set(0, new CatalogBackup(standalone.id(), standalone.info().toBuilder().endWal(null).build(),
                standalone.keep()));

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, c.wal, RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);

        assertEquals(List.of(id(1)), plan.backupsToDelete());
        assertEquals(List.of(), plan.walToDelete());
        assertTrue(plan.deletions().get(0).walReason().contains("has no begin_wal or end_wal"),
                plan.deletions().get(0).walReason());
    }

    @Test
    void deletingTheOnlyBackupRemovesTheWalOlderThanItsOwnBegin() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).segments(1, 5, 15);

        RetentionPlan plan = RetentionPlanner.single(c.backups, id(0), c.wal, 0);

        assertEquals(List.of(segment(1, 5), segment(1, 6), segment(1, 7), segment(1, 8), segment(1, 9)), walNames(plan));
    }

    @Test
    void deletingOneBackupAfterAStandaloneOneLeavesTheWalAloneAsBarmanDoes() throws Exception {
        TestCatalog c = new TestCatalog().backup(0, BackupStatus.DONE, 1, 10, Keep.STANDALONE).done(1, 1, 20)
                .done(2, 1, 30).segments(1, 5, 35);

        RetentionPlan plan = RetentionPlanner.single(c.backups, id(1), c.wal, 0);

        assertEquals(List.of(id(1)), plan.backupsToDelete());
        assertEquals(List.of(), plan.walToDelete());
    }

    @Test
    void aKeptBackupOrOneTheMinimumRedundancyNeedsIsRefusedAndAFailedOneIsNot() throws Exception {
        TestCatalog c = new TestCatalog().backup(0, BackupStatus.DONE, 1, 10, Keep.FULL).done(1, 1, 20)
                .backup(2, BackupStatus.FAILED, 1, 30, null);

        OperationFailedException kept = assertThrows(OperationFailedException.class,
                () -> RetentionPlanner.single(c.backups, id(0), c.wal, 0));
        assertTrue(kept.getMessage().contains("keep:full"), kept.getMessage());
        OperationFailedException minimum = assertThrows(OperationFailedException.class,
                () -> RetentionPlanner.single(c.backups, id(1), c.wal, 2));
        assertTrue(minimum.getMessage().contains("minimum redundancy of 2"), minimum.getMessage());
        assertEquals(List.of(id(2)), RetentionPlanner.single(c.backups, id(2), c.wal, 2).backupsToDelete());
        assertThrows(InvalidInputException.class, () -> RetentionPlanner.single(c.backups, id(2), c.wal, -1));
    }

    /**
     * Review 20 D1: a backup still running (its directory holds only its claim, the WAL it needs is not
     * known before its backup.info) began before a backup that ended DONE meanwhile; freeing the WAL
     * before that backup's begin lost the running one's begin, and it then stored DONE, unrestorable.
     * While the plan keeps a directory as possibly running, for whatever reason, no WAL goes; the
     * backups still do.
     */
    @Test
    void aDirectoryThatMayBeABackupStillRunningHoldsBackEveryWalDeletion() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(2, 1, 30).segments(1, 5, 35);
        IncompleteBackup running = claimOnly(1, NOW.minusSeconds(60));

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, List.of(running), c.wal,
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);

        assertEquals(List.of(id(0)), plan.backupsToDelete());
        assertEquals(List.of(), plan.walToDelete());
        assertEquals(List.of(false), plan.incomplete().stream().map(IncompleteBackup.Decision::delete).toList());
        assertEquals("no WAL deleted: " + id(1) + " may be a backup still running (no backup.info yet, so the WAL it"
                + " needs is not known); the WAL before " + segment(1, 30) + " goes with a later delete of the oldest"
                + " backup", plan.deletions().get(0).walReason());

        RetentionPlan single = RetentionPlanner.single(c.backups, id(0), List.of(running), c.wal, 0, NOW);
        assertEquals(List.of(id(0)), single.backupsToDelete());
        assertEquals(List.of(), single.walToDelete(), "-b too");
        assertEquals(List.of(), single.incomplete(), "-b decides nothing about a directory it was not given");

        // newer than every DONE backup, kept however old: "may be a backup still running" too
        IncompleteBackup newest = claimOnly(3, NOW.minus(Duration.ofDays(20)));
        RetentionPlan held = RetentionPlanner.byPolicy(c.backups, List.of(newest), c.wal,
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        assertEquals(List.of(), held.walToDelete());
        assertTrue(held.deletions().get(0).walReason().startsWith("no WAL deleted: " + id(3) + " may be"),
                held.deletions().get(0).walReason());
    }

    /** A directory the plan deletes as a killed backup's (quiet for a day, a newer backup DONE) holds nothing back. */
    @Test
    void aDirectoryTakenForAKilledBackupDoesNotHoldBackWal() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(2, 1, 30).segments(1, 5, 35);
        IncompleteBackup killed = claimOnly(1, NOW.minus(IncompleteBackup.QUIET).minusSeconds(60));

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, List.of(killed), c.wal,
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        RetentionPlan single = RetentionPlanner.single(c.backups, id(0), List.of(killed), c.wal, 0, NOW);

        List<String> expected = new java.util.ArrayList<>();
        for (long s = 5; s < 30; s++) {
            expected.add(segment(1, s));
        }
        assertEquals(expected, walNames(plan));
        assertEquals(List.of(killed.id()), plan.incompleteToDelete().stream().map(IncompleteBackup::id).toList());
        assertEquals(expected, walNames(single));
    }

    /** The directory of backup {@code n} holding only a claim written at {@code written}. */
    private static IncompleteBackup claimOnly(int n, Instant written) {
        String key = TestCatalog.LAYOUT.backupPrefix(id(n).value()) + "backup.claim";
        return new IncompleteBackup(id(n), List.of(new io.cumulus.storage.BlobInfo(key, 120, written, "e")));
    }

    /**
     * Deliberately beyond barman-cloud 3.4, which knows only .gz, .bz2 and .snappy (so never deletes
     * WAL Cumulus compressed with zstd, lz4 or xz) and keeps one object per WAL name.
     */
    @Test
    void walInEveryCompressionCumulusWritesIsRecognisedAndEveryCopyOfANameGoes() throws Exception {
        TestCatalog c = new TestCatalog().done(0, 1, 10).done(1, 1, 20);
        String dir = TestCatalog.LAYOUT.walsPrefix() + "0000000100000000/";
        List<String> keys = List.of(dir + segment(1, 11) + ".zst", dir + segment(1, 12) + ".lz4",
                dir + segment(1, 13) + ".xz", dir + segment(1, 14), dir + segment(1, 14) + ".gz",
                dir + segment(1, 15) + ".tmp", dir + "README");
        List<WalObject> wal = keys.stream().map(WalObject::of).flatMap(java.util.Optional::stream).toList();

        RetentionPlan plan = RetentionPlanner.byPolicy(c.backups, wal, RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);

        assertEquals(keys.subList(0, 5).stream().sorted().toList(),
                plan.walToDelete().stream().map(WalObject::key).toList());
    }
}
