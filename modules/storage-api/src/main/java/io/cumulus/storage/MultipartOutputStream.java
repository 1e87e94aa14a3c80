package io.cumulus.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Turns a stream of bytes into one object on a store with multipart uploads (S3 parts, Azure blocks),
 * hiding the parts behind {@link #close()}: a stream that ends before its first part is full goes up
 * in one single request; a longer one becomes a multipart upload whose parts are uploaded in
 * parallel while the caller keeps writing.
 *
 * <p><b>Memory.</b> At most {@code partsInFlight} parts are being uploaded while the caller fills
 * the next one, so the stream holds at most {@code (partsInFlight + 1) × part size} bytes; a writer
 * that gets ahead blocks until a part finishes. <b>Part size.</b> Parts start at {@code partSize}
 * and double every {@code maxParts / 10} parts (never beyond {@code maxPartSize}), so a stream of
 * unknown length never needs more than {@code maxParts} parts: from 5 MiB with S3's 10,000 that is
 * about 4.4 TiB (a part is also capped at the largest Java array, 2 GiB); with an expected size the
 * first part is large enough on its own. The memory bound therefore grows with the part size: from
 * 5 MiB with 4 parts in flight, 4 GiB holds 25 MiB, 100 GiB 400 MiB ({@link
 * Settings#largestPartSize(long)} tells the largest part of an object of a given size). A stream
 * planned for a size ({@link Settings#plannedSize()}, a backup archive's) keeps its first part size
 * until it has covered that size, and grows only beyond it: its bound stays {@code (partsInFlight + 1)
 * × partSize} up to the planned size.
 *
 * <p><b>Failure.</b> A failed part, a failed commit or {@link #abort()} aborts the multipart upload
 * once the parts in flight have finished (so none lands after the abort); errors during that cleanup
 * are attached to the original failure as suppressed. The stream itself is used by one thread.
 */
public final class MultipartOutputStream extends BlobOutputStream {

    /**
     * The few store calls a multipart upload needs; the store translates its own errors. The arrays given
     * to {@code putSingle} and {@code uploadPart} are the stream's and go back to its buffer pool once
     * the call has returned normally, for another object: a store must not keep them, or read them later.
     */
    public interface MultipartTarget {
        /** Writes the whole object in one request: {@code data[0, length)}. */
        void putSingle(byte[] data, int length) throws IOException;

        /**
         * A fresh digest of the kind the store sends with a body to have it checked (S3's Content-MD5), or
         * null when it sends none. For an object its writer announced to fit in one request, the stream
         * updates this digest as the bytes are written, so that the hashing is done when the writer closes
         * the stream, and may have run while the writer waited on something else.
         */
        default MessageDigest bodyDigest() {
            return null;
        }

        /**
         * Writes the whole object in one request, {@code data[0, length)}, whose digest {@code digest}
         * (from {@link #bodyDigest()}) has been updated with exactly those bytes.
         */
        default void putSingle(byte[] data, int length, MessageDigest digest) throws IOException {
            putSingle(data, length);
        }

        /** Starts a multipart upload and returns its id. */
        String startUpload() throws IOException;

        /**
         * Uploads {@code data[0, length)} as part {@code partNumber} (from 1). Called from the executor's
         * threads, several at once. The array is not reused until this returns, nor after it failed.
         *
         * @return what the commit needs to name the part (S3 ETag, Azure block id)
         */
        String uploadPart(String uploadId, int partNumber, byte[] data, int length) throws IOException;

        /** Makes the object visible from the parts, given in ascending part number. */
        void complete(String uploadId, List<CompletedPart> parts) throws IOException;

        /** Discards the upload and its parts. */
        void abort(String uploadId) throws IOException;
    }

    /** One uploaded part, as the commit names it. */
    public record CompletedPart(int partNumber, String etag) {
        public CompletedPart {
            Objects.requireNonNull(etag, "etag");
            if (partNumber < 1) {
                throw new IllegalArgumentException("part numbers start at 1, not " + partNumber);
            }
        }
    }

    /**
     * How a store cuts objects into parts.
     *
     * @param partSize size of the first parts, and the largest object sent in one request
     * @param maxParts the store's limit on parts per object (S3 10,000, Azure 50,000)
     * @param maxPartSize the store's limit on one part; also capped at the largest Java array
     * @param partsInFlight parts uploaded at once by one stream
     * @param plannedSize the size the writer plans its objects to reach (a backup archive's {@code -S}
     *     and the file that passes it), for which parts keep their first size; 0 when unknown
     */
    public record Settings(int partSize, int maxParts, long maxPartSize, int partsInFlight, long plannedSize) {
        public Settings {
            if (partSize < 1 || maxParts < 1 || partsInFlight < 1) {
                throw new IllegalArgumentException("part size, max parts and parts in flight must be positive: "
                        + partSize + ", " + maxParts + ", " + partsInFlight);
            }
            if (maxPartSize < partSize) {
                throw new IllegalArgumentException("max part size " + maxPartSize + " below part size " + partSize);
            }
            if (plannedSize < 0) {
                throw new IllegalArgumentException("planned size must be 0 (unknown) or positive, not " + plannedSize);
            }
        }

        /** Settings for objects of unknown size. */
        public Settings(int partSize, int maxParts, long maxPartSize, int partsInFlight) {
            this(partSize, maxParts, maxPartSize, partsInFlight, 0);
        }

        /**
         * The most a stream with these settings buffers for an object of {@code size} bytes given as its
         * expected size: the object itself when it fits in the first part (one request), else the parts in
         * flight and the one being filled, each a first part's size, no more of them than the object fills.
         */
        public long bufferNeed(long size) {
            long part = firstPartFor(size);
            if (size <= part) {
                return size;
            }
            return Math.min((size + part - 1) / part, partsInFlight + 1L) * part;
        }

        /** The first part of a stream told its object's size: large enough that the object needs no growth. */
        int firstPartFor(long expectedSize) {
            return (int) Math.min(Math.max(partSize, (expectedSize + maxParts - 1) / maxParts), largestPart());
        }

        /** These settings for objects planned to reach {@code size} bytes (0: unknown). */
        public Settings withPlannedSize(long size) {
            return new Settings(partSize, maxParts, maxPartSize, partsInFlight, size);
        }

        /**
         * The largest part of an object of {@code objectSize} bytes written without an expected size (a
         * backup archive): the part that holds its last byte, after the growth. It, not {@link
         * #partSize()}, bounds a stream's memory near the end of a large object: {@code (partsInFlight + 1)}
         * such parts. From 20.5 MiB parts (100 GB / 5,000) with 10,000 parts, a 101 GiB object ends
         * with parts of 82 MiB; planned for 101 GiB, with parts of 20.5 MiB.
         */
        public long largestPartSize(long objectSize) {
            int first = firstPart();
            long covered = 0;
            for (int number = 1; ; number++) {
                int size = grownPartSize(first, largestPart(), doublings(number));
                covered += size;
                if (objectSize <= covered || number == maxParts) { // part maxParts's: the stream fails beyond it
                    return size;
                }
            }
        }

        /**
         * How often part {@code number} (from 1) has doubled: not while the parts of the first size
         * cover the planned size, or a tenth of the part limit when that is more; then every tenth of
         * the parts left, so that any object still fits in {@code maxParts}.
         */
        int doublings(int number) {
            int kept = partsOfFirstSize();
            if (number <= kept) {
                return 0;
            }
            int interval = kept > tenthOfLimit() ? Math.max(1, (maxParts - kept) / 10) : tenthOfLimit();
            return (number - kept - 1) / interval + 1;
        }

        /** Parts of the first size: those that cover the planned size, and at least a tenth of the limit. */
        private int partsOfFirstSize() {
            long planned = (plannedSize + firstPart() - 1) / firstPart();
            return (int) Math.min(maxParts, Math.max(planned, tenthOfLimit()));
        }

        private int tenthOfLimit() {
            return Math.max(1, maxParts / 10);
        }

        private int firstPart() {
            return Math.min(partSize, largestPart());
        }

        /** The store's largest part, within the largest Java array. */
        int largestPart() {
            return (int) Math.min(maxPartSize, MAX_ARRAY);
        }
    }

    /** A part's size after {@code doublings}, never beyond the largest part. */
    private static int grownPartSize(int first, int largest, int doublings) {
        return (int) Math.min((long) first << Math.min(31, doublings), largest);
    }

    /** The largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    /** First buffer for a stream of unknown length, so that small objects do not cost a whole part. */
    private static final int INITIAL_BUFFER = 64 * 1024;

    private final MultipartTarget target;
    private final Executor executor;
    private final String description;
    private final int maxParts;
    private final int firstPartSize;
    private final int largestPartSize;
    private final Settings settings;
    private final Semaphore permits;
    private final List<CompletableFuture<CompletedPart>> parts = new ArrayList<>();
    private final AtomicReference<Throwable> partFailure = new AtomicReference<>();

    private byte[] buffer;
    private int count;
    /** The digest of the bytes in {@link #buffer}, while the object is expected to go in one request. */
    private MessageDigest singleDigest;
    private int partLimit;
    private long written;
    private String uploadId;
    private boolean done;

    /**
     * @param target the store calls for this object
     * @param executor runs the part uploads; must not run them in the calling thread of a bounded pool
     *     shared with the writer
     * @param settings the store's part size and limits
     * @param expectedSize the object's length when known, to size the first part and buffer
     * @param description the object, for messages (such as {@code s3://bucket/key})
     */
    public MultipartOutputStream(MultipartTarget target, Executor executor, Settings settings,
            OptionalLong expectedSize, String description) {
        this.target = Objects.requireNonNull(target, "target");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.description = Objects.requireNonNull(description, "description");
        this.maxParts = settings.maxParts();
        this.largestPartSize = settings.largestPart();
        // with a known length, parts big enough that it fits without growing
        this.firstPartSize = expectedSize.isPresent() ? settings.firstPartFor(expectedSize.getAsLong())
                : Math.min(settings.partSize(), largestPartSize);
        this.settings = settings;
        this.permits = new Semaphore(settings.partsInFlight());
        this.partLimit = firstPartSize;
        int initial = expectedSize.isPresent()
                ? (int) Math.min(firstPartSize, Math.max(1, expectedSize.getAsLong()))
                : Math.min(firstPartSize, INITIAL_BUFFER);
        this.buffer = BufferPool.SHARED.take(initial);
        if (expectedSize.isPresent() && expectedSize.getAsLong() <= firstPartSize) {
            this.singleDigest = target.bodyDigest();
        }
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        if (count == buffer.length) {
            makeRoom();
        }
        buffer[count++] = (byte) b;
        written++;
        if (singleDigest != null) {
            singleDigest.update((byte) b);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        while (len > 0) {
            if (count == buffer.length) {
                makeRoom();
            }
            int n = Math.min(len, buffer.length - count);
            System.arraycopy(b, off, buffer, count, n);
            if (singleDigest != null) {
                singleDigest.update(b, off, n);
            }
            count += n;
            off += n;
            len -= n;
            written += n;
        }
    }

    /** Grows a buffer that is smaller than its part, or hands a full part to the executor. */
    private void makeRoom() throws IOException {
        if (buffer.length < partLimit) {
            buffer = Arrays.copyOf(buffer, (int) Math.min(partLimit, 2L * buffer.length));
            return;
        }
        try {
            uploadFullPart();
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        }
    }

    private void uploadFullPart() throws IOException {
        singleDigest = null; // longer than announced: parts, each hashed by the store as it goes
        checkPartFailure();
        if (uploadId == null) {
            uploadId = target.startUpload();
        }
        submit(buffer, count);
        int nextNumber = parts.size() + 1;
        if (nextNumber > maxParts) {
            throw new IOException(description + " is too large: more than " + maxParts + " parts");
        }
        partLimit = partSize(nextNumber);
        buffer = BufferPool.SHARED.take(partLimit);
        count = 0;
    }

    /** Part {@code number}'s size: grown as {@link Settings#doublings} says, up to the store's largest. */
    private int partSize(int number) {
        return grownPartSize(firstPartSize, largestPartSize, settings.doublings(number));
    }

    private void submit(byte[] data, int length) throws IOException {
        int number = parts.size() + 1;
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading " + description);
        }
        checkPartFailure();
        String id = uploadId;
        CompletableFuture<CompletedPart> part = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    String etag = target.uploadPart(id, number, data, length);
                    BufferPool.SHARED.give(data); // only after a part was sent: a failed request may still hold it
                    part.complete(new CompletedPart(number, etag));
                } catch (Throwable t) {
                    partFailure.compareAndSet(null, t);
                    part.completeExceptionally(t);
                } finally {
                    permits.release();
                }
            });
        } catch (RejectedExecutionException e) {
            permits.release();
            throw new IOException("cannot upload " + description + ": the store is closed", e);
        }
        parts.add(part);
    }

    private void checkPartFailure() throws IOException {
        Throwable failure = partFailure.get();
        if (failure != null) {
            throw asIOException(failure);
        }
    }

    /** Commits: one request for a small object, else the last part, the wait, and the completion. */
    @Override
    public void close() throws IOException {
        if (done) {
            return;
        }
        try {
            if (uploadId == null) {
                done = true;
                if (singleDigest != null) {
                    target.putSingle(buffer, count, singleDigest);
                } else {
                    target.putSingle(buffer, count);
                }
                BufferPool.SHARED.give(buffer);
            } else {
                if (count > 0) {
                    submit(buffer, count);
                }
                List<CompletedPart> completed = new ArrayList<>(parts.size());
                for (CompletableFuture<CompletedPart> part : parts) {
                    completed.add(await(part));
                }
                done = true;
                target.complete(uploadId, completed);
            }
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        } finally {
            done = true;
            buffer = null;
        }
    }

    @Override
    public void abort() throws IOException {
        if (done) {
            return;
        }
        done = true;
        buffer = null;
        IOException failure = new IOException("aborted upload of " + description);
        abortUpload(failure);
        if (failure.getSuppressed().length > 0) {
            throw failure;
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

    /** Aborts after a failure and returns the exception to throw, with cleanup errors suppressed in it. */
    private IOException fail(Exception cause) {
        done = true;
        buffer = null;
        IOException failure = cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        abortUpload(failure);
        return failure;
    }

    /**
     * Waits for the parts in flight, so none lands after the abort (S3 would keep it and bill it),
     * then discards the upload.
     */
    private void abortUpload(IOException failure) {
        if (uploadId == null) {
            return;
        }
        boolean interrupted = false;
        for (CompletableFuture<CompletedPart> part : parts) {
            while (!part.isDone()) {
                try {
                    part.get();
                } catch (InterruptedException e) {
                    interrupted = true; // still abort: an interrupted backup must not leave a paid-for upload
                } catch (ExecutionException e) {
                    // the part's own failure is the cause already, or irrelevant to an abort
                }
            }
        }
        try {
            target.abort(uploadId);
        } catch (IOException | RuntimeException e) {
            if (e != failure) {
                failure.addSuppressed(e);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletedPart await(CompletableFuture<CompletedPart> part) throws IOException {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading " + description);
        } catch (ExecutionException e) {
            throw asIOException(e.getCause());
        }
    }

    private IOException asIOException(Throwable failure) {
        if (failure instanceof IOException io) {
            return io;
        }
        return new IOException("upload of a part of " + description + " failed: " + failure, failure);
    }
}
