package io.cumulus.cli.backup;

import io.cumulus.cli.StoreLocation;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.restore.BaseRestore;
import io.cumulus.core.restore.RestoreListener;
import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
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
            Optional<Keep> keep = keeps.read(id);
            if (keep.isPresent() && !hasBackupInfo(location, id)) {
                log.warning("backup " + id + " has a keep annotation but no backup.info: it was deleted, or a"
                        + " cumulus-backup-delete is deleting it; release the annotation with -r");
            }
            out().println("Keep: " + keep.map(Keep::target).orElse("nokeep"));
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
            checkStillStored(location, entry, keeps);
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

    /**
     * A cumulus-backup-delete that read the catalog before the annotation was written deletes the
     * backup anyway, archives first and backup.info last: looked at after the write, a backup whose
     * archives or backup.info are going is being deleted, and its annotation is removed again rather
     * than left alone for {@code -s} to show.
     */
    private static void checkStillStored(StoreLocation location, BackupCatalog.Entry entry, KeepAnnotations keeps)
            throws IOException {
        String missing = null;
        if (!hasBackupInfo(location, entry.id())) {
            missing = "its backup.info is gone";
        } else if (entry.info().unrestorableKind().isEmpty()) {
            try {
                new BaseRestore(location.store(), location.layout(), 1, RestoreListener.NONE).checkStored(entry);
            } catch (OperationFailedException e) {
                missing = e.getMessage();
            }
        }
        if (missing != null) {
            keeps.release(entry.id());
            throw new OperationFailedException("cannot keep backup " + entry.id() + ": " + missing + " (a"
                    + " cumulus-backup-delete deleting it now?); nothing is kept");
        }
    }

    private static boolean hasBackupInfo(StoreLocation location, BackupId id) throws IOException {
        return location.store().stat(location.layout().backupPrefix(id.value()) + "backup.info").isPresent();
    }

    public static void main(String[] args) {
        System.exit(run(new BackupKeepCommand(), args));
    }
}
