package io.cumulus.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Pattern;

/** WAL names and stand-in segment contents for tests that need WAL files without a server. */
final class Wal {

    /** PostgreSQL's default segment size, the one every test cluster uses. */
    static final int SEGMENT_SIZE = 16 * 1024 * 1024;

    /** A WAL segment name: timeline, log, segment; upper-case hex. */
    static final Pattern SEGMENT_NAME = Pattern.compile("[0-9A-F]{24}");

    private static final int PAGE_SIZE = 8192;
    private static final long SEGMENTS_PER_LOG = 0x1_0000_0000L / SEGMENT_SIZE;

    private Wal() {
    }

    /** The name of segment number {@code segmentNumber} (counted from 0) of {@code timeline}. */
    static String segmentName(int timeline, long segmentNumber) {
        return String.format("%08X%08X%08X", timeline, segmentNumber / SEGMENTS_PER_LOG,
                segmentNumber % SEGMENTS_PER_LOG);
    }

    /** The segment number a segment name stands for (the inverse of {@link #segmentName}). */
    static long segmentNumber(String segmentName) {
        return Long.parseLong(segmentName.substring(8, 16), 16) * SEGMENTS_PER_LOG
                + Long.parseLong(segmentName.substring(16, 24), 16);
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
