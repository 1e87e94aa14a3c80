package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.check.CheckResult;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ArchivingChecksTest {

    private static final String URL = "s3://bucket/pg";
    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 11, 21, 12, 0, 0, 0, ZoneOffset.UTC);

    private static ArchivingStatus status(String command, Optional<OffsetDateTime> lastArchived,
            Optional<OffsetDateTime> lastFailed, OptionalLong ready, Optional<OffsetDateTime> oldestReady) {
        return new ArchivingStatus("15.18", "replica", "on", command, "", false, 16L << 20, 1,
                lastArchived.map(t -> "000000010000000000000009"), lastArchived, lastFailed.isPresent() ? 3 : 0,
                lastFailed.map(t -> "00000001000000000000000A"), lastFailed, Optional.of("00000001000000000000000B"),
                ready, oldestReady, NOW);
    }

    private static ArchivingStatus command(String command) {
        return status(command, Optional.of(NOW), Optional.empty(), OptionalLong.of(0), Optional.empty());
    }

    @Test
    void archiveCommandWithEnvironmentAndOptionsBeforeThePositionalsMatches() {
        ArchiveCommandLine line = ArchiveCommandLine.parse("AWS_SECRET_ACCESS_KEY='s e'\"cret\" env X=1"
                + " /opt/cumulus/dist/bin/cumulus-wal-archive -z --endpoint-url http://minio:9000 --tags a,b c,d"
                + " --read-timeout=30 -P prod '" + URL + "/' main %p");
        assertTrue(line.calls());
        assertEquals(Optional.of(URL + "/"), line.destinationUrl());
        assertEquals(Optional.of("main"), line.serverName());
        assertTrue(line.archivesTo(URL, "main"));
        assertFalse(line.archivesTo(URL, "other"));
    }

    @Test
    void aCommandChainIsSplitAtItsSeparators() {
        ArchiveCommandLine line = ArchiveCommandLine.parse("test ! -f /x/%f && cumulus-wal-archive " + URL
                + " main %p; echo done");
        assertTrue(line.archivesTo(URL, "main"));
    }

    /**
     * Lines that name the tool but archive nothing (-t, an echo), or hide its failures from PostgreSQL,
     * which then recycles WAL that was never stored: each was an OK line ("cumulus-wal-archive to URL").
     * None shows what follows the tool, which may hold credentials.
     */
    @Test
    void aLineThatArchivesNothingOrHidesTheToolsFailuresFails() {
        String tool = "AWS_SECRET_ACCESS_KEY=hunter2 /opt/cumulus/bin/cumulus-wal-archive ";
        Map<String, String> defects = new java.util.LinkedHashMap<>();
        defects.put(tool + "-t " + URL + " main %p", "with -t/--test, which only checks the store");
        defects.put(tool + "--test " + URL + " main %p", "with -t/--test");
        defects.put("barman-cloud-wal-archive --te " + URL + " main %p", "with -t/--test");
        defects.put("echo " + tool + URL + " main %p", "as an argument of echo, which does not run it");
        defects.put(tool + URL + " main %p || true", "'||' after cumulus-wal-archive makes the line's exit status");
        defects.put(tool + URL + " main %p || logger -p hunter2 failed", "'||' after");
        defects.put(tool + URL + " main %p; exit 0", "';' after cumulus-wal-archive");
        defects.put(tool + URL + " main %p; echo done", "';' after");
        defects.put(tool + URL + " main %p &", "'&' runs cumulus-wal-archive in the background");
        defects.put(tool + URL + " main %p | tee -a /var/log/hunter2", "'|' after");
        defects.put(tool + URL + " main %p 2>&1 | tee -a /var/log/hunter2", "'|' after");
        defects.put(tool + URL + " main %p && logger archived; true", "';' after");
        defects.forEach((line, expected) -> {
            CheckResult result = ArchivingChecks.archiveCommand(command(line), URL, "main");
            assertFalse(result.ok(), line);
            assertTrue(result.message().startsWith("archive_command ") && result.message().contains(expected),
                    line + ": " + result.message());
            assertFalse(result.message().contains("hunter2") || result.fix().contains("hunter2"), result.toString());
            assertTrue(result.fix().contains("with nothing after %p that changes its exit status"), result.fix());
        });
        for (String line : List.of(tool + URL + " main %p", tool + URL + " main %p && touch /tmp/ok",
                tool + URL + " main %p || exit 1", tool + URL + " main %p; rc=$?; logger archived; exit $rc",
                tool + URL + " main %p || { logger failed; false; }", "test ! -f /x/%f && " + tool + URL + " main %p",
                "env X=1 nice -n 5 " + tool + URL + " main %p", tool + URL + " main %p >> /var/log/a.log 2>&1",
                tool + URL + " main %p 2>&1 >&2 >| /tmp/x",
                tool + URL + " main %p || { sleep 1; " + tool + URL + " main %p; }")) {
            CheckResult result = ArchivingChecks.archiveCommand(command(line), URL, "main");
            assertTrue(result.ok(), line + ": " + result);
        }
    }

    @Test
    void barmanCloudWalArchiveIsParsedAsCumulusWalArchiveIs() {
        ArchiveCommandLine line = ArchiveCommandLine.parse("/usr/bin/barman-cloud-wal-archive -z --tags a,b c,d"
                + " --endpoint-url http://minio:9000 -P prod --history-tag k,v " + URL + " main %p");
        assertTrue(line.calls());
        assertTrue(line.archivesTo(URL, "main"), line.toString());
        CheckResult ok = ArchivingChecks.archiveCommand(command("barman-cloud-wal-archive " + URL + " main %p"), URL,
                "main");
        assertTrue(ok.ok(), ok.toString());
        assertEquals("barman-cloud-wal-archive to " + URL + " as server main", ok.message());
        CheckResult elsewhere = ArchivingChecks.archiveCommand(command("barman-cloud-wal-archive s3://other/pg main"
                + " %p"), URL, "main");
        assertFalse(elsewhere.ok());
        assertTrue(elsewhere.message().contains("archives to s3://other/pg as server main"), elsewhere.message());
        assertTrue(elsewhere.fix().startsWith("set archive_command = 'barman-cloud-wal-archive [OPTIONS] " + URL
                + " main %p'"), elsewhere.fix());
    }

    @Test
    void aWrapperScriptIsNotFailedButSaidToBeUnchecked() {
        CheckResult result = ArchivingChecks.archiveCommand(command("/usr/local/bin/archive-wal.sh %p %f"), URL,
                "main");
        assertTrue(result.ok(), result.toString());
        assertTrue(result.message().startsWith("not checked: archive_command calls neither cumulus-wal-archive nor"
                + " barman-cloud-wal-archive"), result.message());
        // the promise WalContinuityCheck keeps: it looks for pg_stat_archiver.last_archived_wal in the store
        assertTrue(result.message().endsWith("; the WAL continuity line checks that the last WAL file PostgreSQL"
                + " archived arrived in the store"), result.message());
        assertFalse(result.message().contains("archive-wal.sh"), "the line may hold credentials: never shown");
    }

    @Test
    void anArchiveCommandElsewhereFailsWithoutShowingTheLine() {
        CheckResult result = ArchivingChecks.archiveCommand(command("SECRET=hunter2 cumulus-wal-archive s3://other/pg"
                + " main %p"), URL, "main");
        assertFalse(result.ok());
        assertTrue(result.message().contains("archives to s3://other/pg as server main"), result.message());
        assertFalse(result.message().contains("hunter2"));
        assertTrue(ArchivingChecks.archiveCommand(command("cumulus-wal-archive " + URL + " main %p"), URL, "main").ok());
        assertFalse(ArchivingChecks.archiveCommand(command(""), URL, "main").ok());
    }

    /**
     * barman-cloud's argparse takes any unambiguous abbreviation of a long option: the value of {@code
     * --endpoint} is no positional. It once was, and cumulus-check showed the endpoint's password as
     * the destination URL.
     */
    @Test
    void abbreviatedOptionsTakeTheirValueAsBarmanCloudDoes() {
        for (String options : List.of("--endpoint http://minio:SECRET@127.0.0.1:18400", "--endp http://minio:x@h",
                "--prof prod", "--read 30", "--cred azure-cli", "--enc AES256", "--encryption-s scope",
                "--max-b 4MB", "--max-c 2", "--max-s 64MB", "--cloud aws-s3", "--tag a,b c,d", "--history a,b",
                "-z --gz --verb", "--te")) {
            ArchiveCommandLine line = ArchiveCommandLine.parse("barman-cloud-wal-archive " + options + " " + URL
                    + " main %p");
            assertTrue(line.archivesTo(URL, "main"), options + ": " + line);
        }
        assertTrue(ArchiveCommandLine.parse("cumulus-wal-archive --endpoint http://minio:x@h --tag a,b --max-p 2 "
                + URL + " main %p").archivesTo(URL, "main"));
        assertEquals("--endpoint-url", ArchiveCommandLine.longOption("--endpoint", true));
        assertEquals("--tags", ArchiveCommandLine.longOption("--tag", true));
        assertEquals("--tag", ArchiveCommandLine.longOption("--tag", false));
        assertEquals("--gzip", ArchiveCommandLine.longOption("--gz", true));
        assertEquals("--unknown", ArchiveCommandLine.longOption("--unknown", true));
    }

    @Test
    void oneTrailingSlashNamesTheSamePlaceASecondDoesNot() {
        assertTrue(ArchiveCommandLine.parse("cumulus-wal-archive s3://b/a/ main %p").archivesTo("s3://b/a", "main"));
        assertTrue(ArchiveCommandLine.parse("cumulus-wal-archive s3://b/a main %p").archivesTo("s3://b/a/", "main"));
        // s3://b/a// stores under a//main/, as barman-cloud's os.path.join makes it: another place than a/main/
        assertFalse(ArchiveCommandLine.parse("cumulus-wal-archive s3://b/a// main %p").archivesTo("s3://b/a", "main"));
        // barman-cloud strips every trailing slash of a gs:// path; a directory is the same with any
        assertTrue(ArchiveCommandLine.parse("cumulus-wal-archive --cloud-provider google-cloud-storage gs://b/a// main"
                + " %p").archivesTo("gs://b/a", "main"));
        assertTrue(ArchiveCommandLine.parse("cumulus-wal-archive file:///var/pg// main %p").archivesTo("file:///var/pg",
                "main"));
    }

    @Test
    void theDocumentedAsyncLineArchivesWhereItSays() {
        // docs/wal-archiving.md's form: --async is a flag, not an abbreviation of --async-timeout
        for (String options : List.of("--async --spool-dir /var/lib/pg/spool --max-parallel 4 --gzip",
                "--spool-dir /var/lib/pg/spool --async", "--async --xz --zstd --lz4 -z --snappy")) {
            ArchiveCommandLine line = ArchiveCommandLine.parse("/opt/cumulus/bin/cumulus-wal-archive " + options
                    + " " + URL + " main %p");
            assertTrue(line.archivesTo(URL, "main"), options + ": " + line);
        }
        assertEquals("--async", ArchiveCommandLine.longOption("--async", false));
        assertEquals("--async-timeout", ArchiveCommandLine.longOption("--async-t", false));
    }

    /** Whatever the line's parse takes for the URL and server is shown without user info or query. */
    @Test
    void whatIsEchoedOfTheLineHasNoUserInfoOrQuery() {
        CheckResult result = ArchivingChecks.archiveCommand(command("barman-cloud-wal-archive --unknown-opt"
                + " http://minio:SECRET@127.0.0.1:18400 s3://x?sig=SECRET main %p"), URL, "main");
        assertFalse(result.ok());
        assertTrue(result.message().startsWith("archive_command archives to http://***@127.0.0.1:18400 as server"
                + " s3://x?***, not to " + URL), result.message());
        assertFalse(result.message().contains("SECRET"), result.message());
    }

    @Test
    void theArchiverFailsWhenTheLastAttemptFailedAndRecoversAfterASuccess() {
        ArchivingStatus failing = status("x", Optional.of(NOW.minusMinutes(5)), Optional.of(NOW.minusMinutes(1)),
                OptionalLong.of(1), Optional.of(NOW.minusMinutes(2)));
        assertFalse(ArchivingChecks.archiver(failing).ok());
        ArchivingStatus recovered = status("x", Optional.of(NOW), Optional.of(NOW.minusMinutes(1)), OptionalLong.of(0),
                Optional.empty());
        assertTrue(ArchivingChecks.archiver(recovered).ok());
    }

    @Test
    void theLagIsTheAgeOfTheOldestWaitingSegmentAndZeroWhenNoneWaits() {
        ArchivingStatus behind = status("x", Optional.of(NOW.minusHours(3)), Optional.empty(), OptionalLong.of(40),
                Optional.of(NOW.minusMinutes(20)));
        assertEquals(Duration.ofMinutes(20), behind.archiveLag());
        assertFalse(ArchivingChecks.archiveLag(behind, Duration.ofMinutes(15)).ok());
        // a quiet server: the last success is old, but nothing waits
        ArchivingStatus quiet = status("x", Optional.of(NOW.minusHours(3)), Optional.empty(), OptionalLong.of(0),
                Optional.empty());
        assertEquals(Duration.ZERO, quiet.archiveLag());
        assertTrue(ArchivingChecks.archiveLag(quiet, Duration.ofMinutes(15)).ok());
    }

    @Test
    void withoutTheRightToListArchiveStatusTheLagComesFromPgStatArchiver() {
        // last archived ...09, being written ...0B: ...0A waits, so the lag is the last success's age
        ArchivingStatus estimated = status("x", Optional.of(NOW.minusMinutes(30)), Optional.empty(), OptionalLong.empty(),
                Optional.empty());
        assertEquals(Duration.ofMinutes(30), estimated.archiveLag());
    }

    @Test
    void rightAfterAPromotionThePrimarysTimelineIsTheSegmentBeingWrittensNotTheLastCheckpoints() {
        ArchivingStatus promoted = new ArchivingStatus("15.18", "replica", "on", "x", "", false, 16L << 20, 1,
                Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(),
                Optional.of("00000002000000000000000B"), OptionalLong.of(0), Optional.empty(), NOW);
        assertEquals(2, promoted.timeline());
        ArchivingStatus standby = new ArchivingStatus("15.18", "replica", "always", "x", "", true, 16L << 20, 3,
                Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty(),
                OptionalLong.of(0), Optional.empty(), NOW);
        assertEquals(3, standby.timeline());
    }

    @Test
    void walLevelMinimalAndArchiveModeOffFail() {
        ArchivingStatus minimal = new ArchivingStatus("15.18", "minimal", "off", "", "", false, 16L << 20, 1,
                Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), Optional.empty(),
                OptionalLong.of(0), Optional.empty(), NOW);
        assertFalse(ArchivingChecks.walLevel(minimal).ok());
        assertFalse(ArchivingChecks.archiveMode(minimal).ok());
        assertTrue(ArchivingChecks.archiveMode(command("x")).ok());
    }
}
