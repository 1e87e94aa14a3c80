package io.cumulus.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

/** WAL names and stand-in segment contents for tests that need WAL files without a server. */
final class Wal {

    /** PostgreSQL's default segment size, the one every test cluster uses. */
    static final int SEGMENT_SIZE = 16 * 1024 * 1024;

    /** A WAL segment name: timeline, log, segment; upper-case hex. */
    static final Pattern SEGMENT_NAME = Pattern.compile("[0-9A-F]{24}");

    /** The segment size of clusters built with {@code walSegmentSizeMb(1)}, for tests that need many segments. */
    static final int SMALL_SEGMENT_SIZE = 1024 * 1024;

    private static final int PAGE_SIZE = 8192;
    private static final long LOG_SIZE = 0x1_0000_0000L;

    private Wal() {
    }

    /** The name of segment number {@code segmentNumber} (counted from 0) of {@code timeline}. */
    static String segmentName(int timeline, long segmentNumber) {
        return segmentName(timeline, segmentNumber, SEGMENT_SIZE);
    }

    /** {@link #segmentName(int, long)} for segments of {@code segmentSize} bytes. */
    static String segmentName(int timeline, long segmentNumber, long segmentSize) {
        long perLog = LOG_SIZE / segmentSize;
        return String.format("%08X%08X%08X", timeline, segmentNumber / perLog, segmentNumber % perLog);
    }

    /** The segment number a segment name stands for (the inverse of {@link #segmentName}). */
    static long segmentNumber(String segmentName) {
        return segmentNumber(segmentName, SEGMENT_SIZE);
    }

    /** {@link #segmentNumber(String)} for segments of {@code segmentSize} bytes. */
    static long segmentNumber(String segmentName, long segmentSize) {
        return Long.parseLong(segmentName.substring(8, 16), 16) * (LOG_SIZE / segmentSize)
                + Long.parseLong(segmentName.substring(16, 24), 16);
    }

    /** The timeline a WAL file name belongs to. */
    static int timeline(String walFileName) {
        return Integer.parseInt(walFileName.substring(0, 8), 16);
    }

    /** Every segment of one timeline from {@code first} to {@code last}, both included, in order. */
    static List<String> segmentsFromTo(String first, String last, long segmentSize) {
        int timeline = timeline(first);
        List<String> names = new ArrayList<>();
        for (long n = segmentNumber(first, segmentSize); n <= segmentNumber(last, segmentSize); n++) {
            names.add(segmentName(timeline, n, segmentSize));
        }
        return names;
    }

    /**
     * The key, relative to an archive's URL, of an uncompressed archived WAL file in barman's layout:
     * {@code SERVER/wals/<timeline and log>/<name>} for segments, partial segments and backup history
     * files, {@code SERVER/wals/<name>} for timeline history files.
     */
    static String key(String server, String walFileName) {
        return walFileName.endsWith(".history") ? server + "/wals/" + walFileName
                : server + "/wals/" + hashDir(walFileName) + "/" + walFileName;
    }

    /** barman's hash directory of a segment: its first 16 characters (timeline and log). */
    static String hashDir(String segmentName) {
        return segmentName.substring(0, 16);
    }

    /**
     * 16 MiB shaped like WAL: every 8 KiB page starts with a run of pseudo-random bytes of varying
     * length and ends in zeros, so compressors have real work and the content is reproducible by seed.
     */
    static byte[] syntheticSegment(long seed) {
        Random random = new Random(seed);
        byte[] segment = new byte[SEGMENT_SIZE];
        byte[] page = new byte[PAGE_SIZE];
        for (int offset = 0; offset < SEGMENT_SIZE; offset += PAGE_SIZE) {
            random.nextBytes(page);
            int used = 24 + random.nextInt(PAGE_SIZE - 24);
            System.arraycopy(page, 0, segment, offset, used);
        }
        return segment;
    }

    /** Writes {@code content} as {@code dir/name} and returns the file. */
    static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
