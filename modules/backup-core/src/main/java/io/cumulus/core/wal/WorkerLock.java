package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The lock file that lets one background worker (uploader, prefetcher) run per spool. The lock is
 * the operating system's: it goes away with the process, even one killed by {@code kill -9}, so a
 * crashed worker never blocks the next one.
 */
final class WorkerLock {
    private final Path file;

    WorkerLock(Path file) {
        this.file = file;
    }

    /** Takes the lock, held until the returned lock's channel is closed or the process ends; empty when held elsewhere. */
    Optional<FileLock> tryLock() throws IOException {
        FileChannel channel = FileChannel.open(file, java.util.EnumSet.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE), io.cumulus.core.io.PrivateFiles.FILE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            return Optional.empty();
        }
        return Optional.of(lock);
    }

    /** True when another process holds the lock. */
    boolean heldElsewhere() throws IOException {
        Optional<FileLock> lock = tryLock();
        if (lock.isEmpty()) {
            return true;
        }
        lock.get().channel().close();
        return false;
    }
}
