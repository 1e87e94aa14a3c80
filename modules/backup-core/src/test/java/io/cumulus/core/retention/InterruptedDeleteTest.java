package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.LAYOUT;
import static io.cumulus.core.retention.TestCatalog.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@code -b} delete cut off after some of its backup's archives went: the backup must not stay
 * DONE, where a later retention run would count it and delete an older backup that can be restored.
 */
class InterruptedDeleteTest {

    private static final Instant NOW = TestCatalog.DAY_ZERO.plusDays(30).toInstant();

    @Test
    void aBackupWhoseDeleteWasCutOffIsFailedNotDoneAndTheSameDeleteFinishesIt() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        CuttingStore store = new CuttingStore(memory);

        // -b on the newest backup, cut off after its first batch of archives
        RetentionPlan one = single(store, id(2));
        assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(store, LAYOUT, 1, line -> { }).execute(one, true));
        CatalogSnapshot after = CatalogSnapshot.read(store, LAYOUT);
        assertEquals(BackupStatus.FAILED, after.backups().stream().filter(b -> b.id().equals(id(2))).findFirst()
                .orElseThrow().status(), "half-deleted, it is FAILED: no tool restores or counts it");

        // the nightly REDUNDANCY 2 now keeps both backups that can be restored
        store.cutting = false;
        RetentionPlan nightly = RetentionPlanner.byPolicy(after.backups(), CatalogSnapshot.walObjects(store, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);
        assertEquals(List.of(), nightly.backupsToDelete());

        // the same -b finishes the job
        new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(single(store, id(2)), true);
        assertTrue(keys(memory, LAYOUT.backupPrefix(id(2).value())).isEmpty());
    }

    @Test
    void aPolicysDeletionsAreNotRewrittenFirst() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        CuttingStore store = new CuttingStore(memory);
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(store, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);
        assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(store, LAYOUT, 1, line -> { }).execute(plan));
        // as with barman: the oldest backup stays DONE and obsolete, and the next run finishes it
        CatalogSnapshot after = CatalogSnapshot.read(store, LAYOUT);
        assertEquals(BackupStatus.DONE, after.backups().get(0).status());
        store.cutting = false;
        RetentionPlan next = RetentionPlanner.byPolicy(after.backups(), CatalogSnapshot.walObjects(store, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 2"), NOW, 0);
        assertEquals(List.of(id(0)), next.backupsToDelete());
    }

    /**
     * cumulus-backup-keep made while a policy's delete runs (it read the annotations before): the
     * backup kept since is not deleted, nor any backup or WAL planned after it.
     */
    @Test
    void aBackupKeptAfterThePlanWasMadeIsNotDeletedNorAnythingPlannedAfterIt() throws Exception {
        InMemoryBlobStore store = threeDoneBackups();
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(store, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        assertEquals(List.of(id(0), id(1)), plan.backupsToDelete());
        new io.cumulus.core.catalog.KeepAnnotations(store, LAYOUT).keep(id(1), io.cumulus.core.catalog.Keep.FULL,
                io.cumulus.storage.WriteOptions.DEFAULT);
        int walBefore = keys(store, LAYOUT.walsPrefix()).size();

        PlanExecutor.Outcome outcome = new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan);

        assertEquals(1, outcome.backupsDeleted());
        assertTrue(keys(store, LAYOUT.backupPrefix(id(0).value())).isEmpty());
        assertTrue(keys(store, LAYOUT.backupPrefix(id(1).value())).contains(LAYOUT.backupPrefix(id(1).value())
                + "backup.info"), "the backup kept since is there");
        assertTrue(outcome.stopped().orElseThrow().startsWith("backup " + id(1) + " was kept (keep:full)"),
                outcome.stopped().toString());
        assertEquals(walBefore - outcome.walDeleted(), keys(store, LAYOUT.walsPrefix()).size());
        RetentionPlan next = RetentionPlanner.byPolicy(CatalogSnapshot.read(store, LAYOUT).backups(),
                CatalogSnapshot.walObjects(store, LAYOUT), RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        assertEquals(List.of(), next.backupsToDelete(), "the next run keeps it too");
    }

    @Test
    void aSnapshotBackupIsNotDeletedForItsDiskSnapshotsWouldBeLeftBehind() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        String infoKey = LAYOUT.backupPrefix(id(0).value()) + "backup.info";
        io.cumulus.core.catalog.BackupInfo info = io.cumulus.core.catalog.BackupInfo.parse(
                memory.openRead(infoKey).readAllBytes());
        // as barman's SnapshotMetadata.to_dict() writes them: GCP names a snapshot by snapshot_name, AWS by snapshot_id
        TestCatalog.put(memory, infoKey, info.toBuilder().snapshotsInfo(java.util.Map.of("provider", "gcp",
                "snapshots", List.of(
                        java.util.Map.of("mount", java.util.Map.of("mount_point", "/opt/disk0", "mount_options", "rw"),
                                "provider", java.util.Map.of("device_name", "dev0", "snapshot_name", "pgdata-snap-1")),
                        java.util.Map.of("mount", java.util.Map.of("mount_point", "/opt/disk1", "mount_options", "rw"),
                                "provider", java.util.Map.of("device_name", "/dev/sdf", "snapshot_id", "snap-0a1b",
                                        "snapshot_name", "tag-only"))))).build().format());
        List<String> before = keys(memory, "");

        CatalogSnapshot snapshot = CatalogSnapshot.read(memory, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(memory, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(memory, LAYOUT, 1000, line -> { }).execute(plan));
        assertTrue(refused.getMessage().contains("snapshot backup (snapshots pgdata-snap-1, snap-0a1b)"), refused.getMessage());
        assertTrue(refused.getMessage().contains("barman-cloud-backup-delete -b " + id(0)), refused.getMessage());
        assertEquals(before, keys(memory, ""), "nothing deleted");
    }

    @Test
    void theParentOfAnIncrementalBackupIsNotDeletedForItsChildCouldNotBeRestored() throws Exception {
        InMemoryBlobStore memory = incrementalChain();
        List<String> before = keys(memory, "");
        OperationFailedException named = assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(memory, LAYOUT, 1000, line -> { }).execute(single(memory, id(1)), true));
        assertTrue(named.getMessage().startsWith("backup " + id(1) + " is the parent of incremental backup(s) "
                + id(2) + ", and Cumulus does not delete"), named.getMessage());
        assertTrue(named.getMessage().endsWith("delete it with Barman, which deletes the chain, then run this delete"
                + " again; nothing deleted"), named.getMessage());

        // REDUNDANCY 1 keeps the child, the newest, and would delete its parent
        CatalogSnapshot snapshot = CatalogSnapshot.read(memory, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(memory, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 1"), NOW, 0);
        assertEquals(List.of(id(0), id(1)), plan.backupsToDelete());
        OperationFailedException policy = assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(memory, LAYOUT, 1000, line -> { }).execute(plan));
        assertTrue(policy.getMessage().startsWith("backup " + id(1) + " is the parent"), policy.getMessage());
        assertEquals(before, keys(memory, ""), "nothing deleted, not even the older full backup");
    }

    @Test
    void anIncrementalBackupIsNotDeletedWithoutItsParent() throws Exception {
        InMemoryBlobStore memory = incrementalChain();
        List<String> before = keys(memory, "");
        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(memory, LAYOUT, 1000, line -> { }).execute(single(memory, id(2)), true));
        assertTrue(refused.getMessage().startsWith("backup " + id(2) + " is an incremental backup of " + id(1)),
                refused.getMessage());
        assertEquals(before, keys(memory, ""), "nothing deleted, backup.info not rewritten");
    }

    @Test
    void theFailedMarkKeepsTheKeysANewerBarmanWrote() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        String infoKey = LAYOUT.backupPrefix(id(2).value()) + "backup.info";
        String text = new String(memory.openRead(infoKey).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        TestCatalog.put(memory, infoKey, text + "cluster_size=41975808\ndata_checksums=on\nparent_backup_id=None\n");
        CuttingStore store = new CuttingStore(memory);

        assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(store, LAYOUT, 1, line -> { }).execute(single(store, id(2)), true));
        String marked = new String(memory.openRead(infoKey).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        io.cumulus.core.catalog.BackupInfo info = io.cumulus.core.catalog.BackupInfo.parse(marked);
        assertEquals(BackupStatus.FAILED, info.status());
        assertEquals(java.util.Map.of("cluster_size", "41975808", "data_checksums", "on", "parent_backup_id", "None"),
                info.newerKeys());
        List<String> names = marked.lines().map(line -> line.substring(0, line.indexOf('='))).toList();
        assertEquals(names.stream().sorted().toList(), names, "keys in barman's sorted order");
    }

    @Test
    void theFailedMarkIsWrittenWithTheTagsTheDeleteIsGiven() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        CuttingStore store = new CuttingStore(memory);
        java.util.Map<String, String> tags = java.util.Map.of("lifecycle", "pg-backups");

        assertThrows(OperationFailedException.class, () -> new PlanExecutor(store, LAYOUT, 1, line -> { },
                io.cumulus.storage.WriteOptions.DEFAULT.withTags(tags)).execute(single(store, id(2)), true));
        assertEquals(java.util.Optional.of(tags), memory.tags(LAYOUT.backupPrefix(id(2).value()) + "backup.info"),
                "a tag-based lifecycle rule still matches the half-deleted backup's backup.info");
    }

    /**
     * A refused FAILED mark (S3's DenyUnEncryptedObjectUploads answers as bad credentials do) stops the
     * delete before anything is deleted, with the store's reason, which names that policy on S3.
     */
    @Test
    void aRefusedFailedMarkGivesTheStoresReasonAndNothingIsDeleted() throws Exception {
        InMemoryBlobStore memory = threeDoneBackups();
        List<String> before = keys(memory, "");
        BlobStore refusing = new ForwardingBlobStore(memory) {
            @Override
            public io.cumulus.storage.BlobOutputStream openWrite(String key, io.cumulus.storage.WriteOptions options)
                    throws IOException {
                throw new java.nio.file.AccessDeniedException("access denied to s3://bkt/" + key
                        + ": check the credentials (AccessDenied); if they may write there, a bucket policy may"
                        + " require server-side encryption");
            }
        };

        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> new PlanExecutor(refusing, LAYOUT, 1000, line -> { }).execute(single(refusing, id(2)), true));
        assertEquals("could not mark backup " + id(2) + " as being deleted (access denied to s3://bkt/"
                + LAYOUT.backupPrefix(id(2).value()) + "backup.info: check the credentials (AccessDenied); if they"
                + " may write there, a bucket policy may require server-side encryption): nothing deleted",
                refused.getMessage());
        assertEquals(before, keys(memory, ""));
    }

    /**
     * Backups 0 and 1 full, 2 an increment of 1, as barman >= 3.11 records them: the child names its
     * parent, the parent its children.
     */
    private static InMemoryBlobStore incrementalChain() throws IOException {
        InMemoryBlobStore memory = threeDoneBackups();
        appendToInfo(memory, id(1), "backup_type=full\nchildren_backup_ids=" + id(2) + "\nparent_backup_id=None\n");
        appendToInfo(memory, id(2), "backup_type=incremental\nchildren_backup_ids=None\nparent_backup_id=" + id(1) + "\n");
        return memory;
    }

    /** Backups 0, 1 and 2 DONE, with segments 10 to 35 of timeline 1. */
    private static InMemoryBlobStore threeDoneBackups() throws IOException {
        InMemoryBlobStore memory = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(1, 1, 20).done(2, 1, 30).segments(1, 10, 35).writeTo(memory);
        return memory;
    }

    private static void appendToInfo(BlobStore store, io.cumulus.core.catalog.BackupId id, String lines)
            throws IOException {
        String key = LAYOUT.backupPrefix(id.value()) + "backup.info";
        String text = new String(store.openRead(key).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        TestCatalog.put(store, key, text + lines);
    }

    private static RetentionPlan single(BlobStore store, io.cumulus.core.catalog.BackupId id) throws IOException {
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        return RetentionPlanner.single(snapshot.backups(), id, CatalogSnapshot.walObjects(store, LAYOUT), 0);
    }

    private static List<String> keys(BlobStore store, String prefix) throws IOException {
        List<String> keys = new java.util.ArrayList<>();
        var it = store.list(prefix);
        while (it.hasNext()) {
            keys.add(it.next().key());
        }
        return keys;
    }

    /** Deletes the first batch it is given, then fails every later one while {@link #cutting}: a process cut off. */
    private static final class CuttingStore extends ForwardingBlobStore {
        boolean cutting = true;
        private int batches;

        CuttingStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public void deleteAll(Collection<String> keys) throws IOException {
            if (cutting && batches++ > 0) {
                throw new IOException("connection reset");
            }
            delegate().deleteAll(keys);
        }
    }
}
