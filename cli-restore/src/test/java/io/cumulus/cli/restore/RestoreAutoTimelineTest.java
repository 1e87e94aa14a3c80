package io.cumulus.cli.restore;

import static io.cumulus.cli.restore.InProcessRestore.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.restore.InProcessRestore.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cumulus-restore's {@code auto} after a failover, against a file:// store: the standby was promoted
 * to timeline 2 at 0/3C0000A0 on 2026-11-02; the old primary, restarted on timeline 1, took a backup
 * after that. A recovery along timeline 2 can start from timeline 1's backup taken before the fork,
 * never from the old primary's.
 */
class RestoreAutoTimelineTest {

    private static final String BEFORE_THE_FORK = "20261101T000000";
    private static final String OLD_PRIMARYS = "20261103T000000";

    @TempDir
    Path dir;

    private String store;

    @BeforeEach
    void aFailoverWhoseOldPrimaryWentOn() throws IOException {
        store = "file://" + dir.resolve("store") + "/pfx";
        backup(BEFORE_THE_FORK, "2026-11-01 00:10:00+00:00", "0/3000100");
        backup(OLD_PRIMARYS, "2026-11-03 00:10:00+00:00", "0/3D000100");
        history();
    }

    private void history() throws IOException {
        Path wals = Files.createDirectories(dir.resolve("store/pfx/main/wals"));
        Files.writeString(wals.resolve("00000002.history"), "1\t0/3C0000A0\tno recovery target specified\n");
    }

    /** A backup on timeline 1 as barman-cloud writes it: backup.info and one data.tar, no manifest. */
    private void backup(String id, String endTime, String endXlog) throws IOException {
        InProcessRestore.barmanBackup(dir.resolve("store/pfx/main/base/" + id), "end_time=" + endTime + "\nend_xlog="
                + endXlog + "\nstatus=DONE\ntimeline=1\nversion=150018\n", new String[] {"PG_VERSION", "15\n"});
    }

    private Result auto(String... options) {
        String[] args = new String[options.length + 4];
        System.arraycopy(new String[] {store, "main", "auto", dir.resolve("pgdata").toString()}, 0, args, 0, 4);
        System.arraycopy(options, 0, args, 4, options.length);
        return run(args);
    }

    private static void assertRestored(String id, Result result) {
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().startsWith("restored backup " + id + " into "), result.out());
    }

    @Test
    void aTargetOnTimeline2IsReachedFromTimeline1sBackupTakenBeforeTheFork() {
        assertRestored(BEFORE_THE_FORK, auto("--recovery-target-time", "2026-11-02 12:00:00+00",
                "--recovery-target-timeline", "2", "--recovery-target-action", "promote"));
    }

    @Test
    void theLatestTimelineIsNeverReachedFromABackupTheOldPrimaryTookAfterTheFork() {
        assertRestored(BEFORE_THE_FORK, auto("--recovery-target-time", "2026-11-04 00:00:00+00"));
    }

    @Test
    void withNoBackupOnTheLineageTheMessageNamesTheTimelinesLookedAt() throws IOException {
        Result result = auto("--recovery-target-time", "2026-10-31 00:00:00+00", "--recovery-target-timeline", "2");
        assertEquals(1, result.exitCode(), result.err());
        assertTrue(result.err().contains("no DONE backup on timeline 2 or, before its history (00000002.history)"
                + " leaves them, on timeline 1 up to 0/3C0000A0 ended at or before 2026-10-31"), result.err());
    }

    @Test
    void barmansTargetTliStillMatchesTheBackupsTimelineAlone() {
        assertRestored(OLD_PRIMARYS, auto("--target-tli", "1", "--target-time", "2026-11-04 00:00:00+00"));
    }

    @Test
    void currentFollowsTheBackupsOwnTimeline() {
        assertRestored(OLD_PRIMARYS, auto("--recovery-target-time", "2026-11-04 00:00:00+00",
                "--recovery-target-timeline", "current"));
    }

    @Test
    void withoutAHistoryFileLatestChoosesAsBarmanCloudDoes() throws IOException {
        Files.delete(dir.resolve("store/pfx/main/wals/00000002.history"));
        assertRestored(OLD_PRIMARYS, auto("--recovery-target-time", "2026-11-04 00:00:00+00"));
    }
}
