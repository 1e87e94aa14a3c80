package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.LAYOUT;
import static io.cumulus.core.retention.TestCatalog.id;
import static io.cumulus.core.retention.TestCatalog.segment;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BatchDeleteException;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What becomes of WAL a delete could not remove, as cumulus-backup-delete's message and
 * docs/catalog.md say: a second run does not retry it (it plans WAL only for the backups it deletes),
 * and the deletion of the oldest backup that remains removes it with the WAL it frees.
 */
class WalLeftBehindTest {

    private static final Instant NOW = TestCatalog.DAY_ZERO.plusDays(30).toInstant();

    @Test
    void walThatCouldNotBeDeletedStaysThroughAReRunAndGoesWithTheOldestBackupsDeletion() throws Exception {
        TestCatalog built = new TestCatalog().done(0, 1, 10).done(1, 1, 20).done(2, 1, 30).segments(1, 10, 35);
        InMemoryBlobStore memory = new InMemoryBlobStore();
        built.writeTo(memory);
        String stuck = LAYOUT.walDirectory(WalName.parse(segment(1, 12))) + segment(1, 12) + ".gz";
        RefusingStore store = new RefusingStore(memory, stuck);
        RetentionPolicy policy = RetentionPolicy.parse("REDUNDANCY 2");

        PlanExecutor.Outcome first = new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan(store, policy));
        assertEquals(1, first.backupsDeleted());
        assertEquals(List.of(stuck), first.walLeft());

        // the same delete again: backup 0 is gone, so nothing plans the WAL it freed
        store.refusing = false;
        RetentionPlan again = plan(store, policy);
        assertEquals(List.of(), again.backupsToDelete());
        assertEquals(List.of(), again.walToDelete());
        assertTrue(memory.stat(stuck).isPresent());

        // deleting the oldest backup left frees the WAL before the next one's begin, the stuck object with it
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        RetentionPlan oldest = RetentionPlanner.single(snapshot.backups(), id(1),
                CatalogSnapshot.walObjects(store, LAYOUT), 0);
        assertTrue(oldest.walToDelete().stream().anyMatch(w -> w.key().equals(stuck)), oldest.walToDelete()::toString);
        new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(oldest);
        assertTrue(memory.stat(stuck).isEmpty());
    }

    private static RetentionPlan plan(BlobStore store, RetentionPolicy policy) throws IOException {
        CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
        return RetentionPlanner.byPolicy(snapshot.backups(), CatalogSnapshot.walObjects(store, LAYOUT), policy, NOW, 0);
    }

    /** Deletes everything but one key, while {@link #refusing}. */
    private static final class RefusingStore extends ForwardingBlobStore {
        private final String refused;
        boolean refusing = true;

        RefusingStore(BlobStore delegate, String refused) {
            super(delegate);
            this.refused = refused;
        }

        @Override
        public void deleteAll(Collection<String> keys) throws IOException {
            if (refusing && keys.contains(refused)) {
                delegate().deleteAll(keys.stream().filter(k -> !k.equals(refused)).toList());
                throw new BatchDeleteException(List.of(refused), new IOException("access denied"));
            }
            delegate().deleteAll(keys);
        }
    }
}
