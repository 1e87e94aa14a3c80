package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogChecksTest {

    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 11, 21, 12, 0, 0, 0, ZoneOffset.UTC);

    private static BackupInfo backup(BackupStatus status, Duration age) {
        return BackupInfo.builder().status(status).beginWal("000000010000000000000002")
                .endTime(NOW.minus(age)).build();
    }

    @Test
    void theNewestDoneBackupDecidesTheAgeAndFailedBackupsDoNotCount() {
        List<BackupInfo> backups = List.of(backup(BackupStatus.DONE, Duration.ofDays(9)),
                backup(BackupStatus.FAILED, Duration.ofHours(1)));
        CheckResult age = BackupFreshness.age(backups, NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertTrue(age.message().contains("9d old, more than --max-backup-age 7d"), age.message());
        assertTrue(BackupFreshness.age(backups, NOW, Duration.ofDays(10)).ok());
        CheckResult count = BackupFreshness.count(backups, 2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s) (1 FAILED), fewer than --min-backups 2", count.message());
    }

    /** A snapshot or incremental backup is named, and neither makes the catalog fresh nor counts. */
    @Test
    void backupsCumulusRestoreCannotRestoreAreNamedButNotCounted() {
        BackupInfo snapshot = backup(BackupStatus.DONE, Duration.ofHours(1)).toBuilder()
                .snapshotsInfo(java.util.Map.of("provider", "gcp")).build();
        BackupInfo incremental = backup(BackupStatus.DONE, Duration.ofHours(2)).toBuilder()
                .newerKeys(java.util.Map.of("parent_backup_id", "20261101T000000")).build();
        List<BackupInfo> backups = List.of(backup(BackupStatus.DONE, Duration.ofDays(9)), incremental, snapshot);

        CheckResult age = BackupFreshness.age(backups, NOW, Duration.ofDays(7));
        assertFalse(age.ok());
        assertEquals("the newest DONE backup cumulus-restore can restore is 9d old, more than --max-backup-age 7d,"
                + " 2 more that cumulus-restore cannot restore (an incremental backup (parent 20261101T000000),"
                + " a snapshot backup)", age.message());
        CheckResult count = BackupFreshness.count(backups, 2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s), 2 more that cumulus-restore cannot restore (an incremental backup (parent"
                + " 20261101T000000), a snapshot backup), fewer than --min-backups 2", count.message());
        assertEquals(1, BackupFreshness.restorableDone(backups));

        CheckResult none = BackupFreshness.age(List.of(snapshot), NOW, Duration.ofDays(7));
        assertFalse(none.ok());
        assertEquals("no DONE backup in the catalog that cumulus-restore can restore (1 more that cumulus-restore"
                + " cannot restore (a snapshot backup))", none.message());
    }

    /** A directory without backup.info (a backup running, or killed) is named, and never counted. */
    @Test
    void backupsWithoutBackupInfoAreNamedButNotCounted() {
        List<BackupInfo> backups = List.of(backup(BackupStatus.DONE, Duration.ofDays(1)));
        CheckResult count = BackupFreshness.count(backups, 2, 2);
        assertFalse(count.ok());
        assertEquals("1 DONE backup(s) (2 without backup.info: running, or killed; cumulus-backup-delete -r removes"
                + " dead ones), fewer than --min-backups 2", count.message());
        assertEquals("1 DONE backup(s) (min 1)", BackupFreshness.count(backups, 0, 1).message());
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
