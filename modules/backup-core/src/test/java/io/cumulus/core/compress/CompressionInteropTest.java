package io.cumulus.core.compress;

import static io.cumulus.core.compress.CompressionTest.compress;
import static io.cumulus.core.compress.CompressionTest.decompress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.core.util.ExternalCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What Cumulus compresses, the programs barman-cloud relies on decompress, and the other way round:
 * Python's gzip, bz2 and lzma modules (barman-cloud's own codecs for .gz, .bz2, .xz) and, where
 * installed, the zstd and lz4 command-line tools (the reference implementations of those formats).
 */
class CompressionInteropTest {

    private static byte[] data;

    @BeforeAll
    static void makeData() {
        // 2 MiB: several bzip2 blocks, snappy/lz4 chunks, and more than one deflate window
        data = Arrays.copyOf(PseudoWal.of(PseudoWal.SEGMENT_SIZE, 7), 2 << 20);
    }

    /** Python 3 code that decompresses stdin to stdout, per compression. */
    private static String pythonDecompress(Compression c) {
        return switch (c) {
            // the streaming tar reader barman-cloud restores base backups with (r|gz) reads one member
            case GZIP -> "import gzip,sys,zlib\n"
                    + "raw=sys.stdin.buffer.read()\n"
                    + "d=zlib.decompressobj(31)\n"
                    + "out=d.decompress(raw)\n"
                    + "assert d.eof and d.unused_data==b'', 'not exactly one gzip member'\n"
                    + "assert out==gzip.decompress(raw)\n"
                    + "sys.stdout.buffer.write(out)";
            case BZIP2 -> "import bz2,sys; sys.stdout.buffer.write(bz2.decompress(sys.stdin.buffer.read()))";
            case XZ -> "import lzma,sys; sys.stdout.buffer.write(lzma.decompress(sys.stdin.buffer.read(), format=lzma.FORMAT_XZ))";
            default -> throw new IllegalArgumentException(c.name());
        };
    }

    /** Python 3 code that compresses stdin to stdout the way barman-cloud does. */
    private static String pythonCompress(Compression c, int level) {
        return switch (c) {
            case GZIP -> "import gzip,io,shutil,sys\n"
                    + "buf=io.BytesIO()\n"
                    + "with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=" + level + ") as gz:\n"
                    + "    shutil.copyfileobj(sys.stdin.buffer, gz)\n"
                    + "sys.stdout.buffer.write(buf.getvalue())";
            case BZIP2 -> "import bz2,sys; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read(), " + level + "))";
            case XZ -> "import lzma,sys; sys.stdout.buffer.write(lzma.compress(sys.stdin.buffer.read(), preset=" + level + "))";
            default -> throw new IllegalArgumentException(c.name());
        };
    }

    private static void assumePython() {
        assumeTrue(ExternalCommand.available("python3"), "python3 is not on PATH");
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"GZIP", "BZIP2", "XZ"})
    void pythonReadsWhatWeWrite(Compression c) throws Exception {
        assumePython();
        for (CompressionLevel level : List.of(CompressionLevel.LOW, CompressionLevel.HIGH)) {
            byte[] compressed = compress(c, data, level);
            byte[] back = ExternalCommand.run(List.of("python3", "-c", pythonDecompress(c)), compressed)
                    .successfulOutput();
            assertArrayEquals(data, back, c + " at " + level);
        }
    }

    @ParameterizedTest
    @CsvSource({"GZIP, 9", "GZIP, 6", "BZIP2, 9", "BZIP2, 5", "XZ, 3", "XZ, 9"})
    void weReadWhatPythonWrites(Compression c, int level) throws Exception {
        assumePython();
        byte[] compressed = ExternalCommand.run(List.of("python3", "-c", pythonCompress(c, level)), data)
                .successfulOutput();
        assertArrayEquals(data, decompress(c, compressed));
    }

    @ParameterizedTest
    @CsvSource({"ZSTD, zstd", "LZ4, lz4"})
    void theReferenceCliReadsWhatWeWrite(Compression c, String cli) throws Exception {
        assumeTrue(ExternalCommand.available(cli), cli + " is not installed");
        for (CompressionLevel level : List.of(CompressionLevel.LOW, CompressionLevel.HIGH)) {
            byte[] compressed = compress(c, data, level);
            byte[] back = ExternalCommand.run(List.of(cli, "-d", "-c", "-q"), compressed).successfulOutput();
            assertArrayEquals(data, back, c + " at " + level);
        }
    }

    @ParameterizedTest
    @CsvSource({"LOW", "HIGH"})
    void theLz4CliAcceptsOurBlocksAtEveryLengthAroundTheirEnd(String level) throws Exception {
        assumeTrue(ExternalCommand.available("lz4"), "lz4 is not installed");
        for (int length : CompressionTest.edgeLengths()) {
            byte[] input = CompressionTest.repetitive(length);
            byte[] compressed = compress(Compression.LZ4, input, CompressionLevel.parse(level));
            byte[] back = ExternalCommand.run(List.of("lz4", "-d", "-c", "-q"), compressed).successfulOutput();
            assertArrayEquals(input, back, "length " + length);
        }
    }

    @ParameterizedTest
    @CsvSource({
        "ZSTD, zstd, -3",
        "ZSTD, zstd, --no-check",
        "ZSTD, zstd, -19",
        "LZ4, lz4, -1",
        "LZ4, lz4, -9",
        "LZ4, lz4, --content-size",
        "LZ4, lz4, -BD",
        "LZ4, lz4, -BX",
    })
    void weReadWhatTheReferenceCliWrites(Compression c, String cli, String option) throws Exception {
        assumeTrue(ExternalCommand.available(cli), cli + " is not installed");
        // lz4 reading stdin needs the size stated for --content-size, so give it a file
        Path input = Files.createTempFile("interop", ".bin");
        try {
            Files.write(input, data);
            byte[] compressed = ExternalCommand.run(List.of(cli, "-c", "-q", option, input.toString()), new byte[0])
                    .successfulOutput();
            assertArrayEquals(data, decompress(c, compressed), cli + " " + option);
        } finally {
            Files.delete(input);
        }
    }
}
