package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WalRestorerTest {
    private static final ServerLayout LAYOUT = new ServerLayout("", "pg");
    private static final String DIR = "pg/wals/0000000100000000/";

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final WalRestorer restorer = new WalRestorer(store, LAYOUT);

    private static byte[] content(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void put(String key, byte[] content) throws IOException {
        Compression c = Compression.ofSuffix(key).orElse(Compression.NONE);
        ObjectWrites.write(store, key, WriteOptions.DEFAULT, out -> {
            try (OutputStream compressed = c.compress(out, CompressionLevel.DEFAULT)) {
                compressed.write(content);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void restoresASegmentStoredUnderAnyCompression(Compression compression) throws IOException {
        byte[] wal = content(1, 1 << 20);
        put(DIR + "000000010000000000000007" + compression.suffix(), wal);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        assertArrayEquals(wal, Files.readAllBytes(dest));
    }

    @Test
    void prefersTheFullSegmentOverItsPartial() throws IOException {
        byte[] full = content(1, 1 << 20);
        put(DIR + "000000010000000000000007", full);
        put(DIR + "000000010000000000000007.partial", content(2, 1 << 20));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        assertArrayEquals(full, Files.readAllBytes(dest));
    }

    @Test
    void twoStoredCopiesOfOneNameServeTheFirstInKeyOrderAndWarnNamingBoth() throws IOException {
        byte[] first = content(1, 1 << 20);
        put(DIR + "000000010000000000000007", first);
        put(DIR + "000000010000000000000007.gz", content(2, 1 << 20));
        put(DIR + "000000010000000000000007.partial", content(3, 1 << 20));
        java.util.List<String> warnings = new java.util.ArrayList<>();
        Path dest = pgWal.resolve("RECOVERYXLOG");
        new WalRestorer(store, LAYOUT, warnings::add, PgControl.UNKNOWN).restore(WalName.parse("000000010000000000000007"), dest, true);
        assertArrayEquals(first, Files.readAllBytes(dest));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("WAL file 000000010000000000000007 is stored 2 times ("
                + DIR + "000000010000000000000007, " + DIR + "000000010000000000000007.gz): restoring "
                + DIR + "000000010000000000000007,"), warnings.get(0));
    }

    @Test
    void oneCopyAndItsPartialWarnNothing() throws IOException {
        put(DIR + "000000010000000000000007.gz", content(1, 1 << 20));
        put(DIR + "000000010000000000000007.partial", content(2, 1 << 20));
        java.util.List<String> warnings = new java.util.ArrayList<>();
        new WalRestorer(store, LAYOUT, warnings::add, PgControl.UNKNOWN).restore(WalName.parse("000000010000000000000007"),
                pgWal.resolve("RECOVERYXLOG"), true);
        assertEquals(java.util.List.of(), warnings);
    }

    @Test
    void servesThePartialWhenItIsAllThereIsUnlessPartialsAreRefused() throws IOException {
        byte[] partial = content(2, 1 << 20);
        put(DIR + "000000010000000000000007.partial.gz", partial);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        WalName wal = WalName.parse("000000010000000000000007");
        assertThrows(WalNotFoundException.class, () -> restorer.restore(wal, dest, false));
        restorer.restore(wal, dest, true);
        assertArrayEquals(partial, Files.readAllBytes(dest));
    }

    @Test
    void aMissingSegmentIsNotFoundAndLeavesNoFileBehind() throws IOException {
        put(DIR + "000000010000000000000007.00000028.backup", "label".getBytes());
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertThrows(WalNotFoundException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void restoresHistoryFilesFromTheWalsDirectory() throws IOException {
        byte[] history = "1\t0/3000000\tno recovery target specified\n".getBytes();
        put("pg/wals/00000002.history", history);
        Path dest = pgWal.resolve("RECOVERYHISTORY");
        restorer.restore(WalName.parse("00000002.history"), dest, true);
        assertArrayEquals(history, Files.readAllBytes(dest));
    }

    @Test
    void refusesAnObjectThatCannotBeASegmentAndKeepsTheOldDestination() throws IOException {
        put(DIR + "000000010000000000000007", content(1, 1000));
        Path dest = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[] {1, 2, 3});
        assertThrows(OperationFailedException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dest));
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
    }

    @Test
    void theTemporaryFilesOfKilledCallsForTheSameDestinationAreDeleted() throws IOException {
        // a call killed while it wrote (pg_ctl stop, a timeout) leaves its partial copy: each one another
        put(DIR + "000000010000000000000007", content(1, 1 << 20));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        for (String stale : new String[] {".RECOVERYXLOG.cumulus-12345", ".RECOVERYXLOG.cumulus-7"}) {
            Files.write(pgWal.resolve(stale), new byte[4096]);
        }
        // not this destination's, nor a name of this tool's
        for (String other : new String[] {".000000010000000000000008.cumulus-12345", ".RECOVERYXLOG.cumulus-tmp",
                ".RECOVERYHISTORY.cumulus-9", "000000010000000000000006"}) {
            Files.write(pgWal.resolve(other), new byte[1]);
        }
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(java.util.Set.of("RECOVERYXLOG", ".000000010000000000000008.cumulus-12345", ".RECOVERYXLOG.cumulus-tmp",
                    ".RECOVERYHISTORY.cumulus-9", "000000010000000000000006"),
                    files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aTruncatedCompressedObjectIsNamedAsTheStoredCopyThatIsCorrupt(Compression compression) throws IOException {
        // it was the decoder's bare "java.io.EOFException" or "Unexpected end of ZLIB input stream"
        String key = DIR + "000000010000000000000007" + compression.suffix();
        put(key, content(1, 1 << 20));
        byte[] stored = store.openRead(key).readAllBytes();
        store.delete(key);
        ObjectWrites.write(store, key, WriteOptions.DEFAULT, out -> out.write(stored, 0, stored.length / 2));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        IOException failure = assertThrows(IOException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        assertFalse(failure instanceof OperationFailedException, "the exit code stays that of any other failure");
        String message = failure.getMessage();
        assertTrue(message.matches("archived object " + java.util.regex.Pattern.quote(key) + " cannot be decompressed"
                + " \\([^)]+\\): the stored copy is truncated or corrupt; replace it with an intact copy of"
                + " 000000010000000000000007 if one is left \\(the primary's pg_wal, another archive\\)"), message);
        assertFalse(message.contains("\n"), message);
        assertFalse(Files.exists(dest));
    }

    @Test
    void aStoreThatFailsWhileReadingIsNotTakenForACorruptObject() throws IOException {
        // a cut connection is the store's failure, retried as such, not a damaged copy
        put(DIR + "000000010000000000000007.gz", content(1, 1 << 20));
        StoreUnavailableException cut = new StoreUnavailableException("connection reset while reading", null);
        BlobStore cutting = new ForwardingBlobStore(store) {
            @Override
            public InputStream openRead(String key) throws IOException {
                InputStream whole = super.openRead(key);
                return new java.io.FilterInputStream(whole) {
                    private long read;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (read > 1000) {
                            throw cut;
                        }
                        int n = super.read(b, off, Math.min(len, 500));
                        read += Math.max(n, 0);
                        return n;
                    }
                };
            }
        };
        IOException failure = assertThrows(IOException.class, () -> new WalRestorer(cutting, LAYOUT)
                .restore(WalName.parse("000000010000000000000007"), pgWal.resolve("RECOVERYXLOG"), true));
        assertSame(cut, failure);
    }

    /** {@code size} bytes of a segment of {@code segmentSize} whose first page has a long header, as PostgreSQL writes it. */
    private static byte[] segmentWithHeader(int segmentSize, int size) {
        java.nio.ByteBuffer segment = java.nio.ByteBuffer.wrap(content(3, size)).order(java.nio.ByteOrder.nativeOrder());
        segment.putShort(0, (short) 0xD110); // xlp_magic of PostgreSQL 15
        segment.putShort(2, (short) 0x0006); // xlp_info: XLP_LONG_HEADER | XLP_BKP_REMOVABLE
        segment.putInt(4, 1); // xlp_tli
        segment.putLong(24, 7716536663683337326L); // xlp_sysid
        segment.putInt(32, segmentSize); // xlp_seg_size
        segment.putInt(36, 8192); // xlp_xlog_blcksz
        return segment.array();
    }

    @Test
    void aSegmentCutToAPowerOfTwoIsRefusedByTheSizeItsFirstPageGives() throws IOException {
        // 8 MiB of a 16 MiB segment (a multipart upload completed with its first 8 MiB part) passed the
        // power-of-two check: a standby then waited for WAL with nothing in its log
        String name = "000000010000000000000007";
        put(DIR + name + ".gz", segmentWithHeader(16 << 20, 8 << 20));
        Path dest = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[] {1, 2, 3});
        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> restorer.restore(WalName.parse(name), dest, true));
        assertEquals("archived object " + DIR + name + ".gz holds 8388608 bytes, but its first page says the segment has"
                + " 16777216: it may be truncated; refusing to hand it to PostgreSQL", refused.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dest));

        byte[] whole = segmentWithHeader(16 << 20, 16 << 20);
        store.delete(DIR + name + ".gz");
        put(DIR + name + ".gz", whole);
        restorer.restore(WalName.parse(name), dest, true);
        assertArrayEquals(whole, Files.readAllBytes(dest));
        // a .partial is a segment written up to where its timeline ended: served as it is
        put(DIR + "000000010000000000000008.partial", segmentWithHeader(16 << 20, 8 << 20));
        restorer.restore(WalName.parse("000000010000000000000008"), dest, true);
        assertEquals(8 << 20, Files.size(dest));
    }

    /**
     * A segment of another database system under this server name (two clusters archiving into one place,
     * the second's copy kept by barman-cloud or a race): PostgreSQL only logs "WAL file is from different
     * database system" and, in archive recovery, ends recovery there and promotes. Refused, naming both.
     */
    @Test
    void aSegmentOfAnotherDatabaseSystemIsRefusedNamingBoth() throws IOException {
        String name = "000000010000000000000007";
        byte[] segment = segmentWithHeader(16 << 20, 16 << 20); // xlp_sysid 7716536663683337326
        put(DIR + name, segment);
        Path dest = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[] {1, 2, 3});
        WalRestorer other = new WalRestorer(store, LAYOUT, w -> { }, control(42, 16 << 20));
        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> other.restore(WalName.parse(name), dest, true));
        assertEquals("archived object " + DIR + name + " is WAL of database system 7716536663683337326, not of this"
                + " cluster's 42 (global/pg_control): another cluster archives under this server name; refusing to"
                + " hand it to PostgreSQL", refused.getMessage());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dest));

        new WalRestorer(store, LAYOUT, w -> { }, control(7716536663683337326L, 16 << 20))
                .restore(WalName.parse(name), dest, true);
        assertArrayEquals(segment, Files.readAllBytes(dest));
    }

    /** The pg_control of a cluster of system {@code sysid} whose segments have {@code segmentSize} bytes. */
    private static PgControl control(long sysid, long segmentSize) {
        return new PgControl(java.util.OptionalLong.of(sysid), java.util.OptionalLong.of(segmentSize));
    }

    /**
     * Two clusters of one database system with different segment sizes (one re-initialised by pg_resetwal
     * --wal-segsize, a store prefix reused): PostgreSQL stops on "archive file ... has wrong size", or a
     * standby takes a shorter file for one still being copied and asks again. Refused, naming both
     * sizes and the fix, for a full segment and a .partial alike, and never written to the destination.
     */
    @Test
    void aSegmentOfAnotherSegmentSizeIsRefusedNamingBothSizes() throws IOException {
        Path dest = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[] {1, 2, 3});
        WalRestorer sixteen = new WalRestorer(store, LAYOUT, w -> { }, control(7716536663683337326L, 16 << 20));
        put(DIR + "000000010000000000000007.gz", segmentWithHeader(1 << 20, 1 << 20));
        put(DIR + "000000010000000000000008.partial", segmentWithHeader(1 << 20, 1 << 20));
        for (String name : java.util.List.of("000000010000000000000007", "000000010000000000000008")) {
            String key = name.endsWith("7") ? DIR + name + ".gz" : DIR + name + ".partial";
            OperationFailedException refused = assertThrows(OperationFailedException.class,
                    () -> sixteen.restore(WalName.parse(name), dest, true));
            assertEquals("archived object " + key + " is a WAL segment of 1048576 bytes (its first page's"
                    + " xlp_seg_size), but this cluster's segments have 16777216 (global/pg_control): WAL of a cluster"
                    + " with another segment size is stored under this server name; point restore_command at this"
                    + " cluster's own archive; refusing to hand it to PostgreSQL", refused.getMessage());
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dest));
        }
        // the cluster of that size takes them
        WalRestorer one = new WalRestorer(store, LAYOUT, w -> { }, control(7716536663683337326L, 1 << 20));
        one.restore(WalName.parse("000000010000000000000007"), dest, true);
        assertEquals(1 << 20, Files.size(dest));
        // a segment whose first page has no long header: its length alone, but a .partial may be shorter
        put(DIR + "000000010000000000000009", content(4, 1 << 20));
        OperationFailedException refused = assertThrows(OperationFailedException.class,
                () -> sixteen.restore(WalName.parse("000000010000000000000009"), dest, true));
        assertEquals("archived object " + DIR + "000000010000000000000009 holds 1048576 bytes, but this cluster's"
                + " segments have 16777216 (global/pg_control): it is truncated, or WAL of a cluster with another"
                + " segment size stored under this server name; point restore_command at this cluster's own archive;"
                + " refusing to hand it to PostgreSQL", refused.getMessage());
        put(DIR + "00000001000000000000000A.partial", content(5, 1 << 20));
        sixteen.restore(WalName.parse("00000001000000000000000A"), dest, true);
        assertEquals(1 << 20, Files.size(dest));
        // without pg_control's segment size (none found in it, a call by hand): no such check
        new WalRestorer(store, LAYOUT, w -> { }, new PgControl(java.util.OptionalLong.of(7716536663683337326L),
                java.util.OptionalLong.empty())).restore(WalName.parse("000000010000000000000009"), dest, true);
        assertEquals(1 << 20, Files.size(dest));
    }

    @Test
    void aCorruptCompressedObjectFailsAndWritesNothing() throws IOException {
        byte[] wal = content(1, 1 << 20);
        put(DIR + "000000010000000000000007.gz", wal);
        byte[] gz = store.openRead(DIR + "000000010000000000000007.gz").readAllBytes();
        gz[gz.length / 2] ^= 0x55;
        store.delete(DIR + "000000010000000000000007.gz");
        ObjectWrites.write(store, DIR + "000000010000000000000007.gz", WriteOptions.DEFAULT, out -> out.write(gz));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertThrows(IOException.class, () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        assertFalse(Files.exists(dest));
    }

    // At the fork: the segment where the timeline a recovery follows (its history file in pg_wal) left the
    // segment's timeline. A full copy of it archived by a server that stayed on that timeline (the old primary
    // of a failover) holds WAL past the switch point; the promoted server's .partial ends there.

    @TempDir
    Path dataDir;

    private static final PgControl ONE_MIB = new PgControl(java.util.OptionalLong.empty(), java.util.OptionalLong.of(1 << 20));

    /** Writes {@code pg_wal/NAME.history} of the data directory, as PostgreSQL keeps a restored one. */
    private void historyInPgWal(long timeline, String text) throws IOException {
        Files.writeString(Files.createDirectories(dataDir.resolve("pg_wal")).resolve(WalName.history(timeline).name()), text);
    }

    private WalRestorer following(java.util.List<String> warnings, PgControl control) {
        return new WalRestorer(store, LAYOUT, warnings::add, control, FollowedTimeline.in(dataDir, control));
    }

    /** Archives a full copy and a .partial of {@code name}; returns {full, partial}. */
    private byte[][] fullAndPartial(String name) throws IOException {
        byte[] full = content(name.hashCode(), 1 << 20);
        byte[] partial = content(name.hashCode() + 1, 1 << 20);
        String directory = "pg/wals/" + WalName.parse(name).hashDirectory() + "/";
        put(directory + name, full);
        put(directory + name + ".partial", partial);
        return new byte[][] {full, partial};
    }

    @Test
    void aRecoveryAlongTheNewTimelineGetsThePartialOfTheSegmentHoldingItsSwitchPoint() throws IOException {
        // 1 MiB segments: 0/80000A8 lies in segment 0x80
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        byte[][] copies = fullAndPartial("000000010000000000000080");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        Path dest = pgWal.resolve("RECOVERYXLOG");
        String key = following(warnings, ONE_MIB).restore(WalName.parse("000000010000000000000080"), dest, true);
        assertEquals(DIR + "000000010000000000000080.partial", key);
        assertArrayEquals(copies[1], Files.readAllBytes(dest));
        assertEquals(java.util.List.of("WAL file 000000010000000000000080 holds the switch point where timeline 2"
                + " (00000002.history in pg_wal), which this recovery follows, left timeline 1 at 0/80000A8: restoring"
                + " its .partial " + DIR + "000000010000000000000080.partial, which ends there, rather than its full copy "
                + DIR + "000000010000000000000080, which holds timeline 1's WAL past that point (archived by a server"
                + " that stayed on timeline 1: the old primary?)"), warnings);
    }

    @Test
    void aSwitchPointAtTheSegmentsFirstByteIsInsideIt() throws IOException {
        historyInPgWal(2, "1\t0/8100000\tno recovery target specified\n");
        byte[][] at = fullAndPartial("000000010000000000000081");
        byte[][] before = fullAndPartial("000000010000000000000080");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        WalRestorer restorer = following(new java.util.ArrayList<>(), ONE_MIB);
        restorer.restore(WalName.parse("000000010000000000000081"), dest, true);
        assertArrayEquals(at[1], Files.readAllBytes(dest));
        restorer.restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(before[0], Files.readAllBytes(dest), "the segment ending at the switch point is timeline 1's");
    }

    @Test
    void aSegmentOtherThanTheOneHoldingTheSwitchPointGetsItsFullCopy() throws IOException {
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        WalRestorer restorer = following(warnings, ONE_MIB);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        for (String name : java.util.List.of("00000001000000000000007F", "000000010000000000000081",
                "000000020000000000000080")) { // the new timeline's own copy: no switch in it
            byte[][] copies = fullAndPartial(name);
            restorer.restore(WalName.parse(name), dest, true);
            assertArrayEquals(copies[0], Files.readAllBytes(dest), name);
        }
        assertEquals(java.util.List.of(), warnings);
    }

    @Test
    void theSegmentHoldingTheSwitchPointIsCountedInPgControlsSegmentSizeElseTheDefault() throws IOException {
        // 0/8000128 lies in segment 8 of 16 MiB segments, in segment 0x80 of 1 MiB ones
        historyInPgWal(2, "1\t0/8000128\tno recovery target specified\n");
        byte[][] eight = fullAndPartial("000000010000000000000008");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        following(new java.util.ArrayList<>(), ONE_MIB).restore(WalName.parse("000000010000000000000008"), dest, true);
        assertArrayEquals(eight[0], Files.readAllBytes(dest), "1 MiB segments: segment 8 ends long before the switch");
        // no pg_control (or no segment size in it): 16 MiB, PostgreSQL's default
        following(new java.util.ArrayList<>(), PgControl.UNKNOWN).restore(WalName.parse("000000010000000000000008"),
                dest, true);
        assertArrayEquals(eight[1], Files.readAllBytes(dest));
    }

    @Test
    void withoutAHistoryFileInPgWalTheFullCopyWins() throws IOException {
        // a recovery that stays on timeline 1 needs its WAL past any switch point
        Files.createDirectories(dataDir.resolve("pg_wal"));
        byte[][] copies = fullAndPartial("000000010000000000000080");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        following(warnings, ONE_MIB).restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(copies[0], Files.readAllBytes(dest));
        // no pg_wal at all: a call by hand elsewhere
        new WalRestorer(store, LAYOUT, warnings::add, ONE_MIB, FollowedTimeline.in(dataDir.resolve("nowhere"), ONE_MIB))
                .restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(copies[0], Files.readAllBytes(dest));
        assertEquals(java.util.List.of(), warnings);
    }

    @Test
    void theNewestHistoryFileInPgWalIsTheTimelineFollowed() throws IOException {
        // timeline 3 left timeline 1 at 0/70000A8 (a second branch of it), after timeline 2 left it at 0/80000A8
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        historyInPgWal(3, "1\t0/70000A8\tbefore 2026-12-07 21:15:20+00\n");
        byte[][] branch2 = fullAndPartial("000000010000000000000080");
        byte[][] branch3 = fullAndPartial("000000010000000000000070");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        WalRestorer restorer = following(new java.util.ArrayList<>(), ONE_MIB);
        restorer.restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(branch2[0], Files.readAllBytes(dest));
        restorer.restore(WalName.parse("000000010000000000000070"), dest, true);
        assertArrayEquals(branch3[1], Files.readAllBytes(dest));
        // along a history of two switches, each segment holding one
        historyInPgWal(4, "1\t0/70000A8\tx\n3\t0/90000A8\ty\n");
        byte[][] onThree = fullAndPartial("000000030000000000000090");
        restorer.restore(WalName.parse("000000030000000000000090"), dest, true);
        assertArrayEquals(onThree[1], Files.readAllBytes(dest));
        restorer.restore(WalName.parse("000000010000000000000070"), dest, true);
        assertArrayEquals(branch3[1], Files.readAllBytes(dest));
    }

    @Test
    void aHistoryFileAppearingInPgWalChangesTheChoiceAtTheNextCall() throws IOException {
        byte[][] copies = fullAndPartial("000000010000000000000080");
        Path dest = pgWal.resolve("RECOVERYXLOG");
        WalRestorer restorer = following(new java.util.ArrayList<>(), ONE_MIB);
        restorer.restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(copies[0], Files.readAllBytes(dest));
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n"); // a standby learned of the promotion
        restorer.restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(copies[1], Files.readAllBytes(dest));
    }

    @Test
    void onlyAFullCopyOfTheSegmentHoldingTheSwitchPointIsServedWithAWarningNamingTheRisk() throws IOException {
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        byte[] full = content(7, 1 << 20);
        put(DIR + "000000010000000000000080.zst", full);
        java.util.List<String> warnings = new java.util.ArrayList<>();
        Path dest = pgWal.resolve("RECOVERYXLOG");
        following(warnings, ONE_MIB).restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(full, Files.readAllBytes(dest));
        assertEquals(java.util.List.of("WAL file 000000010000000000000080 holds the switch point where timeline 2"
                + " (00000002.history in pg_wal), which this recovery follows, left timeline 1 at 0/80000A8, and no"
                + " .partial of it is archived: restoring its full copy " + DIR + "000000010000000000000080.zst,"
                + " which may hold timeline 1's WAL past that point (the old primary's, or what a point-in-time recovery"
                + " left out) that PostgreSQL replays as timeline 2's; if it must not, recover again once"
                + " 000000020000000000000080 is archived (pg_switch_wal() on the server of timeline 2 archives it)"),
                warnings);
    }

    @Test
    void onlyThePartialOfTheSegmentHoldingTheSwitchPointIsServedUnlessPartialsAreRefused() throws IOException {
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        byte[] partial = content(8, 1 << 20);
        put(DIR + "000000010000000000000080.partial.gz", partial);
        java.util.List<String> warnings = new java.util.ArrayList<>();
        WalRestorer restorer = following(warnings, ONE_MIB);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        restorer.restore(WalName.parse("000000010000000000000080"), dest, true);
        assertArrayEquals(partial, Files.readAllBytes(dest));
        assertThrows(WalNotFoundException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000080"), dest, false));
        assertEquals(java.util.List.of(), warnings);
    }

    @Test
    void noPartialServesTheFullCopyOfTheSegmentHoldingTheSwitchPointWithAWarning() throws IOException {
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        byte[][] copies = fullAndPartial("000000010000000000000080");
        java.util.List<String> warnings = new java.util.ArrayList<>();
        Path dest = pgWal.resolve("RECOVERYXLOG");
        following(warnings, ONE_MIB).restore(WalName.parse("000000010000000000000080"), dest, false);
        assertArrayEquals(copies[0], Files.readAllBytes(dest));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains(", and its .partial is not to be served (--no-partial): restoring its full"
                + " copy " + DIR + "000000010000000000000080, which may hold timeline 1's WAL past that point"),
                warnings.get(0));
    }

    @Test
    void prefetchingLeavesASegmentWithAPartialOrHoldingTheSwitchPointToTheCall() throws IOException {
        historyInPgWal(2, "1\t0/80000A8\tno recovery target specified\n");
        put(DIR + "000000010000000000000080", content(9, 1 << 20)); // only a full copy, but at the fork
        fullAndPartial("000000010000000000000090"); // a .partial: some timeline left timeline 1 there
        byte[] plain = content(10, 1 << 20);
        put(DIR + "00000001000000000000007F", plain);
        WalRestorer restorer = following(new java.util.ArrayList<>(), ONE_MIB);
        Path dest = pgWal.resolve("prefetched");
        assertEquals(java.util.Optional.empty(), restorer.prefetch(WalName.parse("000000010000000000000080"), dest));
        assertEquals(java.util.Optional.empty(), restorer.prefetch(WalName.parse("000000010000000000000090"), dest));
        assertEquals(java.util.Optional.empty(), restorer.prefetch(WalName.parse("000000010000000000000091"), dest));
        assertFalse(Files.exists(dest));
        assertEquals(java.util.Optional.of(DIR + "00000001000000000000007F"),
                restorer.prefetch(WalName.parse("00000001000000000000007F"), dest));
        assertArrayEquals(plain, Files.readAllBytes(dest));
    }
}
