package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A site installs a copy of {@code dist/} elsewhere (/opt/cumulus): there, every compression archives
 * and restores a segment byte for byte. The copy matters: start-up caches made at packaging remember
 * where the jars were (a JDK 25 AOT cache records where a sealed package was loaded from, and xz's jar
 * is sealed: every {@code --xz} call of a moved copy failed with "sealing violation", exit 4).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InstalledCopyCompressionsTest {

    private Path work;
    private Path bin;
    private Path segment;

    @BeforeAll
    void install() throws IOException {
        work = PostgresUser.createTempDir("cumulus-installed-copy-");
        Path installed = work.resolve("opt-cumulus");
        // as an administrator copies it: cp -a keeps times, so the caches count as fresh
        Command.of(Path.of("/bin/cp"), "-a", Tools.bin().getParent().toString(), installed.toString())
                .runSuccessfully();
        bin = installed.resolve("bin");
        segment = Wal.write(Files.createDirectories(work.resolve("pg_wal")), Wal.segmentName(1, 0x21),
                Wal.syntheticSegment(21));
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(() -> PostgresUser.deleteRecursively(work));
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "--gzip", "--bzip2", "--snappy", "--xz", "--zstd", "--lz4"})
    void everyCompressionArchivesAndRestoresFromACopyInstalledElsewhere(String compression) throws IOException {
        String url = "file://" + Files.createDirectories(work.resolve("store-" + compression.replace("-", "")));
        List<String> archive = new ArrayList<>();
        if (!compression.equals("none")) {
            archive.add(compression);
        }
        archive.addAll(List.of(url, "main", segment.toString()));
        ToolResult archived = Command.of(bin.resolve("cumulus-wal-archive"), archive.toArray(String[]::new)).run();
        assertEquals(0, archived.exitCode(), archived::describe);

        Path restored = work.resolve("restored-" + compression.replace("-", ""));
        ToolResult fetched = Command.of(bin.resolve("cumulus-wal-restore"), url, "main",
                segment.getFileName().toString(), restored.toString()).run();
        assertEquals(0, fetched.exitCode(), fetched::describe);
        assertArrayEquals(Files.readAllBytes(segment), Files.readAllBytes(restored), compression);
    }
}
