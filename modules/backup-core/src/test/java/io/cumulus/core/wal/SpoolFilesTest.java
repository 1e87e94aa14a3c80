package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolFilesTest {

    @TempDir
    Path dir;

    /**
     * A full disk takes the temporary file but not its content or its rename: the empty file outlived
     * the shortage, one more at each attempt. The writer now removes it when it fails.
     */
    @Test
    void aWriteThatFailsRemovesItsTemporaryFile() throws IOException {
        Files.createDirectories(dir.resolve("000000010000000000000001.ok").resolve("in-the-way"));
        assertThrows(IOException.class, () -> SpoolFiles.writeAtomically(dir, "000000010000000000000001.ok", "note"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("000000010000000000000001.ok"), files.map(f -> f.getFileName().toString()).toList());
        }
    }
}
