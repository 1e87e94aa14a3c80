package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalPrefetcherTest {
    private static final long SEGMENT = 1L << 20;
    private static final ServerLayout LAYOUT = new ServerLayout("", "pg");

    @TempDir
    Path spoolDir;

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final List<String> failures = new CopyOnWriteArrayList<>();

    private byte[] archive(String name) throws IOException {
        byte[] content = new byte[(int) SEGMENT];
        new Random(name.hashCode()).nextBytes(content);
        WalName wal = WalName.parse(name);
        ObjectWrites.write(store, LAYOUT.walKey(wal, io.cumulus.core.compress.Compression.NONE), WriteOptions.DEFAULT,
                out -> out.write(content));
        return content;
    }

    private WalPrefetcher prefetcher(RestoreSpool spool) {
        return new WalPrefetcher(new WalRestorer(store, LAYOUT), spool, 3, new WalPrefetcher.Listener() {
            @Override
            public void fetched(String wal) {
            }

            @Override
            public void failed(String wal, Exception failure) {
                failures.add(wal);
            }
        });
    }

    @Test
    void fetchesTheFollowingSegmentsUpToTheEndOfTheArchive() throws Exception {
        for (int i = 1; i <= 5; i++) {
            archive(String.format("0000000100000000000000%02X", i));
        }
        RestoreSpool spool = new RestoreSpool(spoolDir).open("s3://b/p pg");
        int fetched = prefetcher(spool).prefetch(WalName.parse("000000010000000000000001"), 8, SEGMENT);
        assertEquals(4, fetched);
        assertEquals(List.of("000000010000000000000002", "000000010000000000000003", "000000010000000000000004",
                "000000010000000000000005"), spool.segments());
        assertEquals(List.of(), failures);
    }

    @Test
    void aSpooledSegmentIsMovedIntoPlaceWithItsContent() throws Exception {
        archive("000000010000000000000001");
        byte[] second = archive("000000010000000000000002");
        RestoreSpool spool = new RestoreSpool(spoolDir).open("s3://b/p pg");
        prefetcher(spool).prefetch(WalName.parse("000000010000000000000001"), 2, SEGMENT);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertTrue(spool.take("000000010000000000000002", dest));
        assertArrayEquals(second, Files.readAllBytes(dest));
        assertFalse(spool.contains("000000010000000000000002"));
        assertFalse(spool.take("000000010000000000000003", dest));
    }

    @Test
    void discardsWhatRecoveryNoLongerNeedsIncludingOlderTimelines() throws Exception {
        RestoreSpool spool = new RestoreSpool(spoolDir).open("src");
        for (String name : List.of("000000010000000000000007", "000000010000000000000008", "000000020000000000000008",
                "000000020000000000000009")) {
            Files.write(spool.pathOf(name), new byte[1]);
        }
        spool.discardBefore("000000020000000000000009");
        assertEquals(List.of("000000020000000000000009"), spool.segments());
    }

    @Test
    void aSpoolFilledFromAnotherArchiveStartsEmpty() throws Exception {
        RestoreSpool spool = new RestoreSpool(spoolDir).open("s3://one pg");
        Files.write(spool.pathOf("000000010000000000000007"), new byte[1]);
        assertEquals(1, new RestoreSpool(spoolDir).open("s3://one pg").segments().size());
        assertEquals(0, new RestoreSpool(spoolDir).open("s3://two pg").segments().size());
    }

    @Test
    void neverLeavesAPartialDownloadUnderASegmentName() throws Exception {
        // A truncated object (not a segment size) is refused by the restorer: nothing appears in the spool.
        ObjectWrites.write(store, "pg/wals/0000000100000000/000000010000000000000002", WriteOptions.DEFAULT,
                out -> out.write(new byte[1000]));
        RestoreSpool spool = new RestoreSpool(spoolDir).open("src");
        assertEquals(0, prefetcher(spool).prefetch(WalName.parse("000000010000000000000001"), 1, SEGMENT));
        assertEquals(List.of(), spool.segments());
        assertEquals(List.of("000000010000000000000002"), failures);
        try (var files = Files.list(spool.directory())) {
            assertEquals(List.of(".source"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
