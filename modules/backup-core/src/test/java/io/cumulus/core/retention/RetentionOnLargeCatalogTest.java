package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.LAYOUT;
import static io.cumulus.core.retention.TestCatalog.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Retention end to end on a store: forty backups over two timelines (the second branching off the
 * first), two FAILED, one kept standalone, more than 12,000 WAL objects, read back, planned and
 * carried out; exactly the objects the rules of reference §6 free are gone.
 */
class RetentionOnLargeCatalogTest {

    /** begin segment of backup n: 300 segments apart, from segment 10. */
    private static long begin(int n) {
        return n * 300L + 10;
    }

    private static TestCatalog catalog() {
        TestCatalog c = new TestCatalog();
        for (int n = 0; n < 40; n++) {
            BackupStatus status = n == 7 || n == 33 ? BackupStatus.FAILED : BackupStatus.DONE;
            c.backup(n, status, n < 30 ? 1 : 2, begin(n), n == 12 ? Keep.STANDALONE : null);
        }
        return c.segments(1, 1, 9100).segments(2, 8950, 12100).walFile("00000002.history").backupHistoryFiles();
    }

    /** Whether an object of the WAL archive survives REDUNDANCY 4 on {@link #catalog()}. */
    private static boolean survives(WalName wal) {
        if (wal.kind() == WalName.Kind.HISTORY) {
            return true;
        }
        long s = TestCatalog.segmentNumber(wal.name());
        if (wal.timeline() == 1) {
            // cleaned up to the begin of backup 29, the last of timeline 1; backup 12's range kept
            return s >= begin(29) || s == begin(12) || s == begin(12) + 1;
        }
        // timeline 2 cleaned up to the begin of backup 36, the oldest of the four kept
        return s >= begin(36);
    }

    @Test
    void redundancyFourDeletesExactlyTheObsoleteBackupsAndTheWalOnlyTheyNeeded() throws IOException {
        TestCatalog built = catalog();
        assertTrue(built.wal.size() > 12_000);
        InMemoryBlobStore memory = new InMemoryBlobStore();
        built.writeTo(memory);
        Set<String> before = keys(memory, "");
        PagedStore store = new PagedStore(memory);

        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        List<WalObject> wal = CatalogSnapshot.walObjects(store, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), wal, RetentionPolicy.parse("REDUNDANCY 4"),
                Instant.parse("2026-03-01T00:00:00Z"), 0);
        PlanExecutor.Outcome outcome = new PlanExecutor(store, LAYOUT, 100, line -> { }).execute(plan);

        assertEquals(built.wal.size(), wal.size(), "every page of the WAL listing was read");
        assertTrue(store.pages > 12, "the listing came in pages of 1,000");
        List<BackupId> obsolete = IntStream.range(0, 36).filter(n -> n != 7 && n != 33 && n != 12)
                .mapToObj(TestCatalog::id).toList();
        assertEquals(obsolete, plan.backupsToDelete());
        assertEquals(obsolete.size(), outcome.backupsDeleted());
        assertEquals(List.of(), outcome.walLeft());
        assertTrue(store.largestBatch <= 100, "batches of at most --batch-size keys");

        Set<String> expected = new TreeSet<>();
        for (String key : before) {
            if (key.startsWith(LAYOUT.walsPrefix())) {
                if (survives(WalObject.of(key).orElseThrow().name())) {
                    expected.add(key);
                }
            } else if (obsolete.stream().noneMatch(bid -> key.startsWith(LAYOUT.backupPrefix(bid.value())))) {
                expected.add(key);
            }
        }
        assertEquals(expected, keys(memory, ""));
        assertEquals(Set.of(LAYOUT.backupPrefix(id(12).value()) + "annotations/keep"),
                keys(memory, "").stream().filter(k -> k.endsWith("/keep")).collect(Collectors.toSet()));
        assertEquals(before.size() - expected.size(), outcome.objectsDeleted() + outcome.walDeleted());
    }

    @Test
    void eachBackupGoesArchivesFirstAndBackupInfoAloneAfterThemThenItsWal() throws IOException {
        TestCatalog built = new TestCatalog().done(0, 1, 10).done(3, 1, 20).done(4, 1, 30).segments(1, 1, 25);
        InMemoryBlobStore memory = new InMemoryBlobStore();
        built.writeTo(memory);
        PagedStore store = new PagedStore(memory);
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        RetentionPlan plan = RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(store, LAYOUT),
                RetentionPolicy.parse("REDUNDANCY 1"), Instant.now(), 0);

        new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan);

        String b0 = LAYOUT.backupPrefix(id(0).value());
        String b3 = LAYOUT.backupPrefix(id(3).value());
        List<List<String>> expected = new ArrayList<>();
        expected.add(List.of(b0 + "data.tar.gz", b0 + "data_0001.tar.gz", b0 + "16384.tar.gz", b0 + "16385.tar.gz",
                b0 + "backup_manifest"));
        expected.add(List.of(b0 + "backup.info"));
        expected.add(IntStream.range(1, 20).mapToObj(s -> LAYOUT.walsPrefix() + "0000000100000000/"
                + TestCatalog.segment(1, s) + ".gz").toList());
        expected.add(List.of(b3 + "data.tar.gz", b3 + "data_0001.tar.gz", b3 + "16384.tar.gz", b3 + "16385.tar.gz",
                b3 + "backup_manifest"));
        expected.add(List.of(b3 + "backup.info"));
        expected.add(IntStream.range(20, 30).filter(s -> s <= 25).mapToObj(s -> LAYOUT.walsPrefix() + "0000000100000000/"
                + TestCatalog.segment(1, s) + ".gz").toList());
        assertEquals(expected, store.deleteCalls);
    }

    @Test
    void anUnreadableBackupInfoIsReportedNotSkipped() throws IOException {
        InMemoryBlobStore store = new InMemoryBlobStore();
        new TestCatalog().done(0, 1, 10).done(1, 1, 20).writeTo(store);
        TestCatalog.put(store, LAYOUT.backupPrefix(id(1).value()) + "backup.info", "status=DONE\ntimeline=one\n");

        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);

        assertEquals(List.of(id(0)), snapshot.backups().stream().map(CatalogBackup::id).toList());
        assertEquals(Set.of(id(1)), snapshot.unreadable().keySet());
    }

    private static Set<String> keys(BlobStore store, String prefix) throws IOException {
        Set<String> keys = new TreeSet<>();
        BlobIterator it = store.list(prefix);
        while (it.hasNext()) {
            keys.add(it.next().key());
        }
        return keys;
    }

    /** Counts listing pages of 1,000 as S3 serves them, and records every delete request. */
    private static final class PagedStore extends ForwardingBlobStore {
        int pages;
        int largestBatch;
        final List<List<String>> deleteCalls = new ArrayList<>();

        PagedStore(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public BlobIterator list(String prefix) throws IOException {
            BlobIterator inner = delegate().list(prefix);
            int[] served = {0};
            pages++;
            return BlobIterator.from(() -> {
                if (!inner.hasNext()) {
                    return null;
                }
                if (++served[0] % 1000 == 0) {
                    pages++;
                }
                return inner.next();
            });
        }

        @Override
        public void deleteAll(Collection<String> keys) throws IOException {
            deleteCalls.add(List.copyOf(keys));
            largestBatch = Math.max(largestBatch, keys.size());
            delegate().deleteAll(keys);
        }
    }
}
