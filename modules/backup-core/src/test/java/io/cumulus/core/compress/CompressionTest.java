package io.cumulus.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.BlobOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.zip.CRC32C;
import java.util.zip.Inflater;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {

    private static final byte[] SMALL =
            "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n".repeat(3)
                    .getBytes(StandardCharsets.UTF_8);

    private static byte[] segment;

    @BeforeAll
    static void makeSegment() {
        segment = PseudoWal.of(PseudoWal.SEGMENT_SIZE, 42);
    }

    static byte[] compress(Compression c, byte[] data, CompressionLevel level) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (OutputStream out = c.compress(buffer, level)) {
            out.write(data);
        }
        return buffer.toByteArray();
    }

    static byte[] decompress(Compression c, byte[] data) throws IOException {
        try (InputStream in = c.decompress(new ByteArrayInputStream(data))) {
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsEmptyInput(Compression c) throws IOException {
        byte[] compressed = compress(c, new byte[0], CompressionLevel.DEFAULT);
        if (c != Compression.NONE) {
            assertTrue(compressed.length > 0, "even an empty stream has a header");
        }
        assertArrayEquals(new byte[0], decompress(c, compressed));
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsSmallInput(Compression c) throws IOException {
        assertArrayEquals(SMALL, decompress(c, compress(c, SMALL, CompressionLevel.DEFAULT)));
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void roundTripsAWholeSegmentAndShrinksIt(Compression c) throws IOException {
        byte[] compressed = compress(c, segment, CompressionLevel.DEFAULT);
        assertArrayEquals(segment, decompress(c, compressed));
        if (c != Compression.NONE) {
            assertTrue(compressed.length < segment.length * 3 / 4,
                    c + " left " + compressed.length + " of " + segment.length + " bytes");
        }
    }

    /**
     * A read is answered with as many bytes as asked, up to the end: a restore writes what each read
     * gives, and LZ4 and Snappy decoders that answered with one token per read made it 25 to 30 times
     * slower than gzip (a million write calls per 28 MB).
     */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "SNAPPY", "XZ", "ZSTD", "LZ4"})
    void aReadGivesAsManyBytesAsAskedUntilTheEnd(Compression c) throws IOException {
        byte[] compressed = compress(c, segment, CompressionLevel.DEFAULT);
        try (InputStream in = c.decompress(new ByteArrayInputStream(compressed))) {
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) > 0) {
                total += n;
                if (total < segment.length) {
                    assertEquals(buffer.length, n, c + ": a read short of the end at byte " + total);
                }
            }
            assertEquals(segment.length, total);
        }
    }

    /** Lengths around the ends of LZ4 blocks (64 KiB, matches stop 12 bytes short) and snappy chunks. */
    static int[] edgeLengths() {
        return IntStream.concat(IntStream.rangeClosed(1, 40),
                IntStream.of(65_535, 65_536, 65_537, 65_536 + 12, 65_536 + 13, 2 * 65_536 + 5)).toArray();
    }

    /** Repetitive data, so that matches run right up to the end of every block. */
    static byte[] repetitive(int length) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) "abcabcabd".charAt(i % 9);
        }
        return data;
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "SNAPPY", "XZ", "ZSTD", "LZ4"})
    void roundTripsEveryLengthAroundBlockEnds(Compression c) throws IOException {
        for (int length : edgeLengths()) {
            for (CompressionLevel level : new CompressionLevel[] {CompressionLevel.LOW, CompressionLevel.HIGH}) {
                byte[] data = repetitive(length);
                assertArrayEquals(data, decompress(c, compress(c, data, level)), c + " length " + length + " " + level);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "XZ", "ZSTD", "LZ4"})
    void roundTripsAtEveryNamedLevelAndTheRangeEnds(Compression c) throws IOException {
        byte[] data = Arrays.copyOf(segment, 1 << 20);
        for (String level : new String[] {"low", "medium", "high", "-100", "100"}) {
            assertArrayEquals(data, decompress(c, compress(c, data, new CompressionLevel(level))), c + " at " + level);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "XZ", "ZSTD", "LZ4"})
    void appliesTheLevel(Compression c) throws IOException {
        byte[] data = Arrays.copyOf(segment, 4 << 20);
        byte[] low = compress(c, data, CompressionLevel.LOW);
        byte[] high = compress(c, data, CompressionLevel.HIGH);
        assertNotEquals(low.length, high.length, c + ": low and high gave the same output size");
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "SNAPPY", "XZ", "ZSTD", "LZ4"})
    void detectsTruncatedInput(Compression c) throws IOException {
        byte[] data = Arrays.copyOf(segment, 600_000);
        byte[] compressed = compress(c, data, CompressionLevel.DEFAULT);
        for (int cut : new int[] {compressed.length / 3, compressed.length / 2, compressed.length - 1}) {
            byte[] truncated = Arrays.copyOf(compressed, cut);
            assertThrows(IOException.class, () -> decompress(c, truncated),
                    c + " cut at " + cut + " of " + compressed.length + " was read without error");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "SNAPPY", "XZ", "ZSTD", "LZ4"})
    void detectsCorruptedInput(Compression c) throws IOException {
        byte[] data = Arrays.copyOf(segment, 600_000);
        byte[] compressed = compress(c, data, CompressionLevel.DEFAULT);
        for (int at : new int[] {compressed.length / 3, compressed.length / 2, compressed.length - 2}) {
            byte[] corrupted = compressed.clone();
            corrupted[at] ^= 0x10;
            assertThrows(IOException.class, () -> decompress(c, corrupted),
                    c + " with byte " + at + " of " + compressed.length + " flipped was read without error");
        }
    }

    @Test
    void gzipOutputIsOneMemberEndingExactlyAtItsTrailer() throws Exception {
        byte[] gz = compress(Compression.GZIP, segment, CompressionLevel.DEFAULT);
        assertEquals(0x1f, gz[0] & 0xff);
        assertEquals(0x8b, gz[1] & 0xff);
        assertEquals(0, gz[3], "no optional header fields");
        Inflater inflater = new Inflater(true);
        inflater.setInput(gz, 10, gz.length - 10);
        byte[] out = new byte[segment.length + 1];
        int n = inflater.inflate(out);
        assertTrue(inflater.finished());
        assertEquals(segment.length, n);
        assertEquals(8, inflater.getRemaining(), "only the CRC-32 and length follow the deflate data");
        inflater.end();
    }

    @Test
    void gzipReaderReadsConcatenatedMembers() throws IOException {
        byte[] first = compress(Compression.GZIP, SMALL, CompressionLevel.DEFAULT);
        byte[] second = compress(Compression.GZIP, "tail".getBytes(StandardCharsets.UTF_8), CompressionLevel.DEFAULT);
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        assertEquals(new String(SMALL, StandardCharsets.UTF_8) + "tail",
                new String(decompress(Compression.GZIP, both), StandardCharsets.UTF_8));
    }

    @Test
    void snappyOutputStartsWithTheFramingFormatStreamIdentifier() throws IOException {
        byte[] snappy = compress(Compression.SNAPPY, SMALL, CompressionLevel.DEFAULT);
        assertEquals("ff060000734e61507059", HexFormat.of().formatHex(snappy, 0, 10));
    }

    @Test
    void snappyChunksCarryTheMaskedCrc32cOfTheirUncompressedData() throws IOException {
        byte[] snappy = compress(Compression.SNAPPY, SMALL, CompressionLevel.DEFAULT);
        int type = snappy[10] & 0xff;
        assertTrue(type == 0x00 || type == 0x01, "a data chunk follows the identifier");
        long stored = (snappy[14] & 0xffL) | (snappy[15] & 0xffL) << 8 | (snappy[16] & 0xffL) << 16
                | (snappy[17] & 0xffL) << 24;
        CRC32C crc = new CRC32C();
        crc.update(SMALL);
        long c = crc.getValue();
        long masked = (((c >>> 15) | (c << 17)) + 0xa282ead8L) & 0xffffffffL;
        assertEquals(masked, stored);
    }

    @Test
    void snappyReaderAcceptsUncompressedAndSkippableChunksAsTheSpecAllows() throws IOException {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(HexFormat.of().parseHex("ff060000734e61507059"));
        stream.writeBytes(new byte[] {(byte) 0xfe, 3, 0, 0, 9, 9, 9}); // skippable padding
        CRC32C crc = new CRC32C();
        crc.update(SMALL);
        long c = crc.getValue();
        long masked = (((c >>> 15) | (c << 17)) + 0xa282ead8L) & 0xffffffffL;
        int length = SMALL.length + 4;
        stream.writeBytes(new byte[] {0x01, (byte) length, (byte) (length >> 8), (byte) (length >> 16),
            (byte) masked, (byte) (masked >> 8), (byte) (masked >> 16), (byte) (masked >> 24)});
        stream.writeBytes(SMALL);
        assertArrayEquals(SMALL, decompress(Compression.SNAPPY, stream.toByteArray()));
    }

    @Test
    void snappyReaderRejectsAStreamWithoutTheIdentifier() throws IOException {
        byte[] snappy = compress(Compression.SNAPPY, SMALL, CompressionLevel.DEFAULT);
        byte[] headless = Arrays.copyOfRange(snappy, 10, snappy.length);
        assertThrows(IOException.class, () -> decompress(Compression.SNAPPY, headless));
    }

    @Test
    void snappyReaderRejectsReservedUnskippableChunks() throws IOException {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        stream.writeBytes(HexFormat.of().parseHex("ff060000734e61507059"));
        stream.writeBytes(new byte[] {0x02, 1, 0, 0, 7});
        assertThrows(IOException.class, () -> decompress(Compression.SNAPPY, stream.toByteArray()));
    }

    @Test
    void findsTheCompressionFromTheObjectNameSuffix() {
        assertEquals(Optional.of(Compression.GZIP), Compression.ofSuffix("000000010000000000000004.gz"));
        assertEquals(Optional.of(Compression.BZIP2), Compression.ofSuffix("data.tar.bz2"));
        assertEquals(Optional.of(Compression.SNAPPY), Compression.ofSuffix("data_0001.tar.snappy"));
        assertEquals(Optional.of(Compression.XZ), Compression.ofSuffix("000000010000000000000004.xz"));
        assertEquals(Optional.of(Compression.ZSTD), Compression.ofSuffix("000000010000000000000004.zst"));
        assertEquals(Optional.of(Compression.LZ4), Compression.ofSuffix("000000010000000000000004.lz4"));
        assertEquals(Optional.empty(), Compression.ofSuffix("000000010000000000000004"));
        assertEquals(Optional.empty(), Compression.ofSuffix("data.tar"));
    }

    @Test
    void closingCommitsTheTargetAfterTheStreamIsFinished() throws IOException {
        RecordingBlob blob = new RecordingBlob(false);
        try (OutputStream out = Compression.GZIP.compress(blob, CompressionLevel.DEFAULT)) {
            out.write(SMALL);
        }
        assertTrue(blob.closed);
        assertFalse(blob.aborted);
        assertArrayEquals(SMALL, decompress(Compression.GZIP, blob.toByteArray()));
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "SNAPPY", "XZ", "ZSTD", "LZ4"})
    void aFailedWriteAbortsTheBlobInsteadOfCommittingATruncatedStream(Compression c) {
        RecordingBlob blob = new RecordingBlob(true);
        assertThrows(IOException.class, () -> {
            try (OutputStream out = c.compress(blob, CompressionLevel.DEFAULT)) {
                for (int i = 0; i < 64; i++) {
                    out.write(segment, i * 65536, 65536);
                }
            }
        });
        assertTrue(blob.aborted, c + " did not abort the blob");
        assertFalse(blob.closed, c + " committed the blob");
    }

    @Test
    void closesTheSourceWhenTheHeaderCannotBeRead() {
        boolean[] closed = {false};
        InputStream empty = new ByteArrayInputStream(new byte[0]) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        assertThrows(IOException.class, () -> Compression.GZIP.decompress(empty));
        assertTrue(closed[0]);
    }

    @Test
    void noneHandsBackTheStreamsUnchanged() throws IOException {
        ByteArrayOutputStream target = new ByteArrayOutputStream();
        assertTrue(Compression.NONE.compress(target, CompressionLevel.DEFAULT) == target);
        InputStream source = new ByteArrayInputStream(SMALL);
        assertTrue(Compression.NONE.decompress(source) == source);
    }

    /** A blob writer that records what happened to it and can be told to fail once data flows. */
    private static final class RecordingBlob extends BlobOutputStream {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private final boolean failWrites;
        boolean closed;
        boolean aborted;

        RecordingBlob(boolean failWrites) {
            this.failWrites = failWrites;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (failWrites && data.size() + len > 1024) {
                throw new IOException("store unavailable");
            }
            data.write(b, off, len);
        }

        @Override
        public void close() {
            if (!aborted) {
                closed = true;
            }
        }

        @Override
        public void abort() {
            aborted = true;
        }

        @Override
        public long bytesWritten() {
            return data.size();
        }

        byte[] toByteArray() {
            return data.toByteArray();
        }
    }
}
