package io.cumulus.cli.backup;

import io.cumulus.cli.StoreLocation;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.restore.BackupCatalog;
import java.io.IOException;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cumulus-backup-keep}: writes, reads or releases a backup's keep annotation, the object
 * barman-cloud-backup-keep uses (reference §1.10, §2.5).
 */
@Command(name = "cumulus-backup-keep", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Keep a backup beyond any retention policy, show whether it is kept, or release it.")
public final class BackupKeepCommand extends CatalogWriteCommand {

    /** --target's values. */
    enum Target { full, standalone }

    // Not an exclusive @ArgGroup: picocli refuses a repeated member of a group (-s -s), which argparse
    // takes; checkInput() refuses two different members, as argparse's group does.
    static final class Action {
        @Option(names = "--target", paramLabel = "TARGET",
                description = "full (keep the backup and the WAL for recovery to any later point) or standalone"
                        + " (keep the backup and only the WAL that makes it consistent).")
        Target target;

        @Option(names = {"-r", "--release"},
                description = "Remove the keep: the backup is subject to retention again.")
        boolean release;

        @Option(names = {"-s", "--status"},
                description = "Print 'Keep: full', 'Keep: standalone' or 'Keep: nokeep'.")
        boolean status;
    }

    @Parameters(index = "2", paramLabel = "BACKUP_ID",
            description = "A backup id, a backup name, or latest/last/oldest/first/last-failed.")
    String backupId;

    @Mixin
    Action action;

    @Override
    void checkInput() {
        super.checkInput();
        exactlyOneOf("--release", "--status", "--target");
    }

    @Override
    int run(StoreLocation location) throws IOException {
        KeepAnnotations keeps = new KeepAnnotations(location.store(), location.layout());
        if (action.status) {
            BackupId id = annotated(location);
            out().println("Keep: " + keeps.read(id).map(Keep::target).orElse("nokeep"));
        } else if (action.release) {
            BackupId id = annotated(location);
            keeps.release(id);
            log.info("backup " + id + " is no longer kept");
        } else {
            BackupCatalog.Entry entry = resolve(location, backupId);
            if (entry.info().status() != BackupStatus.DONE) {
                throw new OperationFailedException("cannot keep backup " + entry.id() + ": its status is "
                        + entry.info().status() + ", and only DONE backups can be kept");
            }
            Keep keep = Keep.valueOf(action.target.name().toUpperCase(Locale.ROOT));
            keeps.keep(entry.id(), keep, writes());
            log.info("backup " + entry.id() + " is kept (keep:" + keep.target() + ")");
        }
        return ok();
    }

    /**
     * The backup whose annotation {@code -s} reads or {@code -r} deletes. An id is taken as it is,
     * as barman-cloud-backup-keep takes it: the annotation is found by its key, so a keep whose
     * backup.info is missing or cannot be read can still be shown and released. A name or shortcut
     * is looked up in the catalog.
     */
    private BackupId annotated(StoreLocation location) throws IOException {
        return BackupId.isBackupId(backupId) ? new BackupId(backupId) : resolve(location, backupId).id();
    }

    public static void main(String[] args) {
        System.exit(run(new BackupKeepCommand(), args));
    }
}
