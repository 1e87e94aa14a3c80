package io.cumulus.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.MultipartOutputStream.CompletedPart;
import io.cumulus.storage.MultipartOutputStream.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultipartOutputStreamTest {

    /** A store in memory that records every call, and fails the calls it is told to fail. */
    private static final class RecordingTarget implements MultipartOutputStream.MultipartTarget {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final Map<Integer, byte[]> parts = Collections.synchronizedMap(new TreeMap<>());
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        volatile byte[] object;
        volatile int failPart = -1;
        volatile IOException completeFailure;
        volatile IOException abortFailure;
        volatile long partDelayMillis;
        /** The arrays the stream handed over, in order. */
        final List<byte[]> arrays = Collections.synchronizedList(new ArrayList<>());
        volatile IOException putFailure;

        @Override
        public void putSingle(byte[] data, int length) throws IOException {
            calls.add("put " + length);
            arrays.add(data);
            if (putFailure != null) {
                throw putFailure;
            }
            object = java.util.Arrays.copyOf(data, length);
        }

        /** Set: the target asks for an MD5 of single-request bodies, and records the one it gets. */
        volatile boolean digesting;
        volatile byte[] digest;

        @Override
        public java.security.MessageDigest bodyDigest() {
            try {
                return digesting ? java.security.MessageDigest.getInstance("MD5") : null;
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void putSingle(byte[] data, int length, java.security.MessageDigest md5) {
            calls.add("put " + length + " hashed");
            object = java.util.Arrays.copyOf(data, length);
            digest = md5.digest();
        }

        @Override
        public String startUpload() {
            calls.add("start");
            return "upload-1";
        }

        @Override
        public String uploadPart(String uploadId, int partNumber, byte[] data, int length) throws IOException {
            int now = running.incrementAndGet();
            maxRunning.accumulateAndGet(now, Math::max);
            arrays.add(data);
            try {
                Thread.sleep(partDelayMillis);
                if (partNumber == failPart) {
                    throw new AccessDeniedException("part " + partNumber);
                }
                parts.put(partNumber, java.util.Arrays.copyOf(data, length));
                return "etag-" + partNumber;
            } catch (InterruptedException e) {
                throw new IOException(e);
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public void complete(String uploadId, List<CompletedPart> completed) throws IOException {
            calls.add("complete " + completed.size());
            for (int i = 0; i < completed.size(); i++) {
                assertEquals(new CompletedPart(i + 1, "etag-" + (i + 1)), completed.get(i));
            }
            if (completeFailure != null) {
                throw completeFailure;
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            parts.values().forEach(all::writeBytes);
            object = all.toByteArray();
        }

        @Override
        public void abort(String uploadId) throws IOException {
            calls.add("abort");
            parts.clear();
            if (abortFailure != null) {
                throw abortFailure;
            }
        }

        List<Integer> partSizes() {
            return parts.values().stream().map(p -> p.length).toList();
        }
    }

    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final RecordingTarget target = new RecordingTarget();

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    private MultipartOutputStream stream(int partSize, int maxParts, int inFlight) {
        return stream(new Settings(partSize, maxParts, 1L << 30, inFlight), OptionalLong.empty());
    }

    private MultipartOutputStream stream(Settings settings, OptionalLong expectedSize) {
        return new MultipartOutputStream(target, executor, settings, expectedSize, "test://bucket/key");
    }

    private static byte[] bytes(int length) {
        byte[] data = new byte[length];
        new Random(length).nextBytes(data);
        return data;
    }

    @Test
    void theBufferNeedOfAnAnnouncedObjectIsItselfInOnePartElseThePartsInFlightAndTheOneBeingFilled() {
        Settings s3 = new Settings(16 << 20, 10_000, 5L << 30, 4);
        assertEquals(16L << 20, s3.bufferNeed(16 << 20), "a WAL segment: one request");
        assertEquals(2 * (16L << 20), s3.bufferNeed(17 << 20), "two parts, both held");
        assertEquals(5 * (16L << 20), s3.bufferNeed(100L << 20), "4 in flight and one being filled");
        Settings fewParts = new Settings(4, 10, 1 << 20, 2);
        assertEquals(3 * 10, fewParts.bufferNeed(100), "parts grown so that 100 bytes fit in 10 of them");
        assertEquals(3, fewParts.bufferNeed(3));
    }

    @Test
    void streamEndingBeforeTheFirstPartIsFullIsOneSinglePut() throws IOException {
        byte[] data = bytes(100);
        try (MultipartOutputStream out = stream(100, 10_000, 2)) {
            out.write(data);
        }
        assertEquals(List.of("put 100"), target.calls);
        assertArrayEquals(data, target.object);
    }

    @Test
    void anObjectAnnouncedToFitOneRequestIsHashedWhileItIsWritten() throws Exception {
        target.digesting = true;
        byte[] data = bytes(300);
        try (MultipartOutputStream out = stream(new Settings(1000, 10_000, 1L << 30, 2), OptionalLong.of(300))) {
            out.write(data[0]);
            out.write(data, 1, 199);
            out.write(data, 200, 100);
        }
        assertEquals(List.of("put 300 hashed"), target.calls);
        assertArrayEquals(data, target.object);
        assertArrayEquals(java.security.MessageDigest.getInstance("MD5").digest(data), target.digest);
    }

    @Test
    void anObjectOfUnknownOrLargerSizeIsNotHashedByTheStream() throws IOException {
        target.digesting = true;
        try (MultipartOutputStream out = stream(100, 10_000, 2)) {
            out.write(bytes(100));
        }
        assertEquals(List.of("put 100"), target.calls, "no size announced: the store hashes the body itself");
        target.calls.clear();
        try (MultipartOutputStream out = stream(new Settings(100, 10_000, 1L << 30, 2), OptionalLong.of(100))) {
            out.write(bytes(250)); // longer than announced: parts
        }
        assertEquals(List.of("start", "complete 3"), target.calls);
        assertNull(target.digest);
    }

    @Test
    void emptyStreamIsAnEmptySinglePut() throws IOException {
        stream(100, 10_000, 2).close();
        assertEquals(List.of("put 0"), target.calls);
    }

    @Test
    void longerStreamIsUploadedInPartsAndCompletedInOrder() throws IOException {
        byte[] data = bytes(1001);
        MultipartOutputStream out = stream(100, 10_000, 3);
        for (byte b : data) {
            out.write(b);
        }
        out.close();
        assertEquals(List.of("start", "complete 11"), target.calls);
        assertEquals(Collections.nCopies(10, 100), target.partSizes().subList(0, 10));
        assertArrayEquals(data, target.object);
        assertEquals(1001, out.bytesWritten());
    }

    @Test
    void partSizeDoublesEveryTenthOfThePartLimit() throws IOException {
        byte[] data = bytes(10 + 10 + 20 + 20 + 40 + 40 + 5);
        try (MultipartOutputStream out = stream(10, 20, 2)) {
            out.write(data);
        }
        assertEquals(List.of(10, 10, 20, 20, 40, 40, 5), target.partSizes());
        assertArrayEquals(data, target.object);
    }

    /**
     * What a backup's heap check relies on: for every object size, the largest part buffer a stream
     * really held is the one {@link Settings#largestPartSize(long)} computes, planned for a size or not.
     */
    @Test
    void largestPartSizeIsTheLargestBufferTheStreamHolds() throws IOException {
        Settings unplanned = new Settings(10, 20, 1L << 30, 2); // two parts of each size: 10, 10, 20, 20, 40...
        Settings planned = unplanned.withPlannedSize(55); // six parts of 10, then one of each size: 20, 40...
        for (Settings settings : List.of(unplanned, planned)) {
            for (int size = 1; size <= 10 + 10 + 20 + 20 + 40 + 40 + 80 + 1; size++) {
                RecordingTarget recording = new RecordingTarget();
                try (MultipartOutputStream out = new MultipartOutputStream(recording, executor, settings,
                        OptionalLong.empty(), "test://bucket/key")) {
                    out.write(bytes(size));
                }
                int largest = recording.arrays.stream().mapToInt(array -> array.length).max().orElseThrow();
                assertEquals(largest, settings.largestPartSize(size), settings + ", an object of " + size + " bytes");
            }
        }
        // past the part limit: the last part's, where the stream fails
        assertEquals(10 << 9, unplanned.largestPartSize(1L << 40));
        assertEquals(10 << 14, planned.largestPartSize(1L << 40));
        assertEquals(64, new Settings(10, 20, 64, 2).largestPartSize(1L << 40), "never beyond the store's largest");
    }

    @Test
    void plannedStreamKeepsItsFirstPartSizeUntilThePlannedSizeAndThenGrowsToFitTheLimit() throws IOException {
        // 100 bytes planned: 10 parts of 10, then the 10 parts left double one by one
        try (MultipartOutputStream out = stream(new Settings(10, 20, 1L << 30, 2, 100), OptionalLong.empty())) {
            out.write(bytes(100 + 20 + 40 + 1));
        }
        assertEquals(List.of(10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 20, 40, 1), target.partSizes());
        // unplanned, or planned below a tenth of the limit: two parts of each size, as always
        assertEquals(20, new Settings(10, 20, 1L << 30, 2).largestPartSize(21));
        assertEquals(20, new Settings(10, 20, 1L << 30, 2, 15).largestPartSize(21));
        // an object far beyond its plan still fits in the limit: as much as unplanned parts hold, and more
        RecordingTarget large = new RecordingTarget();
        try (MultipartOutputStream out = new MultipartOutputStream(large, executor,
                new Settings(10, 20, 1L << 30, 2, 100), OptionalLong.empty(), "test://bucket/key")) {
            out.write(bytes(10 * 2 * 1023 + 100));
        }
        assertEquals(20, large.partSizes().size());
    }

    /**
     * The numbers of a default backup to S3 or GCS: parts of 2 × 100 GiB / 10,000 (20.5 MiB). Planned
     * for an archive of -S 100GB plus the 1 GiB file that passes it, they stay 20.5 MiB for 5,051 parts
     * and only an archive beyond that needs larger ones; unplanned, 1,000 of them hold 20 GiB, the next
     * 1,000 twice that, and such an archive ends with parts of four times the first, 82 MiB.
     */
    @Test
    void aDefaultBackupArchiveKeepsItsFirstPartSizeWhenPlannedFor() {
        int first = (int) (2 * ((100L << 30) / 10_000));
        long largestArchive = (100L << 30) + (1L << 30) + (16L << 20);
        Settings planned = new Settings(first, 10_000, 5L << 30, 12, largestArchive);
        assertEquals(first, planned.largestPartSize(largestArchive));
        assertEquals(first, planned.largestPartSize(5051L * first));
        assertEquals(2L * first, planned.largestPartSize(5051L * first + 1));
        assertEquals(2L * first, planned.largestPartSize((5051L + 494 * 2) * first));
        assertEquals(4L * first, planned.largestPartSize((5051L + 494 * 2) * first + 1));
        assertTrue(48 * planned.largestPartSize(largestArchive) + (32L << 20) <= 1L << 30, "-J 47 fits a 1 GiB heap");

        Settings unplanned = new Settings(first, 10_000, 5L << 30, 12);
        assertEquals(first, unplanned.largestPartSize(1000L * first));
        assertEquals(2L * first, unplanned.largestPartSize(1000L * first + 1));
        assertEquals(2L * first, unplanned.largestPartSize(3000L * first));
        assertEquals(4L * first, unplanned.largestPartSize(3000L * first + 1));
        assertEquals(4L * first, unplanned.largestPartSize(largestArchive));
    }

    @Test
    void expectedSizeMakesTheFirstPartsLargeEnough() throws IOException {
        byte[] data = bytes(1000);
        try (MultipartOutputStream out = stream(new Settings(10, 10, 1 << 20, 2), OptionalLong.of(1000))) {
            out.write(data);
        }
        // 10 parts of 10 bytes cannot hold 1,000: the first part is 1000 / 10
        assertEquals(100, target.partSizes().get(0));
        assertArrayEquals(data, target.object);
    }

    @Test
    void streamNeedingMorePartsThanTheLimitFailsAndAborts() {
        MultipartOutputStream out = stream(new Settings(10, 3, 10, 2), OptionalLong.empty());
        IOException e = assertThrows(IOException.class, () -> out.write(bytes(31)));
        assertTrue(e.getMessage().contains("more than 3 parts"), e.getMessage());
        assertEquals(List.of("start", "abort"), target.calls);
    }

    @Test
    void noMoreThanThePartsInFlightAreUploadedAtOnce() throws IOException {
        target.partDelayMillis = 20;
        try (MultipartOutputStream out = stream(10, 10_000, 3)) {
            out.write(bytes(300));
        }
        assertEquals(3, target.maxRunning.get());
    }

    @Test
    void failedPartFailsTheNextWriteOrCloseWithItsOwnErrorAndAborts() {
        target.failPart = 2;
        MultipartOutputStream out = stream(10, 10_000, 1);
        IOException e = assertThrows(IOException.class, () -> {
            out.write(bytes(1000));
            out.close();
        });
        assertTrue(e instanceof AccessDeniedException, e.toString());
        assertEquals("abort", target.calls.get(target.calls.size() - 1));
        assertFalse(target.calls.stream().anyMatch(c -> c.startsWith("complete")));
        assertNull(target.object);
        assertThrows(IOException.class, () -> out.write(1));
    }

    @Test
    void failedCompleteAbortsAndKeepsCleanupErrorsAsSuppressed() {
        IOException completeFailure = new IOException("412 precondition failed");
        IOException abortFailure = new IOException("abort failed too");
        target.completeFailure = completeFailure;
        target.abortFailure = abortFailure;
        MultipartOutputStream out = stream(10, 10_000, 2);
        IOException e = assertThrows(IOException.class, () -> {
            out.write(bytes(25));
            out.close();
        });
        assertSame(completeFailure, e);
        assertArrayEquals(new Throwable[] {abortFailure}, e.getSuppressed());
        assertEquals(List.of("start", "complete 3", "abort"), target.calls);
    }

    @Test
    void abortDiscardsTheUploadAndCloseThenDoesNothing() throws IOException {
        target.partDelayMillis = 10;
        MultipartOutputStream out = stream(10, 10_000, 4);
        out.write(bytes(95));
        out.abort();
        out.close();
        assertEquals(List.of("start", "abort"), target.calls);
        assertTrue(target.parts.isEmpty(), "no part may land after the abort");
        assertNull(target.object);
    }

    @Test
    void abortBeforeAnyPartCallsNothing() throws IOException {
        MultipartOutputStream out = stream(10, 10_000, 4);
        out.write(bytes(5));
        out.abort();
        out.close();
        assertEquals(List.of(), target.calls);
    }

    @Test
    void theBufferOfAnObjectSentWholeServesTheNextObjectOfItsSize() throws IOException {
        int size = (3 << 20) + 17; // a size no other test uses: the pool is the JVM's
        Settings settings = new Settings(8 << 20, 10_000, 1L << 30, 2);
        byte[] first = bytes(size);
        try (MultipartOutputStream out = stream(settings, OptionalLong.of(size))) {
            out.write(first);
        }
        byte[] second = new byte[size]; // other content, in a reused array holding the first
        try (MultipartOutputStream out = stream(settings, OptionalLong.of(size))) {
            out.write(second);
        }
        assertEquals(2, target.arrays.size());
        assertSame(target.arrays.get(0), target.arrays.get(1), "the second object reuses the first one's buffer");
        assertArrayEquals(second, target.object);
    }

    @Test
    void theBufferOfAFailedRequestIsNotReused() throws IOException {
        int size = (3 << 20) + 29;
        Settings settings = new Settings(8 << 20, 10_000, 1L << 30, 2);
        target.putFailure = new IOException("refused");
        MultipartOutputStream failing = stream(settings, OptionalLong.of(size));
        failing.write(bytes(size));
        assertThrows(IOException.class, failing::close);
        target.putFailure = null;
        try (MultipartOutputStream out = stream(settings, OptionalLong.of(size))) {
            out.write(bytes(size));
        }
        assertEquals(2, target.arrays.size());
        assertFalse(target.arrays.get(0) == target.arrays.get(1), "a request that failed may still hold its array");
    }

    @Test
    void partsReuseTheBuffersOfPartsAlreadySentAndArriveIntact() throws IOException {
        int partSize = (1 << 20) + 41;
        byte[] data = bytes(12 * partSize + 5);
        try (MultipartOutputStream out = stream(new Settings(partSize, 10_000, 1L << 30, 2), OptionalLong.empty())) {
            for (int off = 0; off < data.length; off += 65536) {
                out.write(data, off, Math.min(65536, data.length - off));
            }
        }
        assertArrayEquals(data, target.object);
        long distinct = target.arrays.stream().map(System::identityHashCode).distinct().count();
        assertTrue(distinct < target.arrays.size(), distinct + " arrays for " + target.arrays.size() + " parts");
    }

    @Test
    void aPoolKeepsNoSmallBuffersAndNoMoreThanItsCapacity() {
        BufferPool pool = new BufferPool(3L * BufferPool.SMALLEST);
        byte[] small = new byte[BufferPool.SMALLEST - 1];
        pool.give(small);
        assertEquals(0, pool.kept());
        assertFalse(pool.take(small.length) == small);

        byte[] one = new byte[2 * BufferPool.SMALLEST];
        byte[] two = new byte[2 * BufferPool.SMALLEST];
        pool.give(one);
        pool.give(two);
        assertEquals(one.length, pool.kept(), "the second buffer would exceed the capacity: left to the collector");
        assertSame(one, pool.take(one.length));
        assertEquals(0, pool.kept());
        assertFalse(pool.take(one.length) == one, "a buffer is handed out once");

        byte[] small1 = new byte[BufferPool.SMALLEST];
        byte[] larger = new byte[BufferPool.SMALLEST + 1];
        pool.give(small1);
        pool.give(larger);
        assertEquals(larger.length, pool.kept(), "a buffer of another size lets the kept ones go");
        assertFalse(pool.take(small1.length) == small1);
        assertSame(larger, pool.take(larger.length));
    }
}
