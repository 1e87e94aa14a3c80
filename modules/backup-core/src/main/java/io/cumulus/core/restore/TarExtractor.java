package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts one tar stream (ustar, GNU or PAX, as Python's tarfile and cumulus-backup write them)
 * under a directory, never outside it: absolute names, {@code ..} components and paths through a
 * symbolic link are refused. Every regular file goes through the {@link RestoreVerifier} as it is
 * written. Used by one thread; several extractors may fill one directory when their members differ.
 */
final class TarExtractor {

    private static final int BUFFER_SIZE = 64 * 1024;

    /** What the extraction reports, for progress and the summary. */
    interface Listener {
        void fileRestored(String path, long bytes);
    }

    private final Path root;
    private final String manifestPrefix;
    private final RestoreVerifier verifier;
    private final Listener listener;
    private final BooleanSupplier cancelled;
    private final Set<Path> checkedDirectories = new HashSet<>();
    private final List<Runnable> directoryModes = new ArrayList<>();

    /**
     * @param root the directory the members go under; it exists
     * @param manifestPrefix what the manifest puts before a member's name: empty for the data
     *     directory, {@code pg_tblspc/<oid>/} for a tablespace
     * @param cancelled true once another archive failed, to stop early
     */
    TarExtractor(Path root, String manifestPrefix, RestoreVerifier verifier, Listener listener,
            BooleanSupplier cancelled) throws IOException {
        this.root = root.toRealPath();
        this.manifestPrefix = manifestPrefix;
        this.verifier = verifier;
        this.listener = listener;
        this.cancelled = cancelled;
    }

    /** Extracts every member of {@code tar}; directory modes are applied at the end, so they cannot block writes. */
    void extract(InputStream tar, String archiveName) throws IOException {
        TarArchiveInputStream in = new TarArchiveInputStream(tar, BUFFER_SIZE, "UTF-8");
        byte[] buffer = new byte[BUFFER_SIZE];
        TarArchiveEntry entry;
        while ((entry = in.getNextTarEntry()) != null) {
            if (cancelled.getAsBoolean()) {
                throw new OperationFailedException("restore cancelled");
            }
            String name = normalize(entry.getName(), archiveName);
            if (name.isEmpty()) {
                continue; // the archive's root, "./": the target directory itself
            }
            Path target = root.resolve(name);
            checkParent(target, name, archiveName);
            if (entry.isDirectory()) {
                Files.createDirectories(target);
                int mode = entry.getMode();
                directoryModes.add(() -> setMode(target, mode));
            } else if (entry.isSymbolicLink()) {
                // A link may replace an (empty) directory already checked: forget it, so members
                // through the link are checked again and refused.
                checkedDirectories.removeIf(checked -> checked.startsWith(target));
                Files.deleteIfExists(target);
                Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
            } else if (entry.isLink()) {
                String linked = normalize(entry.getLinkName(), archiveName);
                Path source = root.resolve(linked);
                checkParent(source, linked, archiveName);
                Files.deleteIfExists(target);
                Files.createLink(target, source);
            } else if (entry.isFile()) {
                writeFile(in, entry, target, name, buffer);
            }
            // Devices and FIFOs have no place in a data directory; PostgreSQL never creates them.
        }
        for (Runnable mode : directoryModes) {
            mode.run();
        }
        directoryModes.clear();
    }

    private void writeFile(InputStream in, TarArchiveEntry entry, Path target, String name, byte[] buffer)
            throws IOException {
        String path = manifestPrefix + name;
        RestoreVerifier.Running check = verifier.start(path);
        long size = 0;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                check.update(buffer, 0, n);
                size += n;
            }
        }
        check.finish(size);
        setMode(target, entry.getMode());
        Files.setLastModifiedTime(target, FileTime.from(entry.getLastModifiedDate().toInstant()));
        listener.fileRestored(path, size);
    }

    /** The member's path relative to the root: no leading {@code ./}, never absolute, no {@code ..}. */
    static String normalize(String member, String archiveName) throws OperationFailedException {
        String name = member;
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.equals(".")) {
            return "";
        }
        if (member.startsWith("/")) {
            throw new OperationFailedException("refusing member '" + member + "' of " + archiveName
                    + ": an absolute path");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new OperationFailedException("refusing member '" + member + "' of " + archiveName
                        + ": it leads outside the target directory");
            }
        }
        return name;
    }

    /** Creates the member's parent directories and makes sure no symbolic link takes it out of the root. */
    private void checkParent(Path target, String name, String archiveName) throws IOException {
        Path parent = target.getParent();
        if (checkedDirectories.contains(parent)) {
            return;
        }
        Files.createDirectories(parent);
        if (!parent.toRealPath().startsWith(root)) {
            throw new OperationFailedException("refusing member '" + name + "' of " + archiveName
                    + ": a symbolic link leads it outside the target directory");
        }
        checkedDirectories.add(parent);
    }

    private static void setMode(Path path, int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                permissions.add(bits[i]);
            }
        }
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (IOException | UnsupportedOperationException e) {
            // A file system without POSIX modes still holds a usable copy.
        }
    }
}
