package io.cumulus.cli.backup;

import io.cumulus.cli.StoreLocation;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.retention.CatalogSnapshot;
import java.io.IOException;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cumulus-backup-list}: the backups in the bucket, as barman-cloud-backup-list prints them
 * (reference §1.7): console lists DONE backups only, JSON lists every readable one. An unreadable
 * backup.info is a warning and the backup is left out, as barman does.
 */
@Command(name = "cumulus-backup-list", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "List the backups of a server in object storage.")
public final class BackupListCommand extends CatalogCommand {

    private static final String COLUMNS = "%-20s%-25s%-30s%-17s%-20s";
    private static final DateTimeFormatter END = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "console",
            description = "console (default: DONE backups in columns) or json (every backup, all fields); any"
                    + " value but console is json, as in barman-cloud.")
    String format;

    @Override
    int run(StoreLocation location) throws IOException {
        CatalogSnapshot snapshot = CatalogSnapshot.read(location.store(), location.layout(), id -> false);
        warnUnreadable(snapshot.unreadable());
        if (json(format)) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (CatalogBackup b : snapshot.backups()) {
                list.add(CatalogJson.backup(b.id(), b.info()));
            }
            out().println(CatalogJson.write(Map.of("backups_list", list)));
            return ok();
        }
        out().println(String.format(Locale.ROOT, COLUMNS, "Backup ID", "End Time", "Begin Wal", "Archival Status",
                "Name"));
        for (CatalogBackup b : snapshot.backups()) {
            if (b.status() != BackupStatus.DONE) {
                continue;
            }
            out().println(String.format(Locale.ROOT, COLUMNS, b.id(),
                    b.info().endTime() == null ? "" : END.format(b.info().endTime()),
                    b.info().beginWal() == null ? "" : b.info().beginWal(),
                    b.keep().map(k -> k.archivalStatus()).orElse(""),
                    b.info().backupName() == null ? "" : b.info().backupName()));
        }
        return ok();
    }

    public static void main(String[] args) {
        System.exit(run(new BackupListCommand(), args));
    }
}
