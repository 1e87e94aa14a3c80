package io.cumulus.core.compress;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.cumulus.core.io.CloseShieldOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorInputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyCompressorOutputStream;
import org.apache.commons.compress.compressors.snappy.FramedSnappyDialect;
import org.apache.commons.compress.compressors.snappy.SnappyCompressorInputStream;
import org.apache.commons.compress.compressors.snappy.SnappyCompressorOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * The compressions barman-cloud writes and reads, each with the object-name suffix that identifies
 * it in the bucket (reference §4.1). Restore detects a compression from the suffix alone.
 *
 * <p>Every stream works in bounded memory whatever the object size: the largest buffers are the
 * codec's own window (bzip2 900 kB blocks, LZ4 64 KiB blocks, the xz/zstd dictionary of the chosen
 * level, a few MiB at most for the defaults).
 *
 * <p>Decoders verify every checksum the format carries (gzip CRC-32 and length, bzip2 block and
 * stream CRCs, xz check, zstd content checksum when present, LZ4 content/block checksums when
 * present, snappy per-chunk masked CRC-32C) and throw an {@link IOException} when the input ends
 * inside a stream. One limit is the format's, not ours: the snappy framing format has no end
 * marker, so a snappy stream cut exactly at a chunk boundary cannot be told from a complete one.
 */
public enum Compression {
    NONE(""),
    GZIP(".gz"),
    BZIP2(".bz2"),
    SNAPPY(".snappy"),
    XZ(".xz"),
    ZSTD(".zst"),
    LZ4(".lz4");

    /**
     * Between the codecs and the store: several encoders (bzip2, xz, the LZ4/snappy framers) write a
     * few bytes at a time, which a blob writer should not see one call each.
     */
    private static final int BUFFER_SIZE = 64 * 1024;

    /**
     * What an xz stream may ask for to decode. Presets up to {@code -9e} need about 65 MiB; the cap
     * keeps a damaged or hostile header from claiming gigabytes of heap.
     */
    private static final int XZ_MEMORY_LIMIT_KIB = 256 * 1024;

    private final String suffix;

    Compression(String suffix) {
        this.suffix = suffix;
    }

    /** The suffix appended to an object name, empty for {@link #NONE}. */
    public String suffix() {
        return suffix;
    }

    /**
     * Wraps {@code out} so that what is written to the result is compressed into {@code out} in the
     * framing barman-cloud uses (single-member gzip, snappy framing format, LZ4 frame, zstd frame, xz
     * container). Closing the result finishes the stream and closes {@code out}.
     *
     * <p>When a write to the result or finishing the stream fails, closing does not finish the
     * stream: {@code out} is aborted if it is a {@link io.cumulus.storage.BlobOutputStream} (so no
     * truncated object is committed) and closed otherwise. A caller whose <em>source</em> fails
     * must abort the underlying blob writer itself before the result is closed, since a close
     * otherwise commits what was written so far as a complete, valid stream.
     *
     * @param level mapped to the algorithm's own scale by {@link CompressionLevel#levelFor}; ignored
     *     by {@link #NONE} and {@link #SNAPPY}, which have no levels
     */
    public OutputStream compress(OutputStream out, CompressionLevel level) throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(level, "level");
        if (this == NONE) {
            return out;
        }
        OutputStream sink = new BufferedOutputStream(new CloseShieldOutputStream(out), BUFFER_SIZE);
        OutputStream encoder;
        try {
            encoder = encoder(sink, level);
        } catch (IOException | RuntimeException e) {
            EncodingOutputStream.discard(out, e);
            throw e;
        }
        return new EncodingOutputStream(encoder, out);
    }

    private OutputStream encoder(OutputStream sink, CompressionLevel level) throws IOException {
        int n = level.levelFor(this).orElse(0);
        return switch (this) {
            case GZIP -> new LeveledGzipOutputStream(sink, n);
            case BZIP2 -> new BZip2CompressorOutputStream(sink, n);
            // Snappy is chosen for speed: commons-compress's default match search (lazy, 256
            // candidates) ran at 2 MB/s on low-entropy data, its speed tuning at 13 MB/s and smaller.
            case SNAPPY -> new FramedSnappyCompressorOutputStream(sink, SnappyCompressorOutputStream
                    .createParameterBuilder(SnappyCompressorInputStream.DEFAULT_BLOCK_SIZE).tunedForSpeed().build());
            case XZ -> new XZOutputStream(sink, new LZMA2Options(n));
            // The zstd CLI writes a content checksum by default; python-zstandard does not, but
            // verifies one when present, so writing it costs nothing in compatibility.
            case ZSTD -> {
                ZstdLibrary.usePackaged();
                yield new ZstdOutputStreamNoFinalizer(sink, n).setChecksum(true);
            }
            case LZ4 -> new Lz4FrameOutputStream(sink, n);
            case NONE -> throw new AssertionError("NONE has no encoder");
        };
    }

    /**
     * Wraps {@code in} so that reading the result yields the decompressed bytes. Concatenated
     * streams (several gzip members, bzip2 streams, xz streams, zstd or LZ4 frames, as parallel
     * compressors write them) are read through to the end. Closing the result closes {@code in}.
     *
     * @throws IOException here or from the result's reads when the data is corrupt, a checksum
     *     does not match, or the input ends inside a stream (decoders that read a header at once
     *     fail here, and then close {@code in})
     */
    public InputStream decompress(InputStream in) throws IOException {
        Objects.requireNonNull(in, "in");
        try {
            return this == NONE ? in : new Filling(decoder(in));
        } catch (IOException | RuntimeException e) {
            try {
                in.close();
            } catch (IOException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private InputStream decoder(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, BUFFER_SIZE);
            case BZIP2 -> new BZip2CompressorInputStream(buffered(in), true);
            // STANDARD insists on the stream identifier, as python-snappy's StreamDecompressor does.
            case SNAPPY -> new FramedSnappyCompressorInputStream(buffered(in), FramedSnappyDialect.STANDARD);
            case XZ -> new XZInputStream(buffered(in), XZ_MEMORY_LIMIT_KIB);
            case ZSTD -> {
                ZstdLibrary.usePackaged();
                yield new ZstdInputStreamNoFinalizer(in);
            }
            case LZ4 -> new FramedLZ4CompressorInputStream(buffered(in), true);
        };
    }

    private static InputStream buffered(InputStream in) {
        return new BufferedInputStream(in, BUFFER_SIZE);
    }

    /**
     * A decoder whose reads are answered with as many bytes as asked, up to the end. commons-compress's
     * LZ4 and Snappy decoders answer each read with one literal or match, a few dozen bytes: a reader
     * that writes what each read gives (a restored file, a WAL segment) made a million write calls per
     * 28 MB, and restored lz4 and snappy backups 25 to 30 times slower than gzip (whose reads stop
     * short at the ends of its buffer).
     */
    private static final class Filling extends FilterInputStream {
        Filling(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = in.readNBytes(b, off, len);
            return n == 0 ? -1 : n;
        }
    }

    /** {@code name} without the suffix of the compression it ends with, if any (one suffix at most). */
    public static String withoutSuffix(String name) {
        return ofSuffix(name).map(c -> name.substring(0, name.length() - c.suffix.length())).orElse(name);
    }

    /** The compression whose suffix ends {@code name}, or empty when it ends with none of them. */
    public static Optional<Compression> ofSuffix(String name) {
        for (Compression c : values()) {
            if (c != NONE && name.endsWith(c.suffix)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * java.util.zip's gzip writer (one member, as Python's streaming tar reader requires) at a chosen
     * deflate level; the JDK only exposes the level through the protected deflater.
     */
    private static final class LeveledGzipOutputStream extends GZIPOutputStream {
        LeveledGzipOutputStream(OutputStream out, int level) throws IOException {
            super(out, BUFFER_SIZE);
            def.setLevel(level);
        }
    }
}
