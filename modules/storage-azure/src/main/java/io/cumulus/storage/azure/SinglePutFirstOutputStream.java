package io.cumulus.storage.azure;

import io.cumulus.storage.BlobOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Keeps a write in memory up to the single-put limit and sends it in one request at close; only
 * past that limit does it become a staged-block upload. Azure (like barman-cloud's options) has two
 * sizes where {@link io.cumulus.storage.MultipartOutputStream} has one: a 16 MiB WAL segment goes up
 * in one Put Blob with 64 MiB single puts even though blocks are 4 MiB.
 */
final class SinglePutFirstOutputStream extends BlobOutputStream {

    /** Sends a whole object in one request. */
    @FunctionalInterface
    interface SinglePut {
        void put(byte[] data, int length) throws IOException;
    }

    /** Opens the block upload that takes over once the limit is passed. */
    @FunctionalInterface
    interface BlockUploadOpener {
        BlobOutputStream open() throws IOException;
    }

    /** First buffer for a stream of unknown length, so that small objects do not cost the whole limit. */
    private static final int INITIAL_BUFFER = 64 * 1024;

    private final int limit;
    private final SinglePut singlePut;
    private final BlockUploadOpener blocks;
    private final String description;
    private byte[] buffer;
    private int count;
    private long written;
    private BlobOutputStream blockUpload;
    private boolean done;

    SinglePutFirstOutputStream(int limit, OptionalLong expectedSize, SinglePut singlePut, BlockUploadOpener blocks,
            String description) {
        this.limit = limit;
        this.singlePut = Objects.requireNonNull(singlePut, "singlePut");
        this.blocks = Objects.requireNonNull(blocks, "blocks");
        this.description = Objects.requireNonNull(description, "description");
        int initial = expectedSize.isPresent() && expectedSize.getAsLong() <= limit
                ? (int) Math.max(1, expectedSize.getAsLong())
                : Math.min(limit, INITIAL_BUFFER);
        this.buffer = new byte[initial];
    }

    @Override
    public void write(int b) throws IOException {
        if (!done && blockUpload == null && count < buffer.length) { // buffer.length never exceeds the limit
            buffer[count++] = (byte) b;
            written++;
            return;
        }
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (blockUpload == null && (long) count + len > limit) {
            startBlocks();
        }
        if (blockUpload != null) {
            try {
                blockUpload.write(b, off, len);
            } catch (IOException | RuntimeException e) {
                done = true; // the block upload has aborted itself
                throw e;
            }
        } else {
            if (count + len > buffer.length) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit, Math.max(count + len, 2L * buffer.length)));
            }
            System.arraycopy(b, off, buffer, count, len);
            count += len;
        }
        written += len;
    }

    /** Hands what is buffered to a new block upload, which takes every later write. */
    private void startBlocks() throws IOException {
        try {
            blockUpload = blocks.open();
            blockUpload.write(buffer, 0, count);
        } catch (IOException | RuntimeException e) {
            done = true;
            buffer = null;
            throw e;
        }
        buffer = null;
        count = 0;
    }

    @Override
    public void close() throws IOException {
        if (done) {
            return;
        }
        done = true;
        if (blockUpload != null) {
            blockUpload.close();
            return;
        }
        byte[] data = buffer;
        buffer = null;
        singlePut.put(data, count);
    }

    @Override
    public void abort() throws IOException {
        if (done) {
            return;
        }
        done = true;
        buffer = null;
        if (blockUpload != null) {
            blockUpload.abort();
        }
    }

    @Override
    public long bytesWritten() {
        return written;
    }

    private void ensureOpen() throws IOException {
        if (done) {
            throw new IOException("writer of " + description + " is closed");
        }
    }
}
