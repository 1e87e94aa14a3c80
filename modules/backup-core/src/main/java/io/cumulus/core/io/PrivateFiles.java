package io.cumulus.core.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and directories only their owner may read, whatever the caller's umask: the spools of
 * asynchronous archiving and of prefetching hold the tool's arguments (an {@code --endpoint-url} may
 * carry a password), error texts, logs and WAL contents, and an archive_command run once by hand with
 * umask 022 must not leave them world-readable. Modes given at creation are still narrowed by the
 * umask, never widened; those set afterwards ({@link #restrict}) are exact.
 */
public final class PrivateFiles {

    /** {@code rw-------}. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /** {@code rwx------}. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    /** 0600, for a file created. */
    public static final FileAttribute<Set<PosixFilePermission>> FILE = PosixFilePermissions.asFileAttribute(FILE_MODE);
    /** 0700, for a directory created. */
    public static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
            PosixFilePermissions.asFileAttribute(DIRECTORY_MODE);

    private PrivateFiles() {}

    /**
     * Creates {@code directory} and its missing parents 0700, and sets each of {@code owned} (the
     * directories the tool itself makes, which may exist from a run with another umask) to 0700.
     */
    public static void createDirectories(Path directory, Path... owned) throws IOException {
        Files.createDirectories(directory, DIRECTORY);
        for (Path own : owned) {
            restrict(own, DIRECTORY_MODE);
        }
    }

    /** Creates {@code file} empty and 0600, or empties it and sets it 0600 when it exists. */
    public static void writeEmpty(Path file) throws IOException {
        try {
            Files.createFile(file, FILE);
        } catch (FileAlreadyExistsException e) {
            Files.write(file, new byte[0]);
            restrict(file, FILE_MODE);
        }
    }

    /** Creates {@code file} 0600 when it is missing; sets it 0600 when it exists. */
    public static void createOrRestrict(Path file) throws IOException {
        try {
            Files.createFile(file, FILE);
        } catch (FileAlreadyExistsException e) {
            restrict(file, FILE_MODE);
        }
    }

    /**
     * Sets {@code path} to {@code mode} unless it has it already. Best effort: a file system without
     * POSIX modes, or an entry of another owner, is left as it is (the tool works on regardless).
     */
    public static void restrict(Path path, Set<PosixFilePermission> mode) {
        try {
            if (!Files.getPosixFilePermissions(path).equals(mode)) {
                Files.setPosixFilePermissions(path, mode);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not ours to change, or nothing to change on this file system
        }
    }
}
