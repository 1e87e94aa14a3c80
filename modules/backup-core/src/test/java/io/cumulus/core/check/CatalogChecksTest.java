package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CatalogChecksTest {

    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 11, 21, 12, 0, 0, 0, ZoneOffset.UTC);

    private static final ServerLayout LAYOUT = new ServerLayout("pg", "main");
    private static final String THIS = "7716497261346200924";
    private static final String OLD = "7716495433821658867";

    private static BackupInfo backup(BackupStatus status, Duration age) {
        return BackupInfo.builder().status(status).beginWal("000000010000000000000002")
                .endTime(NOW.minus(age)).build();
    }

    /** {@code infos} as a catalog, oldest first, each one day after the one before. */
    private static List<CatalogBackup> catalog(BackupInfo... infos) {
        List<CatalogBackup> backups = new ArrayList<>();
        for (int i = 0; i < infos.length; i++) {
            backups.add(CatalogBackup.of(new BackupId(String.format(Locale.ROOT, "202611%02dT020000", i + 1)), infos[i]));
        }
        return backups;
    }

    private static BackupFreshness freshness(BackupInfo... infos) {
        return new BackupFreshness(catalog(infos), 0, Optional.empty(), Map.of());
    }

    @Test
    void theNewestDoneBackupDecidesTheAgeAndOlderFailedBackupsDoNotCount() {
        BackupFreshness backups = freshness(backup(BackupStatus.FAILED, Duration.ofDays(10)),
                backup(BackupStatus.DONE, Duration.ofDays(9)));
        CheckResult age = backups.age(NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertTrue(age.message().contains("9d old, more than --max-backup-age 7d"), age.message());
        assertTrue(age.fix().contains("cumulus-backup-list --format json lists FAILED backups too"), age.fix());
        assertTrue(backups.age(NOW, Duration.ofDays(10)).ok());
        CheckResult count = backups.count(2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s) (1 FAILED), fewer than --min-backups 2", count.message());
    }

    /** A nightly backup failing every night must not wait for --max-backup-age to be noticed. */
    @Test
    void aNewestBackupThatFailedFailsTheAgeNamingItAndItsError() {
        BackupInfo failed = backup(BackupStatus.FAILED, Duration.ofHours(1)).toBuilder()
                .error("failure uploading data (connection reset)").build();
        BackupFreshness backups = freshness(backup(BackupStatus.DONE, Duration.ofDays(1)), failed);
        CheckResult age = backups.age(NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertEquals("the newest backup 20261102T020000 FAILED (failure uploading data (connection reset)); the"
                + " newest DONE backup is 1d old", age.message());
        assertTrue(age.fix().startsWith("see why cumulus-backup failed"), age.fix());
        assertTrue(age.fix().contains("cumulus-backup-show 20261102T020000"), age.fix());
        assertEquals(Optional.of(Duration.ofDays(1)), backups.newestAge(NOW), "the metric is still the DONE one's");
        assertTrue(backups.count(1).ok(), "the count is not failed twice for it");

        CheckResult alone = freshness(failed.toBuilder().error(null).build()).age(NOW, Duration.ofDays(7));
        assertEquals("the newest backup 20261101T020000 FAILED (no error recorded); no DONE backup in the catalog",
                alone.message());

        // once a newer backup is DONE the failure is history, as a count
        assertTrue(freshness(failed, backup(BackupStatus.DONE, Duration.ZERO)).age(NOW, Duration.ofDays(7)).ok());
    }

    /** A backup still running has no backup.info: it is neither a failure nor a backup. */
    @Test
    void aBackupStillRunningDoesNotAlarm() {
        BackupFreshness backups = new BackupFreshness(catalog(backup(BackupStatus.DONE, Duration.ofDays(1))), 1,
                Optional.empty(), Map.of());
        assertTrue(backups.age(NOW, Duration.ofDays(7)).ok());
        assertTrue(backups.count(1).ok());
    }

    /** A snapshot or incremental backup is named, and neither makes the catalog fresh nor counts. */
    @Test
    void backupsCumulusRestoreCannotRestoreAreNamedButNotCounted() {
        BackupInfo snapshot = backup(BackupStatus.DONE, Duration.ofHours(1)).toBuilder()
                .snapshotsInfo(java.util.Map.of("provider", "gcp")).build();
        BackupInfo incremental = backup(BackupStatus.DONE, Duration.ofHours(2)).toBuilder()
                .newerKeys(java.util.Map.of("parent_backup_id", "20261101T000000")).build();
        BackupFreshness backups = freshness(backup(BackupStatus.DONE, Duration.ofDays(9)), incremental, snapshot);

        CheckResult age = backups.age(NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertEquals("the newest DONE backup cumulus-restore can restore is 9d old, more than --max-backup-age 7d,"
                + " 2 more that cumulus-restore cannot restore (an incremental backup (parent 20261101T000000),"
                + " a snapshot backup)", age.message());
        CheckResult count = backups.count(2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s), 2 more that cumulus-restore cannot restore (an incremental backup (parent"
                + " 20261101T000000), a snapshot backup), fewer than --min-backups 2", count.message());
        assertEquals(1, backups.restorableDone());

        CheckResult none = freshness(snapshot).age(NOW, Duration.ofDays(7));
        assertFalse(none.ok());
        assertEquals("no DONE backup in the catalog that cumulus-restore can restore (1 more that cumulus-restore"
                + " cannot restore (a snapshot backup))", none.message());
    }

    /** A directory without backup.info (a backup running, or killed) is named, and never counted. */
    @Test
    void backupsWithoutBackupInfoAreNamedButNotCounted() {
        List<CatalogBackup> backups = catalog(backup(BackupStatus.DONE, Duration.ofDays(1)));
        CheckResult count = new BackupFreshness(backups, 2, Optional.empty(), Map.of()).count(2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s) (2 without backup.info: running, or killed; cumulus-backup-delete -r removes"
                + " dead ones), fewer than --min-backups 2", count.message());
        assertEquals("1 DONE backup(s) (min 1)", new BackupFreshness(backups, 0, Optional.empty(), Map.of()).count(1)
                .message());
    }

    /**
     * A DONE backup whose data.tar the store lost is what cumulus-restore refuses, found by the same
     * listing: it does not count, the count fails naming it and the archive, and the age is the newest
     * one that can be restored.
     */
    @Test
    void aDoneBackupWithAMissingArchiveIsNamedNotCountedAndFailsTheCount() throws IOException {
        InMemoryBlobStore store = new InMemoryBlobStore();
        List<CatalogBackup> backups = catalog(backup(BackupStatus.DONE, Duration.ofDays(2)),
                backup(BackupStatus.DONE, Duration.ofDays(1)),
                backup(BackupStatus.DONE, Duration.ofHours(1)).toBuilder().snapshotsInfo(Map.of("provider", "gcp"))
                        .build());
        put(store, "pg/main/base/20261101T020000/data.tar.gz");
        put(store, "pg/main/base/20261102T020000/backup_manifest"); // data.tar.gz is gone
        BackupFreshness checked = BackupFreshness.read(store, LAYOUT, backups, 0, Optional.empty());

        CheckResult count = checked.count(1);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s), 2 more that cumulus-restore cannot restore (backup 20261102T020000 is"
                + " incomplete: data.tar is missing from pg/main/base/20261102T020000/, a snapshot backup)",
                count.message());
        assertTrue(count.fix().startsWith("cumulus-restore refuses 20261102T020000 for the reason shown: put back"
                + " what is missing"), count.fix());
        assertEquals(1, checked.restorableDone());
        assertEquals(Optional.of(Duration.ofDays(2)), checked.newestAge(NOW));
        assertTrue(checked.age(NOW, Duration.ofDays(7)).ok());
        assertFalse(checked.age(NOW, Duration.ofDays(1)).ok());

        put(store, "pg/main/base/20261102T020000/data.tar.gz");
        BackupFreshness whole = BackupFreshness.read(store, LAYOUT, backups, 0, Optional.empty());
        assertTrue(whole.count(2).ok(), whole.count(2).message());
        assertEquals(Optional.of(Duration.ofDays(1)), whole.newestAge(NOW));
    }

    /** After pg_upgrade or a re-initdb, the old cluster's backups restore only it: they count for nothing. */
    @Test
    void backupsOfAnotherDatabaseSystemAreCountedApart() throws IOException {
        List<CatalogBackup> backups = catalog(backup(BackupStatus.DONE, Duration.ofDays(3)).toBuilder().systemid(OLD)
                .build(), backup(BackupStatus.DONE, Duration.ofDays(2)).toBuilder().systemid(OLD).build());
        BackupFreshness upgraded = BackupFreshness.read(new InMemoryBlobStore(), LAYOUT, backups, 0,
                Optional.of(THIS));
        assertEquals(0, upgraded.restorableDone(), "their archives are not even listed: they are not this cluster's");
        assertEquals(List.of(), upgraded.ofThisSystem());
        CheckResult age = upgraded.age(NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertEquals("no DONE backup in the catalog that cumulus-restore can restore (2 more of another database"
                + " system (see system identifier))", age.message());
        assertEquals("0 DONE backup(s), 2 more of another database system (see system identifier), fewer than"
                + " --min-backups 1", upgraded.count(1).message());

        CheckResult identifier = SystemIdentifierCheck.check(backups, Optional.of(THIS));
        assertFalse(identifier.ok());
        assertEquals("the newest DONE backup 20261102T020000 is of database system " + OLD + ", this cluster is "
                + THIS + ": no DONE backup restores this cluster", identifier.message());
        assertTrue(identifier.fix().startsWith("take a backup now: after pg_upgrade or a re-initdb the older"
                + " backups restore only the old cluster; give the new cluster its own server name"), identifier.fix());

        // the fix taken: a backup of this cluster; the old ones are named, and a backup.info without systemid counts
        List<CatalogBackup> after = new ArrayList<>(backups);
        after.add(CatalogBackup.of(new BackupId("20261103T020000"), backup(BackupStatus.DONE, Duration.ofHours(1))));
        after.add(CatalogBackup.of(new BackupId("20261104T020000"), backup(BackupStatus.DONE, Duration.ofMinutes(5))
                .toBuilder().systemid(THIS).build()));
        CheckResult fixed = SystemIdentifierCheck.check(after, Optional.of(THIS));
        assertTrue(fixed.ok(), fixed.message());
        assertEquals(THIS + ", as the newest DONE backup's; 2 older DONE backup(s) of database system " + OLD
                + " restore only that cluster (from before a pg_upgrade or re-initdb?) and are not counted; 1 DONE"
                + " backup(s) without systemid in backup.info, counted as this cluster's", fixed.message());
        BackupFreshness counted = new BackupFreshness(after, 0, Optional.of(THIS), Map.of());
        assertEquals(2, counted.restorableDone());
        assertEquals(List.of("20261103T020000", "20261104T020000"),
                counted.ofThisSystem().stream().map(b -> b.id().value()).toList());
        assertTrue(counted.age(NOW, Duration.ofDays(7)).ok());
    }

    /** Two clusters backing up as one server name: the newest backup is not this cluster's. */
    @Test
    void aNewerBackupOfAnotherSystemFailsTheSystemIdentifierThoughThisClustersAreFresh() {
        List<CatalogBackup> backups = catalog(backup(BackupStatus.DONE, Duration.ofDays(1)).toBuilder().systemid(THIS)
                .build(), backup(BackupStatus.DONE, Duration.ofHours(1)).toBuilder().systemid(OLD).build());
        CheckResult identifier = SystemIdentifierCheck.check(backups, Optional.of(THIS));
        assertFalse(identifier.ok());
        assertEquals("the newest DONE backup 20261102T020000 is of database system " + OLD + ", this cluster is "
                + THIS + " (1 older DONE backup(s) are this cluster's): another cluster backs up as this server name",
                identifier.message());
        assertTrue(identifier.fix().startsWith("give each cluster its own server name"), identifier.fix());
        BackupFreshness freshness = new BackupFreshness(backups, 0, Optional.of(THIS), Map.of());
        assertEquals(Optional.of(Duration.ofDays(1)), freshness.newestAge(NOW));
    }

    @Test
    void theSystemIdentifierIsComparedAsAnUnsignedNumberAndNotCheckedWhenUnreadable() {
        // pg_control_system() shows a bigint: from 2^63 on it is negative where backup.info may be unsigned
        BackupInfo high = backup(BackupStatus.DONE, Duration.ofDays(1)).toBuilder()
                .systemid("18446744073709551615").build();
        assertTrue(SystemIdentifierCheck.isOf(high, "-1"));
        assertFalse(SystemIdentifierCheck.isOf(high, "-2"));
        assertTrue(SystemIdentifierCheck.check(catalog(high), Optional.of("-1")).ok());

        List<CatalogBackup> foreign = catalog(backup(BackupStatus.DONE, Duration.ofDays(1)).toBuilder().systemid(OLD)
                .build());
        CheckResult unread = SystemIdentifierCheck.check(foreign, Optional.empty());
        assertTrue(unread.ok());
        assertTrue(unread.message().startsWith("not checked: this user may not call pg_control_system()"),
                unread.message());
        assertEquals(1, new BackupFreshness(foreign, 0, Optional.empty(), Map.of()).restorableDone());
        assertEquals("this cluster is database system " + THIS + "; no DONE backup to compare",
                SystemIdentifierCheck.check(List.of(), Optional.of(THIS)).message());
    }

    private static void put(InMemoryBlobStore store, String key) throws IOException {
        try (var out = store.openWrite(key, WriteOptions.DEFAULT)) {
            out.write(1);
        }
    }

    @Test
    void redundancyCountsDoneBackups() {
        List<BackupInfo> two = List.of(backup(BackupStatus.DONE, Duration.ofDays(2)), backup(BackupStatus.DONE,
                Duration.ofDays(1)), backup(BackupStatus.FAILED, Duration.ZERO));
        assertTrue(RetentionPolicyCheck.parse("redundancy 2").check(two, NOW.toZonedDateTime()).ok());
        assertFalse(RetentionPolicyCheck.parse("REDUNDANCY 3").check(two, NOW.toZonedDateTime()).ok());
    }

    @Test
    void aRecoveryWindowNeedsADoneBackupEndedBeforeItsStart() {
        List<BackupInfo> backups = List.of(backup(BackupStatus.DONE, Duration.ofDays(8)),
                backup(BackupStatus.DONE, Duration.ofDays(1)));
        assertTrue(RetentionPolicyCheck.parse("RECOVERY WINDOW OF 1 WEEK").check(backups, NOW.toZonedDateTime()).ok());
        assertFalse(RetentionPolicyCheck.parse("RECOVERY WINDOW OF 9 DAYS").check(backups, NOW.toZonedDateTime()).ok());
        // a month is 31 days, as barman counts it
        assertFalse(RetentionPolicyCheck.parse("recovery window of 1 month").check(
                List.of(backup(BackupStatus.DONE, Duration.ofDays(30))), NOW.toZonedDateTime()).ok());
    }

    @Test
    void aRecoveryWindowIsCountedOnTheLocalWallClockAsCumulusBackupDeleteCountsIt() {
        // 7 days before 12:00 EST on 2026-11-03 is 12:00 EDT on 10-27 (16:00Z), not 17:00Z
        ZonedDateTime now = Instant.parse("2026-11-03T17:00:00Z").atZone(ZoneId.of("America/New_York"));
        List<BackupInfo> backups = List.of(BackupInfo.builder().status(BackupStatus.DONE)
                .beginWal("000000010000000000000002").endTime(OffsetDateTime.parse("2026-10-27T16:30:00Z")).build());
        CheckResult local = RetentionPolicyCheck.parse("RECOVERY WINDOW OF 7 DAYS").check(backups, now);
        assertFalse(local.ok());
        assertTrue(local.message().contains("ended before 2026-10-27T12:00-04:00"), local.message());
        assertTrue(RetentionPolicyCheck.parse("RECOVERY WINDOW OF 7 DAYS")
                .check(backups, now.withZoneSameInstant(ZoneOffset.UTC)).ok());
    }

    @Test
    void malformedPoliciesAndDurationsAreInvalidInput() {
        assertThrows(InvalidInputException.class, () -> RetentionPolicyCheck.parse("REDUNDANCY 0"));
        assertThrows(InvalidInputException.class, () -> RetentionPolicyCheck.parse("RECOVERY WINDOW 3 DAYS"));
        assertThrows(InvalidInputException.class, () -> Durations.parse("--max-backup-age", "1y"));
        assertEquals(Duration.ofDays(14), Durations.parse("--max-backup-age", "2w"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("--max-archive-lag", "90"));
        assertEquals("1h 30m", Durations.format(Duration.ofMinutes(90)));
    }
}
