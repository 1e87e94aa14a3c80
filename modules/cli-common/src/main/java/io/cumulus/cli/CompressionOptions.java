package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** barman-cloud's mutually exclusive compression flags and {@code --compression-level}. */
public final class CompressionOptions {

    // Not an exclusive ArgGroup: picocli lists the options of a group inside a mixin twice in --help.
    @Mixin
    Choice choice = new Choice();

    @Option(names = "--compression-level", paramLabel = "LEVEL",
            description = "low, medium, high or an integer (clamped to the algorithm's range).")
    String level;

    static final class Choice {
        @Option(names = {"-z", "--gzip"}, description = "Compress with gzip (.gz).")
        boolean gzip;
        @Option(names = {"-j", "--bzip2"}, description = "Compress with bzip2 (.bz2).")
        boolean bzip2;
        @Option(names = "--snappy", description = "Compress with snappy, framing format (.snappy).")
        boolean snappy;
        @Option(names = "--xz", description = "Compress with xz (.xz); barman-cloud 3.12+ reads it.")
        boolean xz;
        @Option(names = "--zstd", description = "Compress with zstd (.zst); barman-cloud 3.13+ reads it.")
        boolean zstd;
        @Option(names = "--lz4", description = "Compress with lz4 (.lz4); barman-cloud 3.12+ reads it.")
        boolean lz4;
    }

    public Compression compression() {
        int chosen = (choice.gzip ? 1 : 0) + (choice.bzip2 ? 1 : 0) + (choice.snappy ? 1 : 0) + (choice.xz ? 1 : 0)
                + (choice.zstd ? 1 : 0) + (choice.lz4 ? 1 : 0);
        if (chosen > 1) {
            throw new InvalidInputException("choose one compression: -z/--gzip, -j/--bzip2, --snappy, --xz, --zstd"
                    + " and --lz4 cannot be combined");
        }
        if (choice.gzip) {
            return Compression.GZIP;
        } else if (choice.bzip2) {
            return Compression.BZIP2;
        } else if (choice.snappy) {
            return Compression.SNAPPY;
        } else if (choice.xz) {
            return Compression.XZ;
        } else if (choice.zstd) {
            return Compression.ZSTD;
        } else if (choice.lz4) {
            return Compression.LZ4;
        }
        return Compression.NONE;
    }

    public CompressionLevel level() {
        return level == null ? CompressionLevel.DEFAULT : CompressionLevel.parse(level);
    }
}
