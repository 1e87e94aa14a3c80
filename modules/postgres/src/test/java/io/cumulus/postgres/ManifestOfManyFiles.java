package io.cumulus.postgres;

import java.time.Instant;
import java.util.List;

/**
 * Builds the backup_manifest of {@code args[0]} files, as a backup of a data directory that many
 * would, and prints its size: run in a JVM of a small heap by {@link BackupManifestWriterTest}.
 */
public final class ManifestOfManyFiles {

    private ManifestOfManyFiles() {
    }

    public static void main(String[] args) throws java.io.IOException {
        io.cumulus.core.io.ChunkedBytes manifest = build(Integer.parseInt(args[0]));
        if (args.length > 1) {
            try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(java.nio.file.Path.of(args[1]))) {
                manifest.writeTo(out);
            }
        }
        System.out.println(manifest.size());
    }

    static io.cumulus.core.io.ChunkedBytes build(int files) {
        BackupManifestWriter manifest = new BackupManifestWriter();
        Instant modified = Instant.parse("2026-12-07T01:02:03Z");
        String checksum = "0123abcd";
        for (int i = 0; i < files; i++) {
            manifest.addFile("base/16384/" + (100000 + i) + "_vm_partition_of_a_table", 8192L * (i % 100), modified,
                    ChecksumAlgorithm.CRC32C, checksum);
        }
        return manifest.finish(List.of(new WalRange(1, Lsn.parse("0/4000028"), Lsn.parse("0/4000138"))));
    }
}
