package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.LAYOUT;
import static io.cumulus.core.retention.TestCatalog.id;
import static io.cumulus.core.retention.TestCatalog.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A backup killed before it stored any backup.info leaves archives that no listing shows: a policy
 * deletes them once a newer backup is DONE and nothing was written to them for a day, and never
 * touches what may be a backup still running.
 */
class IncompleteBackupTest {

    /** Objects are written at the real time; "later" is past the quiet period of every one of them. */
    private static final Instant LATER = Instant.now().plus(IncompleteBackup.QUIET).plusSeconds(3600);

    @Test
    void aPolicyDeletesTheArchivesOfABackupKilledBeforeANewerOneWasDone() throws Exception {
        InMemoryBlobStore store = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(2, 1, 30).segments(1, 10, 35).writeTo(store);
        BackupId killed = id(1);
        put(store, LAYOUT.backupPrefix(killed.value()) + "data.tar.gz", "half a backup");
        put(store, LAYOUT.backupPrefix(killed.value()) + "16385.tar.gz", "a tablespace");
        List<String> before = keys(store, "");

        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        assertEquals(List.of(killed), snapshot.incomplete().stream().map(IncompleteBackup::id).toList());
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), snapshot.incomplete(),
                CatalogSnapshot.walObjects(store, LAYOUT), RetentionPolicy.parse("REDUNDANCY 2"), LATER, 0);
        assertEquals(List.of(), plan.backupsToDelete(), "both DONE backups are kept");
        assertEquals(List.of(killed), plan.incompleteToDelete().stream().map(IncompleteBackup::id).toList());
        assertTrue(plan.incomplete().get(0).reason().contains("older than DONE backup " + id(2)),
                plan.incomplete().get(0).reason());

        PlanExecutor.Outcome outcome = new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan);
        assertEquals(1, outcome.incompleteDeleted());
        List<String> expected = new ArrayList<>(before);
        expected.removeIf(k -> k.startsWith(LAYOUT.backupPrefix(killed.value())));
        assertEquals(expected, keys(store, ""), "only the killed backup's objects went; WAL and backups stay");
        assertTrue(CatalogSnapshot.read(store, LAYOUT).incomplete().isEmpty());
    }

    @Test
    void whatMayBeABackupStillRunningIsKept() throws Exception {
        InMemoryBlobStore store = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(2, 1, 30).writeTo(store);
        put(store, LAYOUT.backupPrefix(id(1).value()) + "data.tar.gz", "being written");
        put(store, LAYOUT.backupPrefix(id(3).value()) + "data.tar.gz", "being written");
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        Instant now = Instant.now();

        // older than a DONE backup, but written to within the quiet period
        IncompleteBackup.Decision recent = snapshot.incomplete().get(0).underPolicy(snapshot.backups(), now);
        assertFalse(recent.delete());
        assertTrue(recent.reason().contains("may be a backup still running"), recent.reason());
        // newer than every DONE backup: kept however old its objects
        IncompleteBackup.Decision newest = snapshot.incomplete().get(1).underPolicy(snapshot.backups(), LATER);
        assertFalse(newest.delete());
        assertTrue(newest.reason().contains("no DONE backup is newer"), newest.reason());
        // named by -b: refused while it may be running, deleted once quiet
        assertFalse(snapshot.incomplete().get(1).named(now).delete());
        assertTrue(snapshot.incomplete().get(1).named(LATER).delete());
    }

    @Test
    void aDirectoryHoldingAKeepAnnotationIsNotTakenForADeadBackup() throws Exception {
        InMemoryBlobStore store = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(2, 1, 30).writeTo(store);
        put(store, LAYOUT.backupPrefix(id(1).value()) + "data.tar.gz", "?");
        put(store, LAYOUT.backupPrefix(id(1).value()) + "annotations/keep", "full");
        assertTrue(CatalogSnapshot.read(store, LAYOUT).incomplete().isEmpty());
    }

    @Test
    void onlyTheIncompleteDirectoriesAskedForAreRead() throws Exception {
        InMemoryBlobStore store = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(2, 1, 30).writeTo(store);
        put(store, LAYOUT.backupPrefix(id(1).value()) + "data.tar.gz", "killed");
        put(store, LAYOUT.backupPrefix(id(3).value()) + "data.tar.gz", "running");

        CatalogSnapshot named = CatalogSnapshot.read(store, LAYOUT, id -> id.equals(id(3)));
        assertEquals(List.of(id(3)), named.incomplete().stream().map(IncompleteBackup::id).toList(),
                "-b <id> reads the one it names");
        CatalogSnapshot listing = CatalogSnapshot.read(store, LAYOUT, id -> false);
        assertTrue(listing.incomplete().isEmpty(), "a listing reads none");
        assertEquals(List.of(id(0), id(2)), listing.backups().stream().map(b -> b.id()).toList());
        assertEquals(2, CatalogSnapshot.read(store, LAYOUT).incomplete().size(), "a policy reads every one");
    }

    /**
     * kill -9 during a backup's first archive on file:// leaves only the archive's hidden temporary file
     * (up to -S, 100 GiB by default) in the backup's directory: no object, so no listing showed it and
     * neither -b nor -r could remove it. It is an incomplete backup like any other.
     */
    @Test
    void aFileDirectoryHoldingOnlyAKilledWritersTemporaryFileIsAnIncompleteBackupThatDeletesRemove(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        try (BlobStore store = fileStoreWithTwoBackups(root)) {
            BackupId killed = id(1);
            java.nio.file.Path directory = root.resolve(LAYOUT.backupPrefix(killed.value()));
            java.nio.file.Files.createDirectories(directory);
            java.nio.file.Path temporary = directory.resolve(".cumulus-tmp-data.tar.0123456789abcdef");
            java.nio.file.Files.write(temporary, new byte[4096]);
            List<String> before = keys(store, "");

            // just written: may be a backup running, as for an object
            IncompleteBackup running = CatalogSnapshot.read(store, LAYOUT).incomplete().get(0);
            assertEquals(killed, running.id());
            assertEquals(List.of(), running.objects());
            assertEquals(4096, running.bytes());
            assertFalse(running.named(Instant.now()).delete());

            java.nio.file.Files.setLastModifiedTime(temporary, java.nio.file.attribute.FileTime.from(
                    Instant.now().minus(IncompleteBackup.QUIET).minusSeconds(3600)));
            CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT, id -> id.equals(killed));
            IncompleteBackup.Decision decision = snapshot.incomplete().get(0).named(Instant.now());
            assertTrue(decision.delete(), decision.reason());
            PlanExecutor.Outcome outcome = new PlanExecutor(store, LAYOUT, 1000, line -> { })
                    .execute(new RetentionPlan("-b " + killed, List.of(), List.of(), List.of(decision)));

            assertEquals(1, outcome.incompleteDeleted());
            assertFalse(java.nio.file.Files.exists(directory), "the temporary file went, and its directory");
            assertEquals(before, keys(store, ""), "nothing else went");
            assertTrue(CatalogSnapshot.read(store, LAYOUT).incomplete().isEmpty());
        }
    }

    /**
     * cumulus-backup claims its id with {@link BaseBackup#BACKUP_CLAIM} before anything else: killed
     * before its first archive was committed, it leaves a directory holding only that object. It is an
     * incomplete backup, kept while it may be running, and a delete removes the claim with the directory.
     */
    @Test
    void aDirectoryHoldingOnlyTheClaimOfAKilledBackupIsAnIncompleteBackupThatDeletesRemove(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path root) throws Exception {
        try (BlobStore store = fileStoreWithTwoBackups(root)) {
            BackupId killed = BaseBackup.newId(store, LAYOUT, java.time.Clock.fixed(
                    TestCatalog.DAY_ZERO.plusDays(1).toInstant(), java.time.ZoneOffset.UTC), java.util.Map.of());
            assertEquals(id(1), killed);
            String claim = LAYOUT.backupPrefix(killed.value()) + BaseBackup.BACKUP_CLAIM;
            List<String> before = keys(store, "");
            before.remove(claim);

            IncompleteBackup running = CatalogSnapshot.read(store, LAYOUT).incomplete().get(0);
            assertEquals(killed, running.id());
            assertFalse(running.underPolicy(CatalogSnapshot.read(store, LAYOUT).backups(), Instant.now()).delete(),
                    "just claimed: may be a backup running");

            java.nio.file.Files.setLastModifiedTime(root.resolve(claim), java.nio.file.attribute.FileTime.from(
                    Instant.now().minus(IncompleteBackup.QUIET).minusSeconds(3600)));
            CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
            RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), snapshot.incomplete(),
                    CatalogSnapshot.walObjects(store, LAYOUT), RetentionPolicy.parse("REDUNDANCY 2"), Instant.now(), 0);
            assertEquals(List.of(killed), plan.incompleteToDelete().stream().map(IncompleteBackup::id).toList());
            PlanExecutor.Outcome outcome = new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan);

            assertEquals(1, outcome.incompleteDeleted());
            assertFalse(java.nio.file.Files.exists(root.resolve(LAYOUT.backupPrefix(killed.value()))),
                    "the claim went, and its directory");
            assertEquals(before, keys(store, ""), "nothing else went");
        }
    }

    private static List<String> keys(BlobStore store, String prefix) throws IOException {
        List<String> keys = new ArrayList<>();
        BlobIterator it = store.list(prefix);
        while (it.hasNext()) {
            keys.add(it.next().key());
        }
        return keys;
    }

    /** A file:// store in {@code root} holding DONE backups 0 and 2, for a test to add what backup 1 left. */
    private static BlobStore fileStoreWithTwoBackups(java.nio.file.Path root) throws java.io.IOException {
        BlobStore store = io.cumulus.storage.file.FileBlobStores.open(new io.cumulus.storage.file.FileStoreConfig(root));
        new TestCatalog().done(0, 1, 10).done(2, 1, 30).writeTo(store);
        return store;
    }
}
