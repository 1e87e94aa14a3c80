package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.Log;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** What a person reads while a backup runs. */
class ProgressReporterTest {

    @Test
    void sizesAndDurationsReadAsAPersonWritesThem() {
        assertEquals("512 B", ProgressReporter.bytes(512));
        assertEquals("20.5 MiB", ProgressReporter.bytes(21_474_836));
        assertEquals("1.5 GiB", ProgressReporter.bytes(3L << 29));
        assertEquals("4.2s", ProgressReporter.duration(Duration.ofMillis(4200)));
        assertEquals("6s", ProgressReporter.duration(Duration.ofSeconds(6)));
        assertEquals("3m07s", ProgressReporter.duration(Duration.ofSeconds(187)));
        assertEquals("2h05m", ProgressReporter.duration(Duration.ofMinutes(125)));
    }

    @Test
    void statusShowsBytesCopiedOfTheEstimateWithRateAndTimeLeft() {
        StringWriter err = new StringWriter();
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(err), new Log(new PrintWriter(err), 20),
                new Log(new PrintWriter(err), 30), ProgressReporter.Mode.QUIET, OptionalLong.of(4L << 30))) {
            progress.copied(1L << 30);
            String status = progress.status();
            assertTrue(status.matches("copied 1\\.0 GiB of ~4\\.0 GiB \\(25%\\), .*/s, .* left"), status);
        }
        assertEquals("", err.toString());
    }

    @Test
    void withoutAnEstimateTheStatusHasNoPercentageOrTimeLeft() {
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(new StringWriter()),
                new Log(new PrintWriter(new StringWriter()), 20), new Log(new PrintWriter(new StringWriter()), 30),
                ProgressReporter.Mode.QUIET, OptionalLong.empty())) {
            progress.copied(1000);
            assertTrue(progress.status().matches("copied 1000 B, .*/s"), progress.status());
        }
    }

    @Test
    void notATerminalGetsALogLinePerStoredArchive() {
        StringWriter err = new StringWriter();
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(err), new Log(new PrintWriter(err), 20),
                new Log(new PrintWriter(err), 30), ProgressReporter.Mode.LOG, OptionalLong.empty())) {
            progress.archiveStored("pg/main/base/20261121T021500/data.tar.gz", 3L << 20);
        }
        assertTrue(err.toString().contains("INFO: stored pg/main/base/20261121T021500/data.tar.gz (3.0 MiB)"),
                err.toString());
    }

    @Test
    void postgresqlNoticesAtTheStopAreWarningsEvenWhenTheProgressIsQuiet() {
        // cron: no terminal, no -v, so no progress; PostgreSQL's "WAL archiving is not enabled" must still be mailed
        StringWriter err = new StringWriter();
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(err), new Log(new PrintWriter(err), 20),
                new Log(new PrintWriter(err), 30), ProgressReporter.Mode.QUIET, OptionalLong.empty())) {
            progress.stopped(new io.cumulus.core.backup.BackupEnd("0/3000100", "000000010000000000000003", 256, 1,
                    java.time.OffsetDateTime.now(), "label", java.util.List.of("WAL archiving is not enabled; you must"
                            + " ensure that all required WAL segments are copied through other means to complete the"
                            + " backup")));
        }
        assertTrue(err.toString().contains("WARNING: PostgreSQL: WAL archiving is not enabled"), err.toString());
    }

    /** The notice of every stop that went well is no warning: a nightly cron job would mail it. */
    @Test
    void theNoticeOfAStopThatWentWellIsNoWarning() {
        StringWriter err = new StringWriter();
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(err), new Log(new PrintWriter(err), 20),
                new Log(new PrintWriter(err), 30), ProgressReporter.Mode.QUIET, OptionalLong.empty())) {
            progress.stopped(new io.cumulus.core.backup.BackupEnd("0/3000100", "000000010000000000000003", 256, 1,
                    java.time.OffsetDateTime.now(), "label", java.util.List.of(
                            "all required WAL segments have been archived")));
        }
        assertEquals("", err.toString());
    }

    @Test
    void warningsFollowTheToolsLevelSoMinusQHidesThem() {
        StringWriter err = new StringWriter();
        try (ProgressReporter progress = new ProgressReporter(new PrintWriter(err), new Log(new PrintWriter(err), 20),
                new Log(new PrintWriter(err), 40), ProgressReporter.Mode.QUIET, OptionalLong.empty())) {
            progress.warning("not shown under -q");
        }
        assertEquals("", err.toString());
    }
}
