package io.cumulus.e2e;

import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** A file:// store in a temp directory that the PostgreSQL user owns, so archive_command can write to it. */
final class FileArchiveStore implements ArchiveStore {

    private final Path root = PostgresUser.createTempDir("cumulus-file-store-");

    Path root() {
        return root;
    }

    @Override
    public String url() {
        return "file://" + root.toAbsolutePath();
    }

    @Override
    public List<String> toolOptions() {
        return List.of();
    }

    @Override
    public Map<String, String> toolEnv() {
        return Map.of();
    }

    @Override
    public List<String> keys(String prefix) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .map(file -> root.relativize(file).toString())
                    .filter(key -> key.startsWith(prefix))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<byte[]> read(String key) {
        Path file = root.resolve(key);
        try {
            return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        PostgresUser.deleteRecursively(root);
    }

    @Override
    public String toString() {
        return "file store " + url();
    }
}
