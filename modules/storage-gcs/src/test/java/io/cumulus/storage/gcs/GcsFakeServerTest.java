package io.cumulus.storage.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.storage.testkit.FakeGcsServer;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The storage contract over HTTP against build-support/fake-gcs.py, which answers as GCS does where
 * LocalStorageHelper cannot (buckets, preconditions, pages, composes, batches), and can fail chosen
 * calls: the GCS calls the store makes, retries included, run for real on every build with python3.
 */
class GcsFakeServerTest extends GcsJsonApiContractTest {

    private FakeGcsServer fake;

    @Override
    protected URI endpoint() {
        if (fake == null) {
            assumeTrue(FakeGcsServer.available(), "python3 is missing");
            fake = FakeGcsServer.start(true);
        }
        return fake.endpoint();
    }

    @AfterAll
    void stopFake() {
        if (fake != null) {
            fake.close();
        }
    }

    // ---------------------------------------------------------------- paging and batches, counted

    @Test
    void listPrefixesReadsEveryPage() throws IOException {
        int count = 2 * listPageSize() + 5;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            write(String.format("srv/base/2026%04d/backup.info", i), bytes(3, i));
            expected.add(String.format("srv/base/2026%04d/", i));
        }
        int listed = fake.calls("list");
        assertEquals(expected, store.listPrefixes("srv/base/"));
        assertEquals(3, fake.calls("list") - listed, "pages of " + listPageSize());
    }

    @Test
    void deletesGoInBatchRequests() throws IOException {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            keys.add("wal/" + i);
            write("wal/" + i, bytes(3, i));
        }
        int batches = fake.calls("batch");
        store.deleteAll(keys);
        assertEquals(2, fake.calls("batch") - batches, "batches of " + GcsStoreConfig.MAX_DELETE_BATCH_SIZE);
        assertTrue(listKeys("").isEmpty());
    }
}
