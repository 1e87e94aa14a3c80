package io.cumulus.core.backup;

/**
 * barman-cloud-backup's sizes (reference §1.6, §5.3): how large an archive part may grow before the
 * next one starts, and how large the upload parts of an archive are so that a whole archive stays
 * under the store's limit on parts per object.
 */
public final class ArchiveSizing {

    /** {@code -S} when not given: 100 GB, in barman's units (GB = 1024³ bytes). */
    public static final long DEFAULT_MAX_ARCHIVE_SIZE = 100L << 30;

    /** The largest {@code -S} barman accepts; larger values are capped with a warning. */
    public static final long MAX_ARCHIVE_SIZE = 1L << 40;

    /** {@code -J} when not given: two parts uploaded at once. */
    public static final int DEFAULT_JOBS = 2;

    /**
     * How far an archive may pass {@code -S}: by the last member it took, which is at most a relation
     * segment (1 GiB) for the files that make a cluster large, plus its tar headers and what compression
     * adds to data that does not compress. A larger file (a server log kept in the data directory, say)
     * can take an archive further.
     */
    public static final long LARGEST_MEMBER = (1L << 30) + (16L << 20);

    private ArchiveSizing() {
    }

    /**
     * barman's chunk size: {@code max(2 × (maxArchiveSize / maxParts), minPartSize, minChunkSize)}.
     * An archive passes {@code maxArchiveSize} by at most one file (1 GiB for a relation segment),
     * so with parts this large it needs about half the store's part limit; the store's own growth
     * of part sizes covers anything beyond.
     *
     * @param maxParts the store's limit on parts per object (S3: 10,000)
     * @param minPartSize the store's smallest part (S3: 5 MiB)
     * @param minChunkSize {@code --min-chunk-size}, or 0 when not given
     */
    public static long partSize(long maxArchiveSize, int maxParts, long minPartSize, long minChunkSize) {
        if (maxArchiveSize < 1 || maxParts < 1 || minPartSize < 1 || minChunkSize < 0) {
            throw new IllegalArgumentException("sizes must be positive: " + maxArchiveSize + ", " + maxParts + ", "
                    + minPartSize + ", " + minChunkSize);
        }
        return Math.max(2 * (maxArchiveSize / maxParts), Math.max(minPartSize, minChunkSize));
    }

    /** The size an archive can reach with {@code -S maxArchiveSize}: it ends after the member that passes it. */
    public static long largestArchive(long maxArchiveSize) {
        return maxArchiveSize + LARGEST_MEMBER;
    }
}
