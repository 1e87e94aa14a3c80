package io.cumulus.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes written once and read back whole, held in chunks of 1 MiB: growing never copies what is
 * already held (a {@code ByteArrayOutputStream} doubles and copies, and its {@code toByteArray} copies
 * again), so a large text such as a backup_manifest of millions of files costs its own size in heap,
 * not four or five times it.
 */
public final class ChunkedBytes extends OutputStream {

    private static final int CHUNK = 1 << 20;

    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int used = CHUNK;
    private long size;

    /** Bytes holding a copy of {@code content}. */
    public static ChunkedBytes of(byte[] content) {
        ChunkedBytes bytes = new ChunkedBytes();
        bytes.write(content, 0, content.length);
        return bytes;
    }

    @Override
    public void write(int b) {
        if (used == CHUNK) {
            newChunk();
        }
        current[used++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        while (length > 0) {
            if (used == CHUNK) {
                newChunk();
            }
            int n = Math.min(length, CHUNK - used);
            System.arraycopy(bytes, offset, current, used, n);
            used += n;
            offset += n;
            length -= n;
            size += n;
        }
    }

    private void newChunk() {
        current = new byte[CHUNK];
        chunks.add(current);
        used = 0;
    }

    /** How many bytes were written. */
    public long size() {
        return size;
    }

    /** Writes every byte held, in order, to {@code out}. */
    public void writeTo(OutputStream out) throws IOException {
        for (int i = 0; i < chunks.size(); i++) {
            out.write(chunks.get(i), 0, i == chunks.size() - 1 ? used : CHUNK);
        }
    }

    /** A copy of every byte held, for callers that want an array (tests, small contents). */
    public byte[] toByteArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(size + " bytes do not fit in an array");
        }
        byte[] all = new byte[(int) size];
        int at = 0;
        for (int i = 0; i < chunks.size(); i++) {
            int n = i == chunks.size() - 1 ? used : CHUNK;
            System.arraycopy(chunks.get(i), 0, all, at, n);
            at += n;
        }
        return all;
    }
}
