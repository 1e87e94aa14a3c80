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

    private static void line(PrintWriter out, String label, Object value) {
        out.println(String.format(java.util.Locale.ROOT, "  %-24s: %s", label, value == null ? "None" : value));
    }

    public static void main(String[] args) {
        System.exit(run(new BackupShowCommand(), args));
    }
}
