package io.cumulus.core.retention;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BatchDeleteException;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.UnfinishedWrites;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Carries out a {@link RetentionPlan} in barman-cloud's order (reference §6.5): for each backup,
 * oldest first, its archives (PGDATA, then tablespaces by OID, parts in key order) and any other
 * object of its directory, then its {@code backup.info} alone, then the WAL its deletion frees. A
 * delete interrupted at any point leaves a catalog that the same command finishes: a backup whose
 * backup.info is still there is found and deleted again. Directories that never got a backup.info
 * and that the plan condemns ({@link IncompleteBackup}) go last, object by object.
 */
public final class PlanExecutor {

    /** The keep annotations, never deleted: a kept backup is refused before anything is removed. */
    private static final String ANNOTATIONS = "annotations/";

    private final BlobStore store;
    private final ServerLayout layout;
    private final int batchSize;
    private final Consumer<String> progress;
    private final WriteOptions writes;

    /**
     * @param batchSize at most this many keys per delete request
     * @param progress receives one line per step, for the log
     */
    public PlanExecutor(BlobStore store, ServerLayout layout, int batchSize, Consumer<String> progress) {
        this(store, layout, batchSize, progress, WriteOptions.DEFAULT);
    }

    /**
     * @param writes how the one object a delete writes, the FAILED mark, is written: with the tags the
     *     backup was written with (its encryption is the store's)
     */
    public PlanExecutor(BlobStore store, ServerLayout layout, int batchSize, Consumer<String> progress,
                        WriteOptions writes) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
        }
        this.store = Objects.requireNonNull(store, "store");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.batchSize = batchSize;
        this.progress = Objects.requireNonNull(progress, "progress");
        this.writes = Objects.requireNonNull(writes, "writes");
    }

    /**
     * What {@link #execute} did.
     *
     * @param incompleteDeleted the directories without backup.info deleted ({@link IncompleteBackup})
     * @param stopped why the deletions stopped before the plan's end: a backup it was to delete got a
     *     keep annotation since the plan was made
     */
    public record Outcome(int backupsDeleted, long objectsDeleted, long walDeleted, List<String> walLeft,
                          int incompleteDeleted, Optional<String> stopped) {
        public Outcome {
            walLeft = List.copyOf(walLeft);
            Objects.requireNonNull(stopped, "stopped");
        }
    }

    /**
     * The objects of a backup in the order they are deleted, {@code backup.info} last; the keep
     * annotation is not among them.
     */
    public List<String> objectsOf(RetentionPlan.Deletion deletion) throws IOException {
        String prefix = layout.backupPrefix(deletion.id().value());
        List<String> keys = new ArrayList<>();
        BlobIterator it = store.list(prefix);
        while (it.hasNext()) {
            String key = it.next().key();
            String name = key.substring(prefix.length());
            if (!name.startsWith(ANNOTATIONS) && !name.equals("backup.info")) {
                keys.add(key);
            }
        }
        List<String> archiveBases = new ArrayList<>();
        archiveBases.add("data");
        deletion.backup().info().tablespaces().stream().map(Tablespace::oid).sorted()
                .forEach(oid -> archiveBases.add(Long.toString(oid)));
        keys.sort(Comparator.comparingInt((String key) -> rank(key.substring(prefix.length()), archiveBases))
                .thenComparing(Comparator.naturalOrder()));
        keys.add(prefix + "backup.info");
        return keys;
    }

    /**
     * The position of an object among a backup's archives: the main file of the n-th series at 2n,
     * its continuation parts at 2n + 1, anything else after every archive.
     */
    private static int rank(String name, List<String> archiveBases) {
        for (int i = 0; i < archiveBases.size(); i++) {
            String base = archiveBases.get(i);
            if (name.startsWith(base + ".")) {
                return 2 * i;
            }
            if (name.startsWith(base + "_")) {
                return 2 * i + 1;
            }
        }
        return 2 * archiveBases.size();
    }

    /**
     * Deletes what the plan says, in order. A backup whose objects cannot all be deleted stops
     * everything, with its backup.info still in place; WAL that cannot be deleted is reported in the
     * outcome and the next backups are still deleted.
     *
     * @throws OperationFailedException when a backup's objects could not be deleted
     */
    public Outcome execute(RetentionPlan plan) throws IOException {
        return execute(plan, false);
    }

    /**
     * As {@link #execute(RetentionPlan)}; with {@code markFailedFirst}, a DONE backup's backup.info is
     * first rewritten with status FAILED, so that a delete interrupted after some of its archives went
     * (a crash, kill -9) does not leave a DONE backup that cannot be restored: barman-cloud and Cumulus
     * then ignore it for {@code latest}, listings of what to restore and every retention count, and
     * {@code -b} with its id finishes the job. {@code -b} asks for this: the backup it names may be
     * newer than others, which a later {@code -r} would delete while counting the broken one. A
     * policy's deletions go oldest first and stay obsolete when interrupted, as with barman.
     */
    public Outcome execute(RetentionPlan plan, boolean markFailedFirst) throws IOException {
        refuseBackupsOnlyBarmanDeletes(plan);
        int backups = 0;
        long objects = 0;
        long wal = 0;
        List<String> walLeft = new ArrayList<>();
        Optional<String> stopped = Optional.empty();
        KeepAnnotations keeps = new KeepAnnotations(store, layout);
        for (int index = 0; index < plan.deletions().size(); index++) {
            RetentionPlan.Deletion deletion = plan.deletions().get(index);
            BackupId id = deletion.id();
            Optional<Keep> keptSince = keeps.read(id);
            if (keptSince.isPresent()) {
                // cumulus-backup-keep ran since the plan was read; the WAL planned for the deletions
                // after this one assumes this backup gone, so they wait for the next run too
                stopped = Optional.of("backup " + id + " was kept (keep:" + keptSince.get().target()
                        + ") after this delete read the catalog: it"
                        + (index + 1 == plan.deletions().size() ? " is" : " and the " + (plan.deletions().size()
                                - index - 1) + " backup(s) after it in the plan are") + " not deleted; run the"
                        + " delete again to apply the policy with that keep");
                break;
            }
            List<String> keys = objectsOf(deletion);
            List<String> archives = keys.subList(0, keys.size() - 1);
            if (markFailedFirst && deletion.backup().status() == BackupStatus.DONE) {
                markBeingDeleted(deletion, keys.get(keys.size() - 1));
            }
            try {
                deleteInBatches(archives);
                deleteInBatches(List.of(keys.get(keys.size() - 1)));
            } catch (IOException e) {
                throw new OperationFailedException("could not delete backup " + id + " (" + e.getMessage()
                        + "); its backup.info is kept, so running the same delete again finishes it", e);
            }
            backups++;
            objects += keys.size();
            progress.accept("deleted backup " + id + " (" + keys.size() + " objects)");
            if (deletion.freed().count() == 0) {
                progress.accept("backup " + id + ": " + deletion.walReason());
                continue;
            }
            WalSweep swept = deleteWal(plan, index);
            walLeft.addAll(swept.failed);
            wal += swept.deleted;
            progress.accept("deleted " + swept.deleted + " WAL objects freed by backup " + id
                    + ", " + deletion.freed().first().name() + " to " + deletion.freed().last().name()
                    + (swept.failed.isEmpty() ? "" : "; " + swept.failed.size() + " could not be deleted: "
                            + swept.firstFailure.getMessage()));
        }
        int incomplete = 0;
        for (IncompleteBackup dead : plan.incompleteToDelete()) {
            List<String> keys = dead.objects().stream().map(BlobInfo::key).toList();
            try {
                deleteInBatches(keys);
                for (BlobInfo leftover : dead.unfinishedWrites()) {
                    // only a store with unfinished writes listed them: file://'s temporary files
                    ((UnfinishedWrites) store).deleteUnfinishedWrite(leftover.key());
                }
            } catch (IOException e) {
                throw new OperationFailedException("could not delete the objects of incomplete backup " + dead.id()
                        + " (" + e.getMessage() + "); running the same delete again finishes it", e);
            }
            incomplete++;
            objects += keys.size();
            progress.accept("deleted incomplete backup " + dead.id() + " (" + keys.size() + " objects"
                    + (dead.unfinishedWrites().isEmpty() ? ""
                            : " and " + dead.unfinishedWrites().size() + " unfinished write(s)")
                    + ", no backup.info)");
        }
        return new Outcome(backups, objects, wal, walLeft, incomplete, stopped);
    }

    /**
     * Refuses, before anything is deleted, a plan that deletes a backup Cumulus cannot delete whole
     * (skipping it would not do: the WAL planned for the deletions after it assumes it gone). A dry
     * run calls this too, so that it shows the refusal the delete would meet.
     *
     * <ul>
     *   <li>A snapshot backup: barman-cloud deletes its disk snapshots (in the cloud account, not the
     *       bucket) before its objects; Cumulus has no snapshot support, and deleting the objects alone
     *       would leave the snapshots with nothing pointing to them, billed and forgotten.
     *   <li>A backup in a chain of incremental backups (barman >= 3.11, PostgreSQL 17): an increment
     *       cannot be restored without its parent, and the parent's backup.info lists its children;
     *       deleting either side alone leaves a backup that cannot be restored or a catalog that
     *       names backups that are gone. Barman deletes the chain as a whole.
     * </ul>
     */
    public static void refuseBackupsOnlyBarmanDeletes(RetentionPlan plan) throws OperationFailedException {
        for (RetentionPlan.Deletion deletion : plan.deletions()) {
            BackupInfo info = deletion.backup().info();
            Map<String, Object> snapshots = info.snapshotsInfo();
            if (snapshots != null) {
                throw new OperationFailedException("backup " + deletion.id() + " is a snapshot backup" + identifiers(snapshots)
                        + ", and Cumulus does not delete disk snapshots: delete it with barman-cloud-backup-delete -b "
                        + deletion.id() + ", which removes them too, then run this delete again; nothing deleted");
            }
            List<String> links = new ArrayList<>();
            info.parentBackupId().ifPresent(parent -> links.add("an incremental backup of " + parent));
            if (!info.childrenBackupIds().isEmpty()) {
                links.add("the parent of incremental backup(s) " + String.join(", ", info.childrenBackupIds()));
            } else if (links.isEmpty() && info.isIncremental()) {
                links.add("an incremental backup");
            }
            if (!links.isEmpty()) {
                throw new OperationFailedException("backup " + deletion.id() + " is " + String.join(" and ", links)
                        + ", and Cumulus does not delete incremental backups or their parents (one cannot be restored"
                        + " without the other): delete it with Barman, which deletes the chain, then run this delete"
                        + " again; nothing deleted");
            }
        }
    }

    /**
     * " (snapshots a, b)" from barman's snapshots_info, or nothing when it names none. Each snapshot is
     * barman's SnapshotMetadata.to_dict(), {'mount': {...}, 'provider': {...}}: AWS names it by
     * snapshot_id (its snapshot_name is only a tag), Azure and GCP by snapshot_name.
     */
    private static String identifiers(Map<String, Object> snapshotsInfo) {
        List<String> names = new ArrayList<>();
        if (snapshotsInfo.get("snapshots") instanceof List<?> list) {
            for (Object snapshot : list) {
                if (snapshot instanceof Map<?, ?> map && map.get("provider") instanceof Map<?, ?> provider) {
                    Object name = provider.get("snapshot_id") != null ? provider.get("snapshot_id")
                            : provider.get("snapshot_name");
                    if (name != null) {
                        names.add(name.toString());
                    }
                }
            }
        }
        return names.isEmpty() ? "" : " (snapshots " + String.join(", ", names) + ")";
    }

    private void markBeingDeleted(RetentionPlan.Deletion deletion, String infoKey) throws IOException {
        BackupInfo failed = deletion.backup().info().toBuilder().status(BackupStatus.FAILED)
                .error("being deleted by cumulus-backup-delete, which did not finish: run cumulus-backup-delete -b "
                        + deletion.id() + " again")
                .build();
        try {
            ObjectWrites.write(store, infoKey, writes,
                    failed.formatKeepingNewerKeys().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new OperationFailedException("could not mark backup " + deletion.id() + " as being deleted ("
                    + e.getMessage() + "): nothing deleted", e);
        }
        progress.accept("backup " + deletion.id() + " marked FAILED while its objects are deleted");
    }

    /** What the deletion of one backup's WAL did. */
    private static final class WalSweep {
        long deleted;
        final List<String> failed = new ArrayList<>();
        IOException firstFailure;
    }

    /**
     * The WAL objects the {@code index}-th deletion of {@code plan} frees, from a new listing of
     * {@code wals/}, fetched as they are asked for and never held: those whose first freeing deletion
     * in the plan is that one (what an earlier one freed is gone, or was left and reported), up to the
     * last key the plan found, where the listing stops.
     */
    public BlobIterator walOf(RetentionPlan plan, int index) throws IOException {
        String lastListed = plan.deletions().get(index).freed().lastListed();
        if (lastListed == null) {
            return BlobIterator.empty();
        }
        BlobIterator listing = store.list(layout.walsPrefix());
        return BlobIterator.from(() -> {
            while (listing.hasNext()) {
                BlobInfo object = listing.next();
                if (BlobStore.KEY_ORDER.compare(object.key(), lastListed) > 0) {
                    return null;
                }
                Optional<WalObject> wal = WalObject.of(object.key());
                if (wal.isPresent() && plan.freedBy(wal.get().name()) == index) {
                    return object;
                }
            }
            return null;
        });
    }

    /** Deletes {@link #walOf} the deletion, handing the keys to the store in batches as the listing yields them. */
    private WalSweep deleteWal(RetentionPlan plan, int index) throws IOException {
        WalSweep swept = new WalSweep();
        List<String> batch = new ArrayList<>(batchSize);
        BlobIterator wal = walOf(plan, index);
        while (wal.hasNext()) {
            batch.add(wal.next().key());
            if (batch.size() == batchSize) {
                deleteWalBatch(batch, swept);
            }
        }
        if (!batch.isEmpty()) {
            deleteWalBatch(batch, swept);
        }
        return swept;
    }

    private void deleteWalBatch(List<String> batch, WalSweep swept) throws IOException {
        try {
            store.deleteAll(batch);
            swept.deleted += batch.size();
        } catch (BatchDeleteException e) {
            swept.failed.addAll(e.failedKeys());
            swept.deleted += batch.size() - e.failedKeys().size();
            swept.firstFailure = swept.firstFailure == null ? e : swept.firstFailure;
        }
        batch.clear();
    }

    private void deleteInBatches(List<String> keys) throws IOException {
        for (int start = 0; start < keys.size(); start += batchSize) {
            store.deleteAll(keys.subList(start, Math.min(keys.size(), start + batchSize)));
        }
    }
}
