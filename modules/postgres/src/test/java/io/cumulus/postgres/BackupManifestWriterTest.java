package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BackupManifestWriterTest {

    private static final List<WalRange> ONE_RANGE = List.of(
            new WalRange(1, Lsn.parse("0/4000028"), Lsn.parse("0/4000138")));

    @TempDir
    Path root;

    @Test
    void manifestHasPostgresLayoutAndEndsWithTheSha256OfEverythingBefore() throws Exception {
        BackupManifestWriter manifest = new BackupManifestWriter();
        manifest.addFile("backup_label", 3, Instant.EPOCH, ChecksumAlgorithm.CRC32C, "01020304");
        manifest.addFile("odd \"name\"\\\t", 10, Instant.parse("2024-05-06T07:08:09.9Z"), ChecksumAlgorithm.SHA256,
                "ab");
        manifest.addFile("pg_tblspc/16384/PG_15_202209061/5/16385", 8192, Instant.parse("2024-05-06T07:08:09Z"),
                ChecksumAlgorithm.SHA512, "cd");

        String text = new String(manifest.finish(List.of(
                new WalRange(2, Lsn.parse("0/5000000"), Lsn.parse("0/5000100")),
                new WalRange(1, Lsn.parse("0/4000028"), Lsn.parse("0/5000000")))).toByteArray(), StandardCharsets.UTF_8);

        String body = """
                { "PostgreSQL-Backup-Manifest-Version": 1,
                "Files": [
                { "Path": "backup_label", "Size": 3, "Last-Modified": "1970-01-01 00:00:00 GMT", \
                "Checksum-Algorithm": "CRC32C", "Checksum": "01020304" },
                { "Path": "odd \\"name\\"\\\\\\t", "Size": 10, "Last-Modified": "2024-05-06 07:08:09 GMT", \
                "Checksum-Algorithm": "SHA256", "Checksum": "ab" },
                { "Path": "pg_tblspc/16384/PG_15_202209061/5/16385", "Size": 8192, \
                "Last-Modified": "2024-05-06 07:08:09 GMT", "Checksum-Algorithm": "SHA512", "Checksum": "cd" }
                ],
                "WAL-Ranges": [
                { "Timeline": 2, "Start-LSN": "0/5000000", "End-LSN": "0/5000100" },
                { "Timeline": 1, "Start-LSN": "0/4000028", "End-LSN": "0/5000000" }
                ],
                """;
        String checksum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(body + "\"Manifest-Checksum\": \"" + checksum + "\"}\n", text);
    }

    @ParameterizedTest
    @EnumSource(ChecksumAlgorithm.class)
    void pgVerifybackupAcceptsTheManifestOfAPlainDirectoryCopy(ChecksumAlgorithm algorithm) throws Exception {
        Path copy = plainCopy();
        writeManifest(copy, algorithm);

        ToolResult result = pgVerifybackup(copy);

        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().contains("backup successfully verified"), result.describe());
    }

    @Test
    void pgVerifybackupRejectsACopyWhoseFileNoLongerMatchesItsChecksum() throws Exception {
        Path copy = plainCopy();
        writeManifest(copy, ChecksumAlgorithm.CRC32C);
        byte[] relation = Files.readAllBytes(copy.resolve("base/5/16384"));
        relation[100] ^= 1;
        Files.write(copy.resolve("base/5/16384"), relation);

        ToolResult result = pgVerifybackup(copy);

        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("checksum mismatch for file \"base/5/16384\""), result.describe());
    }

    @Test
    void pgVerifybackupRejectsAManifestWhoseOwnChecksumIsWrong() throws Exception {
        Path copy = plainCopy();
        writeManifest(copy, ChecksumAlgorithm.CRC32C);
        Path manifest = copy.resolve("backup_manifest");
        Files.writeString(manifest, Files.readString(manifest).replace("\"Size\": 3,", "\"Size\": 4,"));

        ToolResult result = pgVerifybackup(copy);

        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("manifest checksum mismatch"), result.describe());
    }

    /**
     * A data directory of 400,000 files has a manifest of about 60 MB: it is built in a heap of 128 MB,
     * which the text held several times over (StringBuilder, String, bytes, the joined array) did not fit.
     */
    @Test
    void aManifestOfManyFilesCostsItsOwnSizeInHeapOnce() {
        ToolResult result = Command.of(Path.of(System.getProperty("java.home"), "bin", "java"), "-Xmx128m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                ManifestOfManyFiles.class.getName(), "400000").run();
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(Long.parseLong(result.stdout().strip()) > 55_000_000L, result.describe());
    }

    /**
     * A restore reads the manifest of 400,000 files (about 60 MB) in a heap of 320 MB: each file is
     * kept as a record once read, where the whole JSON tree (a map of five entries per file, about
     * 1.2 KB each) did not fit.
     */
    @Test
    void aRestoreReadsTheManifestOfManyFilesWithoutItsJsonTree() throws IOException {
        Path file = root.resolve("backup_manifest");
        try (OutputStream out = Files.newOutputStream(file)) {
            ManifestOfManyFiles.build(400_000).writeTo(out);
        }
        ToolResult result = Command.of(Path.of(System.getProperty("java.home"), "bin", "java"), "-Xmx320m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                ParseManifestFile.class.getName(), file.toString()).run();
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("400000", result.stdout().strip(), result.describe());
    }

    private Path plainCopy() throws IOException {
        Path copy = Files.createDirectories(root.resolve("copy"));
        Files.writeString(copy.resolve("PG_VERSION"), "15\n");
        Files.writeString(copy.resolve("backup_label"), "abc");
        Files.createDirectories(copy.resolve("base/5"));
        byte[] relation = new byte[2 * 8192 + 5];
        for (int i = 0; i < relation.length; i++) {
            relation[i] = (byte) (i * 31);
        }
        Files.write(copy.resolve("base/5/16384"), relation);
        Files.createDirectories(copy.resolve("global"));
        Files.write(copy.resolve("global/pg_control"), new byte[8192]);
        Files.createDirectories(copy.resolve("pg_wal"));
        Files.writeString(copy.resolve("empty"), "");
        return copy;
    }

    /** Checksums computed the way a backup computes them: by streaming each file into a tar. */
    private void writeManifest(Path copy, ChecksumAlgorithm algorithm) throws IOException {
        ServerFacts facts = new ServerFacts(150018, "15.18", "1", copy, 16L << 20, copy.resolve("postgresql.conf"),
                copy.resolve("pg_hba.conf"), copy.resolve("pg_ident.conf"), List.of(), List.of(), false, "replica",
                true);
        BackupManifestWriter manifest = new BackupManifestWriter();
        PgDataWalker walker = new PgDataWalker(facts);
        try (TarStreamWriter tar = new TarStreamWriter(OutputStream.nullOutputStream(), algorithm)) {
            for (PgDataEntry entry : (Iterable<PgDataEntry>) walker.dataDirectory()::iterator) {
                tar.write(entry).ifPresent(manifest::addFile);
            }
            // the walk leaves the copy's backup_label out; a backup adds its own last, as here
            manifest.addFile(tar.writeBackupLabel(Files.readString(copy.resolve("backup_label")),
                    walker.dataDirectoryRoot(), Instant.EPOCH));
        }
        Files.write(copy.resolve("backup_manifest"), manifest.finish(ONE_RANGE).toByteArray());
    }

    private static ToolResult pgVerifybackup(Path copy) {
        return Command.of(PgCluster.PG_BIN.resolve("pg_verifybackup"), "-n", copy.toString()).run();
    }
}
