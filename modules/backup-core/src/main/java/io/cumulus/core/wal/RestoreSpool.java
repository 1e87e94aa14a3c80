package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The spool of WAL prefetching ({@code cumulus-wal-restore --prefetch}): segments fetched ahead of
 * PostgreSQL's requests. A file appears here under its segment name only once it is complete and
 * checked (written to a hidden temporary name, fsynced, renamed), so a partial download is never
 * served. The spool remembers which archive it holds; pointed at another, it starts empty.
 */
public final class RestoreSpool {

    public static final String DIRECTORY = "archive-in";
    private static final String SOURCE = ".source";

    private final Path directory;

    public RestoreSpool(Path spoolDirectory) {
        this.directory = spoolDirectory.toAbsolutePath().resolve(DIRECTORY);
    }

    /**
     * Creates the spool if needed and empties it when it was filled from another archive than
     * {@code source} (a description of the URL and server name).
     */
    public RestoreSpool open(String source) throws IOException {
        Files.createDirectories(directory);
        Path marker = directory.resolve(SOURCE);
        String current = Files.exists(marker) ? Files.readString(marker, StandardCharsets.UTF_8) : null;
        if (!source.equals(current)) {
            for (String name : segments()) {
                Files.deleteIfExists(directory.resolve(name));
            }
            Files.writeString(marker, source, StandardCharsets.UTF_8);
        }
        return this;
    }

    public Path directory() {
        return directory;
    }

    /** Where a prefetched segment is written (through {@link WalRestorer}, which writes atomically). */
    public Path pathOf(String wal) {
        return directory.resolve(wal);
    }

    public boolean contains(String wal) {
        return Files.isRegularFile(directory.resolve(wal));
    }

    /**
     * Moves the prefetched {@code wal} to {@code destination} atomically (copying through a temporary
     * file when the spool is on another file system); false when it is not spooled.
     */
    public boolean take(String wal, Path destination) throws IOException {
        Path spooled = directory.resolve(wal);
        if (!Files.isRegularFile(spooled)) {
            return false;
        }
        try {
            Files.move(spooled, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Path temporary = destination.resolveSibling("." + destination.getFileName() + ".cumulus-"
                    + ProcessHandle.current().pid());
            try {
                Files.copy(spooled, temporary, StandardCopyOption.REPLACE_EXISTING);
                try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                    channel.force(true);
                }
                Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temporary);
            }
            Files.deleteIfExists(spooled);
        }
        try (FileChannel dir = FileChannel.open(destination.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
        return true;
    }

    /**
     * Deletes the spooled segments recovery no longer needs: those that sort before {@code wal}, which
     * includes every segment of older timelines.
     */
    public void discardBefore(String wal) throws IOException {
        for (String name : segments()) {
            if (name.compareTo(wal) < 0) {
                Files.deleteIfExists(directory.resolve(name));
            }
        }
    }

    /** The complete segments in the spool, in WAL order. */
    public List<String> segments() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).filter(WalName::isWalName).sorted().toList();
        }
    }

    /** Takes the prefetcher lock, or returns empty when another process holds it. */
    public Optional<FileLock> tryLockPrefetcher() throws IOException {
        return new WorkerLock(directory.resolve("prefetcher.lock")).tryLock();
    }

    /** True when a prefetch worker holds the lock. */
    public boolean prefetcherRunning() throws IOException {
        return new WorkerLock(directory.resolve("prefetcher.lock")).heldElsewhere();
    }

    public Path prefetcherLog() {
        return directory.resolve("prefetcher.log");
    }
}
