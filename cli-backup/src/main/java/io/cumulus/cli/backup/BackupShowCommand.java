package io.cumulus.cli.backup;

import io.cumulus.cli.StoreLocation;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.catalog.PythonDateTime;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.restore.BackupCatalog;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cumulus-backup-show}: one backup's metadata (reference §1.8); the backup is named by id,
 * backup name or shortcut. JSON is {@code {"<server_name>": {...}}} as barman-cloud prints it.
 */
@Command(name = "cumulus-backup-show", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Show the metadata of one backup in object storage.")
public final class BackupShowCommand extends CatalogCommand {

    @Parameters(index = "2", paramLabel = "BACKUP_ID",
            description = "A backup id, a backup name, or latest/last/oldest/first/last-failed.")
    String backupId;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "console",
            description = "console (default) or json; any value but console is json, as in barman-cloud.")
    String format;

    @Override
    int run(StoreLocation location) throws IOException {
        BackupCatalog.Entry entry = resolve(location, backupId);
        BackupInfo info = entry.info();
        if (json(format)) {
            String server = info.serverName() == null ? "cloud" : info.serverName();
            out().println(CatalogJson.write(Map.of(server, CatalogJson.backup(entry.id(), info))));
            return ok();
        }
        Optional<Keep> keep = new KeepAnnotations(location.store(), location.layout()).read(entry.id());
        PrintWriter out = out();
        out.println("Backup " + entry.id() + ":");
        line(out, "Server Name", info.serverName());
        line(out, "System Id", info.systemid());
        line(out, "Status", info.status().name());
        line(out, "PostgreSQL Version", info.version());
        line(out, "PGDATA directory", info.pgdata());
        if (info.backupName() != null) {
            line(out, "Backup Name", info.backupName());
        }
        line(out, "Keep", keep.map(Keep::target).orElse("nokeep"));
        // backups cumulus-restore passes over: said here, so that a DBA reading this knows before a restore
        if (info.snapshotsInfo() != null) {
            line(out, "Snapshot backup", "yes, which cumulus-restore does not restore (barman-cloud-restore does)");
        }
        info.parentBackupId().ifPresent(parent -> line(out, "Parent Backup",
                parent + " (an incremental backup, which cumulus-restore does not restore)"));
        if (!info.childrenBackupIds().isEmpty()) {
            line(out, "Children Backups", String.join(", ", info.childrenBackupIds()));
        }
        if (!info.tablespaces().isEmpty()) {
            out.println();
            out.println("  Tablespaces:");
            for (Tablespace t : info.tablespaces()) {
                out.println("    " + t.name() + ": " + t.location() + " (oid: " + t.oid() + ")");
            }
        }
        out.println();
        out.println("  Base backup information:");
        line(out, "  Timeline", info.timeline());
        line(out, "  Begin WAL", info.beginWal());
        line(out, "  End WAL", info.endWal());
        // barman prints the datetime itself: str(), microseconds only when not zero
        line(out, "  Begin time", info.beginTime() == null ? null : PythonDateTime.format(info.beginTime()));
        line(out, "  End time", info.endTime() == null ? null : PythonDateTime.format(info.endTime()));
        copyTime(info.copyStats()).ifPresent(time -> line(out, "  Copy time", time));
        line(out, "  Begin Offset", info.beginOffset());
        line(out, "  End Offset", info.endOffset());
        line(out, "  Begin LSN", info.beginXlog());
        line(out, "  End LSN", info.endXlog());
        line(out, "  WAL segment size", info.xlogSegmentSize());
        if (info.error() != null) {
            out.println();
            line(out, "Error", info.error());
        }
        return ok();
    }

    /**
     * barman's "Copy time": copy_stats' copy_time in words, plus " + ... startup" when analysis_time is
     * a second or more; empty when there is no copy_time, or it is 0, as barman then prints no line.
     */
    static Optional<String> copyTime(Map<String, Object> copyStats) {
        if (!(copyStats.get("copy_time") instanceof Number copy) || copy.doubleValue() == 0) {
            return Optional.empty();
        }
        String time = inWords(copy.doubleValue());
        if (copyStats.get("analysis_time") instanceof Number analysis && analysis.doubleValue() >= 1) {
            time += " + " + inWords(analysis.doubleValue()) + " startup";
        }
        return Optional.of(time);
    }

    /**
     * barman's human_readable_timedelta(timedelta(seconds=s)): "1 hour, 2 minutes, 5 seconds", whole
     * units only (a timedelta keeps microseconds, so 59.9999999 is 1 minute), "less than one second"
     * under a second, " ago" when negative.
     */
    static String inWords(double seconds) {
        long micros = Math.round(Math.abs(seconds) * 1e6);
        long whole = micros / 1_000_000;
        List<String> parts = new ArrayList<>();
        unit(parts, whole / 86_400, "day");
        unit(parts, whole % 86_400 / 3600, "hour");
        unit(parts, whole % 86_400 / 60 % 60, "minute");
        unit(parts, whole % 60, "second");
        String words = micros < 1_000_000 ? "less than one second" : String.join(", ", parts);
        return seconds < 0 ? words + " ago" : words;
    }

    private static void unit(List<String> parts, long n, String name) {
        if (n > 0) {
            parts.add(n + " " + name + (n == 1 ? "" : "s"));
        }
    }

    private static void line(PrintWriter out, String label, Object value) {
        out.println(String.format(java.util.Locale.ROOT, "  %-24s: %s", label, value == null ? "None" : value));
    }

    public static void main(String[] args) {
        System.exit(run(new BackupShowCommand(), args));
    }
}
