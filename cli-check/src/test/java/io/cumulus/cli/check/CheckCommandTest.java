package io.cumulus.cli.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.walarchive.WalArchiveCommand;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.check.CheckResult;
import io.cumulus.core.wal.WalName;
import io.cumulus.postgres.ArchiveCommandLine;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class CheckCommandTest {

    /** A PostgreSQL that refuses at once: the store's checks run without it. */
    private static final String NO_POSTGRES = "host=127.0.0.1 port=1 connect_timeout=2";
    private static final OffsetDateTime T0 = OffsetDateTime.of(2026, 11, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    @TempDir
    Path root;

    private static final CheckReport HEALTHY = new CheckReport("main", "s3://b/pg",
            List.of(CheckResult.ok("PostgreSQL", "PostgreSQL 15.18"), CheckResult.ok("archive lag", "0s")),
            Optional.of(Duration.ofHours(5)), Optional.of(Duration.ZERO), OptionalLong.of(3), Duration.ofDays(7),
            Duration.ofMinutes(15), 1);

    private static final CheckReport BROKEN = new CheckReport("main", "s3://b/pg",
            List.of(CheckResult.ok("PostgreSQL", "PostgreSQL 15.18"),
                    CheckResult.failed("archive_mode", "archive_mode is off | really", "turn it on")),
            Optional.empty(), Optional.empty(), OptionalLong.empty(), Duration.ofDays(7), Duration.ofMinutes(15), 2);

    @Test
    void theArchiveCommandParserKnowsEveryOptionOfCumulusWalArchiveThatTakesAValue() {
        Set<String> valued = new HashSet<>();
        Set<String> lists = new HashSet<>();
        Set<String> flags = new HashSet<>();
        for (OptionSpec option : new CommandLine(new WalArchiveCommand()).getCommandSpec().options()) {
            (option.arity().max() == 0 ? flags : option.arity().max() > 1 ? lists : valued)
                    .addAll(List.of(option.names()));
        }
        assertEquals(valued, ArchiveCommandLine.VALUE_OPTIONS);
        assertEquals(lists, ArchiveCommandLine.LIST_OPTIONS);
        assertEquals(flags, ArchiveCommandLine.FLAG_OPTIONS);
    }

    @Test
    void theNagiosLineCarriesStatusSummaryAndPerformanceData() {
        assertEquals("CUMULUS OK - main: 2 checks OK | backup_age=18000s;;604800;0 archive_lag=0s;;900;0"
                + " backups=3;;1:;0", HEALTHY.nagios());
        assertEquals(0, HEALTHY.nagiosExitCode());
        assertEquals("CUMULUS CRITICAL - main: 1 of 2 checks FAILED: archive_mode: archive_mode is off / really"
                + " | backup_age=U;;604800;0 archive_lag=U;;900;0 backups=U;;2:;0", BROKEN.nagios());
        assertEquals(2, BROKEN.nagiosExitCode());
    }

    @Test
    void theTextIsOneAlignedLinePerCheckAndTheFixUnderAFailure() {
        assertEquals("Server main (s3://b/pg):\n"
                + "  PostgreSQL    OK      PostgreSQL 15.18\n"
                + "  archive_mode  FAILED  archive_mode is off | really\n"
                + "                        fix: turn it on\n", BROKEN.text());
    }

    @Test
    void theJsonHoldsChecksMetricsAndThresholds() {
        String json = BROKEN.json();
        assertTrue(json.contains("\"status\" : \"FAILED\""), json);
        assertTrue(json.contains("\"fix\" : \"turn it on\""), json);
        assertTrue(json.contains("\"backup_age_seconds\" : null"), json);
        assertTrue(HEALTHY.json().contains("\"backup_age_seconds\" : 18000"), HEALTHY.json());
        assertTrue(HEALTHY.json().contains("\"max_archive_lag_seconds\" : 900"), HEALTHY.json());
    }

    @Test
    void theReportNeverShowsAPasswordInTheEndpointUrl() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        String secret = "endpoint-password-do-not-print";
        for (String format : List.of("text", "json")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(err), "-v",
                    "--format", format, "-h", "127.0.0.1", "-p", String.valueOf(closed),
                    "--endpoint-url", "http://user:" + secret + "@127.0.0.1:" + closed, "s3://bucket/pg", "main");
            String all = out + "\n" + err;
            assertEquals(1, code, all);
            assertTrue(all.contains("127.0.0.1:" + closed), all);
            assertFalse(all.contains(secret), all);
        }
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(new CheckCommand(), new PrintWriter(new StringWriter()), new PrintWriter(err),
                "-h", "127.0.0.1", "-p", String.valueOf(closed), "--endpoint-url", "http://user:pass word@127.0.0.1:"
                        + closed, "s3://bucket/pg", "main");
        assertEquals(3, code, err.toString());
        assertTrue(err.toString().contains("invalid --endpoint-url 'http://***@127.0.0.1:" + closed + "'"), err.toString());
        assertFalse(err.toString().contains("pass word"), err.toString());
    }

    @Test
    void invalidThresholdsAreInvalidInputAndUnknownForNagios() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(err),
                "--max-backup-age", "soon", "file:///nowhere", "main");
        assertEquals(3, code, err.toString());
        assertTrue(err.toString().contains("invalid --max-backup-age 'soon'"), err.toString());
        out = new StringWriter();
        code = ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(new StringWriter()),
                "--nagios", "--retention-policy", "KEEP FOREVER", "file:///nowhere", "main");
        assertEquals(3, code);
        assertTrue(out.toString().startsWith("CUMULUS UNKNOWN - main: invalid retention policy"), out.toString());
    }

    /**
     * The probe is written as cumulus-backup writes (file:// keeps neither encryption nor tags, so only
     * the reading of the options shows here); a bad value is invalid input, before PostgreSQL or the store.
     */
    @Test
    void theProbeTakesTheEncryptionAndTagOptionsOfCumulusBackup() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(err), "-d", NO_POSTGRES,
                "-e", "aws:kms", "--sse-kms-key-id", "alias/backups", "--encryption-scope", "backups",
                "--kms-key-name", "projects/p/locations/l/keyRings/r/cryptoKeys/k", "--tag", "team,dba",
                "file://" + root, "pg");
        assertTrue(out.toString().contains("\n  store permissions  OK "), out + "\n" + err);

        for (List<String> bad : List.of(List.of("-e", "aes256"), List.of("--sse-kms-key-id", "k"),
                List.of("--tags", "a"))) {
            List<String> args = new java.util.ArrayList<>(bad);
            args.addAll(List.of("-d", NO_POSTGRES, "file://" + root, "pg"));
            err = new StringWriter();
            int code = ToolCommand.run(new CheckCommand(), new PrintWriter(new StringWriter()), new PrintWriter(err),
                    args.toArray(String[]::new));
            assertEquals(3, code, bad + ": " + err);
        }
    }

    @Test
    void aMalformedHistoryFileIsNamedAndNotBlamedOnTheCredentials() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        segments(1, 5, 8);
        write("pg/wals/00000002.history", "this is not a history file\n");
        segments(2, 8, 9);
        String line = continuityLine();
        assertTrue(line.startsWith("FAILED cannot parse pg/wals/00000002.history: line 'this is not a history file'"),
                line);
        assertTrue(line.contains("fix: replace it with 00000002.history from pg_wal of the server that created"
                + " timeline 2"), line);
        assertTrue(!line.contains("credentials"), line);
    }

    @Test
    void aMalformedBeginWalIsNamedWithItsBackupInfo() throws IOException {
        backup("20261101T000000", "00000001000000000000000G", "000000010000000000000006");
        segments(1, 5, 8);
        String line = continuityLine();
        assertTrue(line.startsWith("FAILED pg/base/20261101T000000/backup.info has begin_wal"
                + " '00000001000000000000000G', which is not a WAL segment name"), line);
        assertTrue(line.contains("cumulus-backup-delete -b 20261101T000000"), line);
    }

    @Test
    void aBackupKeptStandaloneNeedsOnlyItsOwnWalOnceRetentionRemovedTheRest() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        write("pg/base/20261101T000000/annotations/keep", "standalone");
        backup("20261108T000000", "000000010000000000000020", "000000010000000000000021");
        segments(1, 5, 6); // retention removed 07 to 1F: only the standalone backup's own range is left
        segments(1, 0x20, 0x25);
        String line = continuityLine();
        assertEquals("OK every segment from 000000010000000000000020 to 000000010000000000000025 is archived (from the"
                + " oldest DONE backup not kept standalone, 20261108T000000; followed the highest archived timeline 1, as"
                + " PostgreSQL could not be reached to tell the cluster's own), and the WAL from begin to end of the 1"
                + " backup(s) kept standalone", line);

        Files.delete(root.resolve("pg/wals/0000000100000000/000000010000000000000006"));
        line = continuityLine();
        assertTrue(line.startsWith("FAILED backup 20261101T000000 (kept standalone): 1 gap(s) in"
                + " 000000010000000000000005 to 000000010000000000000006: missing 000000010000000000000006 ("), line);
    }

    @Test
    void aGapInsideTheChainIsToldOnceThoughAStandaloneBackupNeedsItToo() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        backup("20261102T000000", "000000010000000000000008", "00000001000000000000000A");
        write("pg/base/20261102T000000/annotations/keep", "standalone");
        segments(1, 5, 8);
        segments(1, 0xA, 0xC);
        String line = continuityLine();
        assertTrue(line.startsWith("FAILED 1 gap(s) in 000000010000000000000005 to 00000001000000000000000C: missing"
                + " 000000010000000000000009 (followed the highest archived timeline 1, as PostgreSQL could not be"
                + " reached to tell the cluster's own) fix:"), line);
    }

    /**
     * The check lists each DONE backup's directory as cumulus-restore does: a backup whose data.tar is
     * gone fails the count, named with the archive, and only the backups cumulus-restore would take count.
     */
    @Test
    void aDoneBackupWhoseDataArchiveIsGoneFailsTheCountNamingItAndNoSystemLineWithoutPostgres() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        write("pg/base/20261101T000000/data.tar", "a tar");
        backup("20261102T000000", "000000010000000000000008", "000000010000000000000009");
        segments(1, 5, 9);
        StringWriter out = new StringWriter();
        int code = ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(new StringWriter()), "-d",
                NO_POSTGRES, "--max-backup-age", "100000d", "file://" + root, "pg");
        assertEquals(1, code, out.toString());
        assertTrue(out.toString().contains("\n  backup count       FAILED  1 DONE backup(s), 1 more that cumulus-restore"
                + " cannot restore (backup 20261102T000000 is incomplete: data.tar is missing from pg/base/"
                + "20261102T000000/)\n"), out.toString());
        assertFalse(out.toString().contains("system identifier"), out.toString());

        write("pg/base/20261102T000000/data.tar", "a tar");
        out = new StringWriter();
        code = ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(new StringWriter()), "-d",
                NO_POSTGRES, "--format", "json", "--max-backup-age", "100000d", "file://" + root, "pg");
        assertTrue(out.toString().contains("\"done_backups\" : 2"), out.toString());
    }

    @Test
    void anEmptyOrTruncatedSegmentInTheFileStoreIsNamedAsAGap() throws IOException {
        backup("20261101T000000", "000000010000000000000005", "000000010000000000000006");
        segments(1, 5, 8);
        write("pg/wals/0000000100000000/000000010000000000000009", "");
        write("pg/wals/0000000100000000/00000001000000000000000A", "x".repeat(1000));
        segments(1, 0xB, 0xB);
        String line = continuityLine();
        assertTrue(line.startsWith("FAILED 1 gap(s) in 000000010000000000000005 to 00000001000000000000000B: missing"
                + " 000000010000000000000009 to 00000001000000000000000A (000000010000000000000009 is 0 bytes, not a"
                + " 16 MiB segment; 00000001000000000000000A is 1000 bytes, not a 16 MiB segment)"), line);
    }

    private void backup(String id, String beginWal, String endWal) throws IOException {
        write("pg/base/" + id + "/backup.info", BackupInfo.builder().status(BackupStatus.DONE).serverName("cloud")
                .timeline(1).version(150000).beginWal(beginWal).endWal(endWal).beginTime(T0)
                .endTime(T0.plusMinutes(5)).build().format());
    }

    /** Whole uncompressed 16 MiB segments, sparse files: a shorter one is no segment to the check. */
    private void segments(long timeline, long from, long to) throws IOException {
        for (long s = from; s <= to; s++) {
            WalName wal = WalName.segment(timeline, 0, s);
            Path file = root.resolve("pg/wals/" + wal.hashDirectory() + "/" + wal.name());
            Files.createDirectories(file.getParent());
            try (java.io.RandomAccessFile segment = new java.io.RandomAccessFile(file.toFile(), "rw")) {
                segment.setLength(BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE);
            }
        }
    }

    private void write(String key, String content) throws IOException {
        Path file = root.resolve(key);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /** The WAL continuity line of cumulus-check on the file:// store, from its status to its fix. */
    private String continuityLine() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ToolCommand.run(new CheckCommand(), new PrintWriter(out), new PrintWriter(err), "-d", NO_POSTGRES,
                "file://" + root, "pg");
        Matcher m = Pattern.compile("(?s)\\n  WAL continuity +(.*?)(\\n  \\S|$)").matcher(out.toString());
        assertTrue(m.find(), out + "\n" + err);
        return m.group(1).replaceAll("\\s+", " ").strip();
    }
}
