package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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

    @Test
    void redundancyCountsDoneBackups() {
        List<BackupInfo> two = List.of(backup(BackupStatus.DONE, Duration.ofDays(2)), backup(BackupStatus.DONE,
                Duration.ofDays(1)), backup(BackupStatus.FAILED, Duration.ZERO));
        assertTrue(RetentionPolicyCheck.parse("redundancy 2").check(two, NOW).ok());
        assertFalse(RetentionPolicyCheck.parse("REDUNDANCY 3").check(two, NOW).ok());
    }

    @Test
    void aRecoveryWindowNeedsADoneBackupEndedBeforeItsStart() {
        List<BackupInfo> backups = List.of(backup(BackupStatus.DONE, Duration.ofDays(8)),
                backup(BackupStatus.DONE, Duration.ofDays(1)));
        assertTrue(RetentionPolicyCheck.parse("RECOVERY WINDOW OF 1 WEEK").check(backups, NOW).ok());
        assertFalse(RetentionPolicyCheck.parse("RECOVERY WINDOW OF 9 DAYS").check(backups, NOW).ok());
        // a month is 31 days, as barman counts it
        assertFalse(RetentionPolicyCheck.parse("recovery window of 1 month").check(
                List.of(backup(BackupStatus.DONE, Duration.ofDays(30))), NOW).ok());
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
