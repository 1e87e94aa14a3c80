package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarStreamWriterTest {

    @TempDir
    Path root;

    private Path pgdata;
    private PgDataWalker walker;

    @BeforeEach
    void buildTree() throws IOException {
        pgdata = Files.createDirectories(root.resolve("data"));
        Files.writeString(pgdata.resolve("PG_VERSION"), "15\n");
        Files.createDirectories(pgdata.resolve("base/5"));
        Files.write(pgdata.resolve("base/5/16384"), new byte[3 * 8192 + 17]);
        Files.createDirectories(pgdata.resolve("global"));
        Files.write(pgdata.resolve("global/pg_control"), "control".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(pgdata.resolve("link"), Path.of("PG_VERSION"));
        String longName = "x".repeat(150) + "-été";
        Path deep = Files.createDirectories(pgdata.resolve("pg_logical/" + "d".repeat(120)));
        Files.writeString(deep.resolve(longName), "long and non-ASCII");
        Files.setLastModifiedTime(deep.resolve(longName),
                FileTime.from(Instant.parse("2024-05-06T07:08:09.123456789Z")));
        ServerFacts facts = new ServerFacts(150018, "15.18", "1", pgdata, 16L << 20, pgdata.resolve("postgresql.conf"),
                pgdata.resolve("pg_hba.conf"), pgdata.resolve("pg_ident.conf"), List.of(), List.of(), false, "replica",
                true);
        walker = new PgDataWalker(facts);
    }

    private static String strip(String name) {
        return name.equals("./") ? "." : name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    @Test
    void walkWrittenAsPaxTarIsReadByPythonInStreamingModeWithTheSameMembers() throws Exception {
        Path tarFile = root.resolve("data.tar");
        List<PgDataEntry> entries = new ArrayList<>();
        long total;
        try (TarStreamWriter tar = new TarStreamWriter(Files.newOutputStream(tarFile), ChecksumAlgorithm.SHA256)) {
            for (PgDataEntry entry : (Iterable<PgDataEntry>) walker.dataDirectory()::iterator) {
                entries.add(entry);
                tar.write(entry);
            }
            tar.finish();
            total = tar.bytesWritten();
        }

        List<PythonTar.Member> members = PythonTar.list(tarFile);
        assertEquals(entries.stream().map(e -> strip(e.name())).toList(),
                members.stream().map(PythonTar.Member::name).toList());
        assertEquals(Files.size(tarFile), total);
        assertEquals(0, total % TarStreamWriter.RECORD_SIZE);
        Map<String, PythonTar.Member> byName = members.stream()
                .collect(Collectors.toMap(PythonTar.Member::name, Function.identity()));
        for (PgDataEntry entry : entries) {
            PythonTar.Member member = byName.get(strip(entry.name()));
            assertEquals(entry.mode(), member.mode(), entry.name());
            assertEquals(entry.uid(), member.uid(), entry.name());
            assertEquals(entry.gid(), member.gid(), entry.name());
            assertEquals(entry.userName(), member.uname(), entry.name());
            switch (entry.kind()) {
                case DIRECTORY -> assertEquals("5", member.type(), entry.name());
                case SYMLINK -> {
                    assertEquals("2", member.type(), entry.name());
                    assertEquals(entry.linkTarget(), member.linkname());
                }
                case FILE -> {
                    assertEquals("0", member.type(), entry.name());
                    assertEquals(entry.size(), member.size(), entry.name());
                    assertEquals(sha256(Files.readAllBytes(entry.source())), member.sha256(), entry.name());
                }
            }
        }
        PythonTar.Member longOne = members.stream().filter(m -> m.name().endsWith("-été")).findFirst().orElseThrow();
        assertEquals("1714979289.1234567", longOne.mtime());
        assertEquals("./", entries.get(0).name());
        assertEquals("global/pg_control", entries.get(entries.size() - 1).name());
    }

    @Test
    void fileThatShrinksIsPaddedWithZerosAndOneThatGrowsIsCutAtTheHeaderSize() throws Exception {
        Map<String, PgDataEntry> byName = walker.dataDirectory()
                .collect(Collectors.toMap(PgDataEntry::name, Function.identity()));
        PgDataEntry relation = byName.get("base/5/16384");
        PgDataEntry version = byName.get("./PG_VERSION");
        Files.write(relation.source(), new byte[] {1, 2, 3, 4}, StandardOpenOption.TRUNCATE_EXISTING);
        Files.writeString(version.source(), "appended", StandardOpenOption.APPEND);
        Path tarFile = root.resolve("changed.tar");
        Optional<WrittenFile> shrunk;
        Optional<WrittenFile> grown;

        try (TarStreamWriter tar = new TarStreamWriter(Files.newOutputStream(tarFile), ChecksumAlgorithm.SHA256)) {
            shrunk = tar.write(relation);
            grown = tar.write(version);
        }

        byte[] padded = new byte[(int) relation.size()];
        System.arraycopy(new byte[] {1, 2, 3, 4}, 0, padded, 0, 4);
        byte[] cut = Arrays.copyOf(Files.readAllBytes(version.source()), (int) version.size());
        List<PythonTar.Member> members = PythonTar.list(tarFile);
        assertEquals(relation.size(), members.get(0).size());
        assertEquals(sha256(padded), members.get(0).sha256());
        assertEquals(sha256(padded), shrunk.orElseThrow().checksum());
        assertEquals(relation.size(), shrunk.orElseThrow().size());
        assertEquals("15\n", new String(cut, StandardCharsets.UTF_8));
        assertEquals(sha256(cut), members.get(1).sha256());
        assertEquals(sha256(cut), grown.orElseThrow().checksum());
    }

    @Test
    void fileThatVanishedBeforeItsTurnIsSkippedWithoutWritingAnything() throws Exception {
        PgDataEntry version = walker.dataDirectory().filter(e -> e.name().equals("./PG_VERSION")).findFirst()
                .orElseThrow();
        Files.delete(version.source());
        try (TarStreamWriter tar = new TarStreamWriter(OutputStream.nullOutputStream(), ChecksumAlgorithm.CRC32C)) {
            long before = tar.bytesWritten();

            assertEquals(Optional.empty(), tar.write(version));
            assertEquals(before, tar.bytesWritten());
        }
    }

    @Test
    void backupLabelIsARegularFileWithMode0644ModifiedWhenTheBackupStoppedOwnedLikeTheDataDirectory() throws Exception {
        Path tarFile = root.resolve("label.tar");
        String label = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nLABEL: x\n";
        PgDataEntry dataDirectory = walker.dataDirectoryRoot();
        WrittenFile written;
        try (TarStreamWriter tar = new TarStreamWriter(Files.newOutputStream(tarFile), ChecksumAlgorithm.SHA256)) {
            written = tar.writeBackupLabel(label, dataDirectory, java.time.Instant.parse("2026-11-21T02:15:07.600Z"));
        }

        PythonTar.Member member = PythonTar.list(tarFile).get(0);
        assertEquals("backup_label", member.name());
        assertEquals("0", member.type());
        assertEquals(0644, member.mode());
        // the stop, in whole seconds; barman 3.4 leaves 0 (1970-01-01 once restored)
        assertEquals(Long.toString(java.time.Instant.parse("2026-11-21T02:15:07Z").getEpochSecond()), member.mtime());
        assertEquals(dataDirectory.uid(), member.uid());
        assertEquals(dataDirectory.gid(), member.gid());
        assertEquals(sha256(label.getBytes(StandardCharsets.UTF_8)), member.sha256());
        assertEquals("backup_label", written.relativePath());
        assertEquals(member.sha256(), written.checksum());
    }

    @Test
    void checksumsAreOfTheStoredBytesInTheFormBackupManifestWrites() throws Exception {
        PgDataEntry relation = walker.dataDirectory().filter(e -> e.name().equals("base/5/16384")).findFirst()
                .orElseThrow();
        byte[] content = Files.readAllBytes(relation.source());
        CRC32C crc = new CRC32C();
        crc.update(content);
        long value = crc.getValue();
        String littleEndianCrc = String.format("%02x%02x%02x%02x", value & 0xff, value >>> 8 & 0xff,
                value >>> 16 & 0xff, value >>> 24 & 0xff);

        for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
            try (TarStreamWriter tar = new TarStreamWriter(OutputStream.nullOutputStream(), algorithm)) {
                String checksum = tar.write(relation).orElseThrow().checksum();
                String expected = algorithm == ChecksumAlgorithm.CRC32C ? littleEndianCrc
                        : HexFormat.of().formatHex(MessageDigest.getInstance(
                                "SHA-" + algorithm.name().substring(3)).digest(content));
                assertEquals(expected, checksum, algorithm.name());
            }
        }
    }

    @Test
    void bytesWrittenGrowsWithEachMemberSoACallerCanSplitIntoCompleteParts() throws Exception {
        List<Path> parts = new ArrayList<>();
        long limit = 20_000;
        TarStreamWriter tar = null;
        List<String> written = new ArrayList<>();
        for (PgDataEntry entry : (Iterable<PgDataEntry>) walker.dataDirectory()::iterator) {
            if (tar == null || tar.bytesWritten() > limit) {
                if (tar != null) {
                    tar.close();
                }
                Path part = root.resolve("data_" + parts.size() + ".tar");
                parts.add(part);
                tar = new TarStreamWriter(Files.newOutputStream(part), ChecksumAlgorithm.CRC32C);
            }
            long before = tar.bytesWritten();
            tar.write(entry);
            assertTrue(tar.bytesWritten() > before, entry.name());
            written.add(strip(entry.name()));
        }
        tar.close();

        assertTrue(parts.size() >= 2, "expected the walk to need several parts: " + parts);
        List<String> read = new ArrayList<>();
        for (Path part : parts) {
            assertEquals(0, Files.size(part) % TarStreamWriter.RECORD_SIZE, part.toString());
            PythonTar.list(part).forEach(member -> read.add(member.name()));
        }
        assertEquals(written, read);
    }

    @Test
    void finishWritesTheWholeArchiveToTheStreamWhichStaysOpen() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        boolean[] closed = new boolean[1];
        java.io.FilterOutputStream open = new java.io.FilterOutputStream(out) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        TarStreamWriter tar = new TarStreamWriter(open, ChecksumAlgorithm.CRC32C);
        for (PgDataEntry entry : (Iterable<PgDataEntry>) walker.dataDirectory()::iterator) {
            tar.write(entry);
        }
        tar.finish();

        assertFalse(closed[0]);
        assertEquals(tar.bytesWritten(), out.size());
        assertEquals(0, out.size() % TarStreamWriter.RECORD_SIZE);
        Path copy = Files.write(root.resolve("finished.tar"), out.toByteArray());
        assertEquals(walker.dataDirectory().count(), PythonTar.list(copy).size());
    }
}
