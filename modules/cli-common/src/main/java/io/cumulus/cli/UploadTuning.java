package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;

/**
 * How a tool that writes large objects (base backup archives) wants them uploaded: parts sized by
 * barman-cloud-backup's rule for objects up to {@code maxObjectSize}, and {@code jobs} parts of one
 * object uploaded at once ({@code -J}). A store holds at most {@code (jobs + 1) × part size} bytes
 * of an object in memory. Providers without parts (file://) ignore it.
 *
 * @param maxObjectSize the size the parts are chosen for ({@code -S}); larger objects still fit, as
 *     the store's part size grows
 * @param minChunkSize {@code --min-chunk-size}, or 0 for the provider's minimum
 * @param jobs parts uploaded at once by one writer
 */
public record UploadTuning(long maxObjectSize, long minChunkSize, int jobs) {

    /** The largest part a Java array holds (MultipartOutputStream's limit). */
    public static final long MAX_PART_SIZE = Integer.MAX_VALUE - 8;

    public UploadTuning {
        if (maxObjectSize < 1) {
            throw new InvalidInputException("the archive size must be positive, not " + maxObjectSize);
        }
        if (minChunkSize < 0 || minChunkSize > MAX_PART_SIZE) {
            throw new InvalidInputException("--min-chunk-size must be at most 2 GiB (" + MAX_PART_SIZE
                    + " bytes), not " + minChunkSize);
        }
        if (jobs < 1 || jobs > 1024) {
            throw new InvalidInputException("-J/--jobs must be between 1 and 1024, not " + jobs);
        }
    }
}
