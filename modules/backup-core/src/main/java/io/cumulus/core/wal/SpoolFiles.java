package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;

/** What the archive and restore spools share: their keys, and small files replaced atomically. */
final class SpoolFiles {

    private SpoolFiles() {
    }

    /** {@code key} if it is a spool key (hex digits, as {@link ArchiveSpool#keyOf} makes them). */
    static String requireKey(String key) {
        if (!key.matches("[0-9a-f]{1,64}")) {
            throw new IllegalArgumentException("invalid spool key " + key);
        }
        return key;
    }

    /** Deletes every file of {@code directory} whose name ends with {@code suffix} (marks a dead worker left). */
    static void deleteEndingWith(Path directory, String suffix) throws IOException {
        try (var files = Files.list(directory)) {
            for (Path mark : files.filter(p -> p.getFileName().toString().endsWith(suffix)).toList()) {
                Files.deleteIfExists(mark);
            }
        }
    }

    /**
     * Writes {@code content} to {@code directory/name} through a hidden temporary file and a rename,
     * so that a reader (another process, the launcher's fast path) sees the old file or the new one.
     * The file is 0600, whatever the umask.
     */
    static void writeAtomically(Path directory, String name, String content) throws IOException {
        writeAtomically(directory, name, content, null);
    }

    /** As {@link #writeAtomically(Path, String, String)}, the file's modification time set to {@code modified}. */
    static void writeAtomically(Path directory, String name, String content, FileTime modified) throws IOException {
        Path temporary = directory.resolve("." + name + ".tmp-" + ProcessHandle.current().pid()
                + "-" + Thread.currentThread().getId());
        Files.deleteIfExists(temporary); // left by a killed writer of this pid and thread, with its mode
        Files.createFile(temporary, io.cumulus.core.io.PrivateFiles.FILE); // 0600 whatever the umask
        try {
            Files.writeString(temporary, content, StandardCharsets.UTF_8);
            if (modified != null) {
                Files.setLastModifiedTime(temporary, modified);
            }
            Files.move(temporary, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            // a full disk takes the content but not the name: the empty file would outlive the shortage
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Deletes the temporary files of {@link #writeAtomically} in {@code directory} whose writer is gone
     * (its PID, in the name, no longer runs): a writer killed between create and rename left them.
     * Those of running processes are theirs.
     */
    static void deleteTemporariesOfDeadWriters(Path directory) throws IOException {
        java.util.regex.Pattern temporary = java.util.regex.Pattern.compile("\\..+\\.tmp-(\\d{1,18})-\\d+");
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                java.util.regex.Matcher name = temporary.matcher(file.getFileName().toString());
                if (name.matches() && ProcessHandle.of(Long.parseLong(name.group(1))).isEmpty()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    /**
     * Removes the spools under {@code root} (one directory per key) that {@code keep} does not keep, whose
     * worker (the holder of their {@code lockName}) does not run and in which nothing changed for
     * {@code idleFor}: neither the directory nor a file in it (a call of that set-up may be creating it,
     * or touching a file in it, before it starts its worker). The lock is held while the files go, so no
     * worker of that key starts meanwhile. A spool that cannot be removed (a file appearing, another
     * user's) is left as it is: its contents are disposable, and so is this clean-up.
     */
    static void removeIdleSpools(Path root, java.util.function.Predicate<Path> keep, String lockName,
            java.time.Duration idleFor) throws IOException {
        java.util.List<Path> spools;
        try (var entries = Files.list(root)) {
            spools = entries.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && p.getFileName().toString().matches("[0-9a-f]{1,64}") && !keep.test(p)).toList();
        }
        java.time.Instant idleSince = java.time.Instant.now().minus(idleFor);
        for (Path spool : spools) {
            try {
                removeIfIdle(spool, lockName, idleSince);
            } catch (IOException | java.nio.channels.OverlappingFileLockException notNow) {
                // raced with a call of that set-up, or not ours to remove: left for a later worker
            }
        }
    }

    private static void removeIfIdle(Path spool, String lockName, java.time.Instant idleSince) throws IOException {
        java.util.List<Path> files;
        try (var entries = Files.list(spool)) {
            files = entries.toList();
        }
        if (Files.getLastModifiedTime(spool).toInstant().isAfter(idleSince)) {
            return;
        }
        for (Path file : files) {
            if (Files.getLastModifiedTime(file, java.nio.file.LinkOption.NOFOLLOW_LINKS).toInstant().isAfter(idleSince)) {
                return;
            }
        }
        Path lockFile = spool.resolve(lockName);
        // taking the lock creates its file where there was none; it goes with the rest
        java.util.Optional<java.nio.channels.FileLock> lock = new WorkerLock(lockFile).tryLock();
        if (lock.isEmpty()) {
            return; // its worker runs
        }
        try {
            for (Path file : files) {
                if (!file.equals(lockFile)) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(lockFile);
        } finally {
            lock.get().channel().close();
        }
        Files.deleteIfExists(spool);
    }
}
