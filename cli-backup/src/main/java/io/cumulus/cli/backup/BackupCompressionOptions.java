package io.cumulus.cli.backup;

import io.cumulus.cli.CompressionOptions;
import picocli.CommandLine.Option;

/**
 * The compression options of base backups. barman-cloud-restore reads gzip, bzip2 and snappy base backups
 * (every version), lz4 from 3.18 on, xz and zstd in no version: only cumulus-restore restores those.
 */
public final class BackupCompressionOptions extends CompressionOptions {
    @Option(names = {"-z", "--gzip"}, description = "Compress with gzip (.tar.gz).")
    boolean gzip;
    @Option(names = {"-j", "--bzip2"}, description = "Compress with bzip2 (.tar.bz2).")
    boolean bzip2;
    @Option(names = "--snappy", description = "Compress with snappy, framing format (.tar.snappy).")
    boolean snappy;
    @Option(names = "--xz", description = "Compress with xz (.tar.xz); no barman-cloud version restores it,"
            + " only cumulus-restore.")
    boolean xz;
    @Option(names = "--zstd", description = "Compress with zstd (.tar.zst); no barman-cloud version restores it,"
            + " only cumulus-restore.")
    boolean zstd;
    @Option(names = "--lz4", description = "Compress with lz4 (.tar.lz4); barman-cloud 3.18+ restores it,"
            + " 3.4 does not.")
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
