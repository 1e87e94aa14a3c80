package io.cumulus.cli;

import picocli.CommandLine.Option;

/**
 * The compression options of WAL archiving. barman-cloud-wal-restore 3.12 and later read xz, zstd and lz4 WAL
 * (3.12's own {@code --zstd} stored WAL uncompressed, fixed in 3.13; its restore already decoded .zst).
 */
public final class WalCompressionOptions extends CompressionOptions {
    // Not an exclusive ArgGroup: picocli lists the options of a group inside a mixin twice in --help.
    @Option(names = {"-z", "--gzip"}, description = "Compress with gzip (.gz).")
    boolean gzip;
    @Option(names = {"-j", "--bzip2"}, description = "Compress with bzip2 (.bz2).")
    boolean bzip2;
    @Option(names = "--snappy", description = "Compress with snappy, framing format (.snappy).")
    boolean snappy;
    @Option(names = "--xz", description = "Compress with xz (.xz); barman-cloud 3.12+ reads it, 3.4 does not.")
    boolean xz;
    @Option(names = "--zstd", description = "Compress with zstd (.zst); barman-cloud 3.12+ reads it, 3.4 does not.")
    boolean zstd;
    @Option(names = "--lz4", description = "Compress with lz4 (.lz4); barman-cloud 3.12+ reads it, 3.4 does not.")
    boolean lz4;
    @Option(names = "--compression-level", paramLabel = "LEVEL", description = LEVEL_DESCRIPTION)
    String level;

    @Override
    protected boolean[] flags() {
        return new boolean[] {gzip, bzip2, snappy, xz, zstd, lz4};
    }

    @Override
    protected String levelText() {
        return level;
    }
}
