package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.util.SizeParser;
import java.util.OptionalInt;
import picocli.CommandLine.Option;

/**
 * barman-cloud-wal-archive's Azure upload options (reference §1.4): the block size, the blocks in
 * flight and the largest single Put Blob. Unset, the provider uses barman-cloud-wal-archive's
 * defaults (4MB, 1, 64MB), so that a 16 MiB segment goes up in one request.
 */
public final class AzureBlockOptions {

    @Option(names = "--max-block-size", paramLabel = "SIZE",
            description = "Azure: size of the blocks of a blob uploaded in blocks (default 4MB).")
    String maxBlockSize;

    @Option(names = "--max-concurrency", paramLabel = "N",
            description = "Azure: blocks of one blob uploaded at once (default 1).")
    Integer maxConcurrency;

    @Option(names = "--max-single-put-size", paramLabel = "SIZE",
            description = "Azure: blobs up to SIZE go up in one request (default 64MB).")
    String maxSinglePutSize;

    /** {@code --max-block-size} in bytes, if given. */
    public OptionalInt maxBlockSize() {
        return size("--max-block-size", maxBlockSize);
    }

    /** {@code --max-concurrency}, if given. */
    public OptionalInt maxConcurrency() {
        if (maxConcurrency == null) {
            return OptionalInt.empty();
        }
        if (maxConcurrency < 1) {
            throw new InvalidInputException("--max-concurrency must be at least 1, not " + maxConcurrency);
        }
        return OptionalInt.of(maxConcurrency);
    }

    /** {@code --max-single-put-size} in bytes, if given. */
    public OptionalInt maxSinglePutSize() {
        return size("--max-single-put-size", maxSinglePutSize);
    }

    private static OptionalInt size(String option, String text) {
        if (text == null) {
            return OptionalInt.empty();
        }
        long bytes;
        try {
            bytes = SizeParser.parse(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("invalid " + option + " '" + text + "': " + e.getMessage());
        }
        // barman-cloud takes any size (Azure allows a 5000 MiB Put Blob, 4000 MiB blocks); a WAL file is at most
        // 1 GiB, so a size from 2 GiB on uploads it exactly as the largest buffer Java has room for does
        return OptionalInt.of((int) Math.min(bytes, Integer.MAX_VALUE - 8));
    }
}
