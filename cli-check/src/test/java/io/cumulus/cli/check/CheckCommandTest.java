package io.cumulus.cli.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.walarchive.WalArchiveCommand;
import io.cumulus.core.check.CheckResult;
import io.cumulus.postgres.ArchiveCommandLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class CheckCommandTest {

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
        for (OptionSpec option : new CommandLine(new WalArchiveCommand()).getCommandSpec().options()) {
            if (option.arity().max() > 0) {
                (option.arity().max() > 1 ? lists : valued).addAll(List.of(option.names()));
            }
        }
        assertEquals(valued, ArchiveCommandLine.VALUE_OPTIONS);
        assertEquals(lists, ArchiveCommandLine.LIST_OPTIONS);
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
}
