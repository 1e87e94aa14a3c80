package io.cumulus.postgres;

import io.cumulus.core.check.CheckResult;
import io.cumulus.core.check.Durations;
import io.cumulus.storage.ShownUrls;
import java.time.Duration;
import java.util.List;

/**
 * cumulus-check's judgement of the server's side of archiving, from one {@link ArchivingStatus}:
 * wal_level, archive_mode, archive_command, the archiver's failures and its lag. Pure: the status is
 * read elsewhere, so every verdict is testable without a server.
 */
public final class ArchivingChecks {

    private ArchivingChecks() {
    }

    /**
     * Every check, in the order they are shown.
     *
     * @param destinationUrl the DESTINATION_URL cumulus-check was given
     * @param serverName the SERVER_NAME it was given
     * @param maxLag the largest acceptable {@link ArchivingStatus#archiveLag()}
     */
    public static List<CheckResult> check(ArchivingStatus status, String destinationUrl, String serverName,
            Duration maxLag) {
        return List.of(walLevel(status), archiveMode(status), archiveCommand(status, destinationUrl, serverName),
                archiver(status), archiveLag(status, maxLag));
    }

    static CheckResult walLevel(ArchivingStatus status) {
        if ("minimal".equals(status.walLevel())) {
            return CheckResult.failed("wal_level", "wal_level is minimal: WAL cannot be archived or backed up",
                    "set wal_level = replica in postgresql.conf (or ALTER SYSTEM) and restart PostgreSQL");
        }
        return CheckResult.ok("wal_level", status.walLevel());
    }

    static CheckResult archiveMode(ArchivingStatus status) {
        String mode = status.archiveMode();
        if ("off".equals(mode)) {
            return CheckResult.failed("archive_mode", "archive_mode is off: no WAL is archived, so no backup can be"
                    + " recovered past its end", "ALTER SYSTEM SET archive_mode = on; then restart PostgreSQL");
        }
        if (status.inRecovery() && !"always".equals(mode)) {
            return CheckResult.failed("archive_mode", "archive_mode is " + mode + " on a standby, which archives"
                    + " nothing", "run cumulus-check against the primary, or set archive_mode = always here");
        }
        return CheckResult.ok("archive_mode", mode);
    }

    static CheckResult archiveCommand(ArchivingStatus status, String destinationUrl, String serverName) {
        String name = "archive_command";
        if (!status.archiveLibrary().isEmpty()) {
            return CheckResult.failed(name, "archive_library '" + status.archiveLibrary() + "' is set, so"
                    + " archive_command is not used", "ALTER SYSTEM RESET archive_library; then reload PostgreSQL");
        }
        if (ArchivingStatus.HIDDEN_COMMAND.equals(status.archiveCommand())) {
            // only superusers may read the configuration files; archive_mode's own check fails already
            return CheckResult.ok(name, "not shown by PostgreSQL while archive_mode is off; run cumulus-check as a"
                    + " superuser to read it from the configuration files");
        }
        if (status.archiveCommand().isBlank()) {
            return CheckResult.failed(name, "archive_command is empty", fix(ArchiveCommandLine.TOOL, destinationUrl,
                    serverName));
        }
        ArchiveCommandLine line = ArchiveCommandLine.parse(status.archiveCommand());
        if (!line.calls()) {
            // a wrapper script or another tool may well archive here: what it does cannot be read from the line,
            // and the WAL continuity check looks for the last file PostgreSQL archived in the store
            return CheckResult.ok(name, "not checked: archive_command calls neither " + ArchiveCommandLine.TOOL
                    + " nor " + ArchiveCommandLine.BARMAN_TOOL + " (a wrapper script?), so where it archives cannot"
                    + " be read from it; the WAL continuity line checks that the last WAL file PostgreSQL archived"
                    + " arrived in the store");
        }
        String tool = line.tool().get();
        if (line.defect().isPresent()) {
            return CheckResult.failed(name, "archive_command " + line.defect().get(), "set archive_command = '" + tool
                    + " [OPTIONS] " + destinationUrl + " " + serverName + " %p', with nothing after %p that changes"
                    + " its exit status, and reload PostgreSQL");
        }
        if (!line.archivesTo(destinationUrl, serverName)) {
            // what the line holds is shown only through ShownUrls: a word taken for the URL may be a password
            return CheckResult.failed(name, "archive_command archives to "
                    + line.destinationUrl().map(ShownUrls::inText).orElse("(no URL)")
                    + " as server " + line.serverName().map(ShownUrls::inText).orElse("(none)") + ", not to "
                    + destinationUrl
                    + " as server " + serverName, fix(tool, destinationUrl, serverName)
                    + ", or check the other destination");
        }
        return CheckResult.ok(name, tool + " to " + destinationUrl + " as server " + serverName);
    }

    private static String fix(String tool, String destinationUrl, String serverName) {
        return "set archive_command = '" + tool + " [OPTIONS] " + destinationUrl + " " + serverName
                + " %p' and reload PostgreSQL";
    }

    static CheckResult archiver(ArchivingStatus status) {
        String name = "archiver";
        if (status.lastAttemptFailed()) {
            return CheckResult.failed(name, "the last attempt failed: " + status.lastFailedWal().orElse("?") + " at "
                    + Durations.moment(status.lastFailedTime().orElseThrow()) + " (" + status.failedCount()
                    + " failure(s) since the statistics were reset"
                    + status.lastArchivedWal().map(w -> "; last success " + w + " at "
                            + Durations.moment(status.lastArchivedTime().orElseThrow())).orElse("; no success") + ")",
                    "read the archive command's error in the PostgreSQL log ('archive command failed'), or run"
                            + " archive_command by hand as the postgres user on that segment");
        }
        String last = status.lastArchivedWal().map(w -> "last archived " + w + " at "
                + Durations.moment(status.lastArchivedTime().orElseThrow())).orElse("nothing archived since the statistics"
                        + " were reset");
        return CheckResult.ok(name, last + (status.failedCount() == 0 ? ", no failure"
                : ", archived successfully since the last failure at " + Durations.moment(status.lastFailedTime().orElseThrow())));
    }

    static CheckResult archiveLag(ArchivingStatus status, Duration maxLag) {
        String name = "archive lag";
        Duration lag = status.archiveLag();
        String waiting = status.readySegments().isPresent() ? status.readySegments().getAsLong()
                + " segment(s) waiting" : "estimated from pg_stat_archiver (grant pg_monitor for an exact figure)";
        if (lag.compareTo(maxLag) > 0) {
            return CheckResult.failed(name, Durations.format(lag) + " behind, more than --max-archive-lag "
                    + Durations.format(maxLag) + " (" + waiting + ")", "see the archiver check and the PostgreSQL"
                    + " log; if archiving only cannot keep up, use cumulus-wal-archive --async or a faster link");
        }
        return CheckResult.ok(name, Durations.format(lag) + " (" + waiting + ", max " + Durations.format(maxLag) + ")");
    }
}
