package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;

/**
 * barman-cloud's mutually exclusive compression flags and {@code --compression-level}, read the same way
 * by every tool that compresses. Each tool's subclass declares the options, with descriptions of its own:
 * which barman-cloud versions read a compression differs between WAL ({@link WalCompressionOptions}) and
 * base backups.
 */
public abstract class CompressionOptions {

    /** Text of {@code --compression-level}, the same for every tool. */
    protected static final String LEVEL_DESCRIPTION = "low, medium, high or an integer (clamped to the algorithm's range).";

    /** The flags as given, in the order gzip, bzip2, snappy, xz, zstd, lz4. */
    protected abstract boolean[] flags();

    /** {@code --compression-level} as given, or null. */
    protected abstract String levelText();

    public Compression compression() {
        boolean[] flags = flags();
        Compression[] each = {Compression.GZIP, Compression.BZIP2, Compression.SNAPPY, Compression.XZ,
            Compression.ZSTD, Compression.LZ4};
        Compression chosen = Compression.NONE;
        for (int i = 0; i < each.length; i++) {
            if (flags[i]) {
                if (chosen != Compression.NONE) {
                    throw new InvalidInputException("choose one compression: -z/--gzip, -j/--bzip2, --snappy, --xz,"
                            + " --zstd and --lz4 cannot be combined");
                }
                chosen = each[i];
            }
        }
        return chosen;
    }

    /** The level; an invalid one is {@link InvalidInputException} (exit 3). */
    public CompressionLevel level() {
        String text = levelText();
        return text == null ? CompressionLevel.DEFAULT : CompressionLevel.parse(text);
    }
}
