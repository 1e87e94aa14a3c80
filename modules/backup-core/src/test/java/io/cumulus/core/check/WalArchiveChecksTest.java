package io.cumulus.core.check;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class WalArchiveChecksTest {

    private static final long MB16 = 16L << 20;
    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final ServerLayout layout = new ServerLayout("pfx", "main");

    private void put(String relativeKey, String content) throws IOException {
        try (BlobOutputStream out = store.openWrite(layout.walsPrefix() + relativeKey, WriteOptions.DEFAULT)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void putWal(String name, Compression compression) throws IOException {
        WalName wal = WalName.parse(name);
        try (OutputStream out = compression.compress(store.openWrite(layout.walKey(wal, compression),
                WriteOptions.DEFAULT), CompressionLevel.MEDIUM)) {
            out.write(name.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void segments(long timeline, long from, long to) throws IOException {
        for (long s = from; s <= to; s++) {
            putWal(WalName.segment(timeline, 0, s).name(), Compression.GZIP);
        }
    }

    private WalArchiveIndex index() throws IOException {
        return WalArchiveIndex.scan(store, layout, MB16);
    }

    private WalContinuity.HistorySource histories(WalArchiveIndex index) {
        return timeline -> {
            Optional<String> key = index.historyKey(timeline);
            if (key.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream in = Compression.ofSuffix(key.get()).orElse(Compression.NONE)
                    .decompress(store.openRead(key.get()))) {
                return Optional.of(TimelineHistory.parse(timeline, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
        };
    }

    @Test
    void emptyPrefixPassesWithAndWithoutTimeline() throws IOException {
        put("README", "not a WAL");
        WalArchiveIndex index = index();
        assertDoesNotThrow(() -> ArchiveEmptiness.check(index, OptionalLong.empty(), "x"));
        assertDoesNotThrow(() -> ArchiveEmptiness.check(index, OptionalLong.of(1), "x"));
    }

    @Test
    void anyWalFailsWithoutTimelineAndOnlyTheSameOrNewerTimelineFailsWithOne() throws IOException {
        putWal("000000020000000000000003", Compression.NONE);
        putWal("00000002.history", Compression.NONE);
        WalArchiveIndex index = index();
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> ArchiveEmptiness.check(index, OptionalLong.empty(), "x"));
        assertTrue(e.getMessage().startsWith("Expected empty archive"), e.getMessage());
        assertDoesNotThrow(() -> ArchiveEmptiness.check(index, OptionalLong.of(3), "x"));
        e = assertThrows(OperationFailedException.class, () -> ArchiveEmptiness.check(index, OptionalLong.of(2), "x"));
        assertTrue(e.getMessage().contains("Found 2 file(s) in WAL archive equal to or newer than timeline 2"),
                e.getMessage());
        assertThrows(OperationFailedException.class, () -> ArchiveEmptiness.check(index, OptionalLong.of(1), "x"));
    }

    @Test
    void everyCompressionSuffixIsSeenAndUnknownSuffixesAreNot() throws IOException {
        for (Compression c : Compression.values()) {
            putWal(WalName.segment(1, 0, c.ordinal() + 1).name(), c);
        }
        put("0000000100000000/000000010000000000000009.rar", "x");
        assertEquals(Compression.values().length, index().walObjects());
    }

    @Test
    void onlyZstdObjectsAreNotAnEmptyArchive() throws IOException {
        putWal("000000010000000000000001", Compression.ZSTD);
        assertThrows(OperationFailedException.class, () -> ArchiveEmptiness.check(index(), OptionalLong.empty(), "x"));
    }

    @Test
    void completeChainOnOneTimelinePassesAcrossALogBoundary() throws IOException {
        // segments FE, FF of log 0 and 00, 01 of log 1 with 16 MiB segments (256 per log)
        putWal("0000000100000000000000FE", Compression.GZIP);
        try (OutputStream out = store.openWrite(layout.walsPrefix() + "0000000100000000/0000000100000000000000FF",
                WriteOptions.DEFAULT)) {
            out.write(new byte[(int) MB16]); // an uncompressed segment is whole, or cannot be one
        }
        putWal("000000010000000100000000", Compression.ZSTD);
        putWal("000000010000000100000001", Compression.LZ4);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("0000000100000000000000FE"), Optional.empty());
        assertTrue(result.complete(), result.toString());
        assertEquals("000000010000000100000001", result.to().name());
    }

    @Test
    void aGapIsNamedByItsFirstAndLastMissingSegment() throws IOException {
        segments(1, 2, 4);
        segments(1, 8, 9);
        putWal("000000010000000000000006.partial", Compression.NONE);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("000000010000000000000002"), Optional.empty());
        assertEquals(1, result.gaps().size(), result.toString());
        assertEquals("000000010000000000000005 to 000000010000000000000007", result.gaps().get(0).toString());
    }

    @Test
    void theChainFollowsATimelineSwitchThroughTheHistoryFile() throws IOException {
        // timeline 1 left at 0/5000100: segment 5 and later come from timeline 2
        segments(1, 2, 4);
        putWal("000000010000000000000005.partial", Compression.NONE);
        segments(1, 6, 7); // the old primary went on writing: not on the path
        put("00000002.history", "1\t0/5000100\tno recovery target specified\n");
        segments(2, 5, 8);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("000000010000000000000002"), Optional.empty());
        assertTrue(result.complete(), result.toString());
        assertEquals("000000020000000000000008", result.to().name());
    }

    @Test
    void aSegmentMissingOnTheNewTimelineIsAGapOfThatTimeline() throws IOException {
        segments(1, 2, 4);
        put("00000002.history.gz", "ignored");
        store.delete(layout.walsPrefix() + "00000002.history.gz");
        try (OutputStream out = Compression.GZIP.compress(store.openWrite(layout.walsPrefix() + "00000002.history.gz",
                WriteOptions.DEFAULT), CompressionLevel.MEDIUM)) {
            out.write("1\t0/5000100\tbefore 2026\n".getBytes(StandardCharsets.UTF_8));
        }
        segments(2, 6, 8); // 000000020000000000000005 is missing, and the timeline 1 copy does not count
        segments(1, 5, 5);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("000000010000000000000002"), Optional.empty());
        assertEquals(List.of("000000020000000000000005"), result.gaps().stream().map(Object::toString).toList());
    }

    @Test
    void aMissingHistoryFileOfTheNewestTimelineIsReported() throws IOException {
        segments(1, 2, 4);
        segments(3, 5, 6);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("000000010000000000000002"), Optional.empty());
        assertFalse(result.complete());
        assertTrue(result.problem().orElseThrow().contains("00000003.history"), result.toString());
    }

    @Test
    void segmentsUpToTheNewestBackupsEndAreNeededEvenWhenNotArchivedYet() throws IOException {
        segments(1, 2, 4);
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.check(index, histories(index),
                WalName.parse("000000010000000000000002"), Optional.of(WalName.parse("000000010000000000000006")));
        assertEquals(List.of("000000010000000000000005 to 000000010000000000000006"),
                result.gaps().stream().map(Object::toString).toList());
    }

    @Test
    void aRangeNeedsNothingAfterItsEndAndFollowsTheEndsTimeline() throws IOException {
        segments(1, 2, 4);
        put("00000002.history", "1\t0/5000100\tno recovery target specified\n");
        segments(2, 5, 5);
        segments(2, 9, 9); // 6 to 8 missing, after the range's end
        WalArchiveIndex index = index();
        WalContinuity.Result result = WalContinuity.range(index, histories(index),
                WalName.parse("000000010000000000000003"), WalName.parse("000000020000000000000005"));
        assertTrue(result.complete(), result.toString());
        assertEquals("000000020000000000000005", result.to().name());
        store.delete(layout.walsPrefix() + "0000000200000000/000000020000000000000005.gz");
        result = WalContinuity.range(index(), histories(index()), WalName.parse("000000010000000000000003"),
                WalName.parse("000000020000000000000005"));
        assertEquals(List.of("000000020000000000000005"), result.gaps().stream().map(Object::toString).toList());
    }

    @Test
    void theProbeObjectIsWrittenReadAndRemoved() throws IOException {
        String key = StoreProbe.probeKey(layout);
        assertTrue(key.startsWith("pfx/main/cumulus-check/probe-"), key);
        CheckResult result = StoreProbe.run(store, key, WriteOptions.DEFAULT);
        assertTrue(result.ok(), result.toString());
        assertFalse(result.message().contains("warning"), "the store honours create-only writes: " + result);
        assertTrue(store.stat(key).isEmpty());
    }

    /**
     * S3Proxy 2.7 answers 200 to a PUT with If-None-Match: * over an existing object: the probe's second,
     * create-only write replaces it, and the line says what that leaves unprotected. It stays OK: only
     * another store mends it, and a check that fails for good gets switched off.
     */
    @Test
    void aStoreThatIgnoresCreateOnlyWritesPassesTheProbeWithAWarning() throws IOException {
        ForwardingBlobStore ignoring = new ForwardingBlobStore(store) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                return super.openWrite(key, options.withIfAbsent(false));
            }
        };
        String key = StoreProbe.probeKey(layout);
        CheckResult result = StoreProbe.run(ignoring, key, WriteOptions.DEFAULT);
        assertTrue(result.ok(), result.toString());
        assertTrue(result.message().endsWith(StoreProbe.IGNORES_CREATE_ONLY), result.message());
        assertTrue(result.message().contains("does not honour create-only writes"), result.message());
        assertTrue(store.stat(key).isEmpty());
    }

    @Test
    void aSecondWriteTheStoreRefusesOtherwiseFailsTheProbeNamingIt() throws IOException {
        ForwardingBlobStore refusing = new ForwardingBlobStore(store) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                if (options.ifAbsent()) {
                    throw new java.nio.file.AccessDeniedException(key, null, "Access Denied");
                }
                return super.openWrite(key, options);
            }
        };
        String key = StoreProbe.probeKey(layout);
        CheckResult result = StoreProbe.run(refusing, key, WriteOptions.DEFAULT);
        assertFalse(result.ok());
        assertTrue(result.message().startsWith("cannot write the probe object memory:/" + key
                + " a second time, create-only: "), result.message());
        assertTrue(result.fix().startsWith("give these credentials write access"), result.fix());
        assertTrue(store.stat(key).isEmpty(), "the probe object is removed");
    }

    /** file:// as a user who may not write there: the JDK's refusal is only a path, which said nothing. */
    @Test
    void aDirectoryThatRefusesTheProbeSaysPermissionDenied() {
        ForwardingBlobStore refusing = new ForwardingBlobStore(store) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                throw new java.nio.file.AccessDeniedException("/srv/pg/main");
            }
        };
        CheckResult result = StoreProbe.run(refusing, StoreProbe.probeKey(layout), WriteOptions.DEFAULT);
        assertFalse(result.ok());
        assertTrue(result.message().endsWith(": permission denied: /srv/pg/main"), result.message());
    }

    @Test
    void aStoreThatRefusesDeletionFailsTheProbeAndSaysSo() throws IOException {
        ForwardingBlobStore refusing = new ForwardingBlobStore(store) {
            @Override
            public void delete(String key) throws IOException {
                throw new java.nio.file.AccessDeniedException(key, null, "Access Denied");
            }
        };
        CheckResult result = StoreProbe.run(refusing, StoreProbe.probeKey(layout), WriteOptions.DEFAULT);
        assertFalse(result.ok());
        assertTrue(result.message().startsWith("cannot delete the probe object"), result.message());
        assertTrue(result.message().contains("could not be removed"), result.message());
        assertFalse(result.fix().contains("bucket policy"), "no encryption policy refuses a delete: " + result.fix());
    }

    @Test
    void theProbeIsWrittenWithTheTagsTheCheckIsGiven() throws IOException {
        List<WriteOptions> writes = new java.util.ArrayList<>();
        ForwardingBlobStore recording = new ForwardingBlobStore(store) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                writes.add(options);
                return super.openWrite(key, options);
            }
        };
        java.util.Map<String, String> tags = java.util.Map.of("team", "dba");
        CheckResult result = StoreProbe.run(recording, StoreProbe.probeKey(layout),
                WriteOptions.DEFAULT.withTags(tags));
        assertTrue(result.ok(), result.toString());
        assertEquals(List.of(tags, tags), writes.stream().map(WriteOptions::tags).toList());
        // the second write trusts the store's condition, as the archiver's does after its listing
        assertEquals(List.of(false, true), writes.stream().map(WriteOptions::ifAbsent).toList());
        assertTrue(writes.get(1).absenceChecked(), writes.toString());
    }

    /**
     * A refused probe gives the store's reason (on S3 it names a bucket policy that requires encryption,
     * which answers as bad credentials do) and the rights to grant.
     */
    @Test
    void aRefusedProbeGivesTheStoresReasonAndTheRightsToGrant() {
        ForwardingBlobStore refusing = new ForwardingBlobStore(store) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                throw new java.nio.file.AccessDeniedException("access denied to s3://bkt/" + key
                        + ": check the credentials (AccessDenied); if they may write there, a bucket policy may"
                        + " require server-side encryption");
            }
        };
        CheckResult result = StoreProbe.run(refusing, StoreProbe.probeKey(layout), WriteOptions.DEFAULT);
        assertFalse(result.ok());
        assertTrue(result.message().startsWith("cannot write the probe object"), result.message());
        assertTrue(result.message().endsWith("a bucket policy may require server-side encryption"),
                result.message());
        assertTrue(result.fix().startsWith("give these credentials write access"), result.fix());
    }
}
