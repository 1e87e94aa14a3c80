package io.cumulus.core.compress;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.commons.codec.digest.XXHash32;

/**
 * Writes the LZ4 frame format (lz4 {@code frame_format.md}) as python-lz4's {@code
 * lz4.frame.compress} does by default: independent 64 KiB blocks, a content checksum, no block
 * checksums, no content size.
 *
 * <p>Why not commons-compress's {@code FramedLZ4CompressorOutputStream}: its block encoder slows
 * down quadratically on low-entropy input (measured: 4 MiB of four-letter text took 130 s, a 16
 * MiB pseudo WAL segment 400 s), far beyond what an {@code archive_command} can afford. Its
 * decoder is fine and is what {@link Compression#LZ4} reads with.
 *
 * <p>The encoder is LZ4's greedy parse: a hash of the next four bytes finds earlier occurrences;
 * {@code searchDepth} 1 probes only the newest one (lz4's fast mode, levels 0-2), larger depths walk
 * a hash chain (a simple stand-in for LZ4-HC at levels 3-16).
 */
final class Lz4FrameOutputStream extends OutputStream {

    private static final int MAGIC = 0x184D2204;
    /** Version 01, independent blocks, content checksum. */
    private static final int FLG = 0b0110_0100;
    /** Block maximum size 64 KiB. */
    private static final int BD = 4 << 4;
    private static final int BLOCK_SIZE = 64 * 1024;
    private static final int UNCOMPRESSED_BLOCK = 0x8000_0000;

    private static final int MIN_MATCH = 4;
    /** The last five bytes of a block are always literals. */
    private static final int LAST_LITERALS = 5;
    /** No match starts in the last twelve bytes of a block. */
    private static final int MF_LIMIT = 12;
    private static final int HASH_LOG = 16;
    /** In fast mode, after this many misses in a row the scan steps faster over incompressible data. */
    private static final int SKIP_TRIGGER = 6;

    private final OutputStream out;
    private final int searchDepth;
    private final byte[] block = new byte[BLOCK_SIZE];
    private int blockLength;
    private final byte[] compressed = new byte[BLOCK_SIZE];
    private final int[] head = new int[1 << HASH_LOG];
    /** Previous position with the same hash, per position; only walked when searchDepth > 1. */
    private final int[] chain = new int[BLOCK_SIZE];
    private final XXHash32 contentChecksum = new XXHash32();
    private final byte[] intBuffer = new byte[4];
    private boolean closed;

    /**
     * @param level python-lz4's compression level, 0..16
     */
    Lz4FrameOutputStream(OutputStream out, int level) throws IOException {
        this.out = out;
        this.searchDepth = level < 3 ? 1 : 1 << Math.min(level - 2, 8);
        XXHash32 headerChecksum = new XXHash32();
        headerChecksum.update(new byte[] {(byte) FLG, (byte) BD}, 0, 2);
        writeIntLE(MAGIC);
        out.write(new byte[] {(byte) FLG, (byte) BD, (byte) (headerChecksum.getValue() >>> 8)});
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        while (len > 0) {
            int n = Math.min(len, BLOCK_SIZE - blockLength);
            System.arraycopy(b, off, block, blockLength, n);
            blockLength += n;
            off += n;
            len -= n;
            if (blockLength == BLOCK_SIZE) {
                writeBlock();
            }
        }
    }

    /** Ends the current block early, as the frame format allows, then flushes the target. */
    @Override
    public void flush() throws IOException {
        if (!closed) {
            writeBlock();
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        writeBlock();
        writeIntLE(0); // end mark
        writeIntLE((int) contentChecksum.getValue());
        closed = true;
        out.close();
    }

    private void writeBlock() throws IOException {
        if (blockLength == 0) {
            return;
        }
        contentChecksum.update(block, 0, blockLength);
        int size = compressBlock(blockLength);
        if (size < 0) {
            writeIntLE(blockLength | UNCOMPRESSED_BLOCK);
            out.write(block, 0, blockLength);
        } else {
            writeIntLE(size);
            out.write(compressed, 0, size);
        }
        blockLength = 0;
    }

    /** The compressed size of {@code block[0, len)}, or -1 when it would not be smaller. */
    private int compressBlock(int len) {
        int op = 0;
        int anchor = 0;
        if (len > MF_LIMIT) {
            Arrays.fill(head, -1);
            int matchLimit = len - LAST_LITERALS;
            int lastStart = len - MF_LIMIT;
            int misses = 0;
            int ip = 0;
            while (ip <= lastStart) {
                int sequence = readInt(ip);
                int h = hash(sequence);
                int bestLength = 0;
                int bestPosition = -1;
                int candidate = head[h];
                for (int tries = searchDepth; candidate >= 0 && tries > 0; tries--) {
                    if (readInt(candidate) == sequence) {
                        int length = MIN_MATCH + commonLength(candidate + MIN_MATCH, ip + MIN_MATCH, matchLimit);
                        if (length > bestLength) {
                            bestLength = length;
                            bestPosition = candidate;
                        }
                    }
                    candidate = chain[candidate];
                }
                chain[ip] = head[h];
                head[h] = ip;
                if (bestLength == 0) {
                    ip += searchDepth == 1 ? 1 + (misses++ >> SKIP_TRIGGER) : 1;
                    continue;
                }
                misses = 0;
                while (ip > anchor && bestPosition > 0 && block[ip - 1] == block[bestPosition - 1]) {
                    ip--;
                    bestPosition--;
                    bestLength++;
                }
                op = writeSequence(op, anchor, ip - anchor, ip - bestPosition, bestLength, len);
                if (op < 0) {
                    return -1;
                }
                int end = ip + bestLength;
                // Later matches are found only from positions in the table: fast mode adds one near
                // the end of the match as lz4 does, chain mode all of them.
                for (int p = searchDepth == 1 ? end - 2 : ip + 1; p < end && p + MIN_MATCH <= len; p++) {
                    int hp = hash(readInt(p));
                    chain[p] = head[hp];
                    head[hp] = p;
                }
                ip = end;
                anchor = ip;
            }
        }
        return writeLastLiterals(op, anchor, len - anchor, len);
    }

    private int writeSequence(int op, int literalStart, int literalLength, int offset, int matchLength, int limit) {
        int extra = matchLength - MIN_MATCH;
        int needed = 1 + literalLength / 255 + 1 + literalLength + 2 + extra / 255 + 1;
        if (op + needed >= limit) {
            return -1;
        }
        compressed[op++] = (byte) (Math.min(literalLength, 15) << 4 | Math.min(extra, 15));
        if (literalLength >= 15) {
            op = writeLength(op, literalLength - 15);
        }
        System.arraycopy(block, literalStart, compressed, op, literalLength);
        op += literalLength;
        compressed[op++] = (byte) offset;
        compressed[op++] = (byte) (offset >>> 8);
        if (extra >= 15) {
            op = writeLength(op, extra - 15);
        }
        return op;
    }

    private int writeLastLiterals(int op, int literalStart, int literalLength, int limit) {
        int needed = 1 + literalLength / 255 + 1 + literalLength;
        if (op + needed >= limit) {
            return -1;
        }
        compressed[op++] = (byte) (Math.min(literalLength, 15) << 4);
        if (literalLength >= 15) {
            op = writeLength(op, literalLength - 15);
        }
        System.arraycopy(block, literalStart, compressed, op, literalLength);
        return op + literalLength;
    }

    private int writeLength(int op, int n) {
        while (n >= 255) {
            compressed[op++] = (byte) 255;
            n -= 255;
        }
        compressed[op++] = (byte) n;
        return op;
    }

    private int commonLength(int earlier, int later, int limit) {
        int n = 0;
        while (later + n < limit && block[earlier + n] == block[later + n]) {
            n++;
        }
        return n;
    }

    private int readInt(int p) {
        return (block[p] & 0xff) | (block[p + 1] & 0xff) << 8 | (block[p + 2] & 0xff) << 16 | (block[p + 3] & 0xff) << 24;
    }

    private static int hash(int sequence) {
        return (sequence * -1640531535) >>> (32 - HASH_LOG);
    }

    private void writeIntLE(int v) throws IOException {
        intBuffer[0] = (byte) v;
        intBuffer[1] = (byte) (v >>> 8);
        intBuffer[2] = (byte) (v >>> 16);
        intBuffer[3] = (byte) (v >>> 24);
        out.write(intBuffer);
    }
}
