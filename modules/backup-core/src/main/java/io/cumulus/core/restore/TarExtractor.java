package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.io.LocalWriteException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts one tar stream (ustar, GNU or PAX, as Python's tarfile and cumulus-backup write them)
 * under a directory, never outside it: absolute names, {@code ..} components, paths through a
 * symbolic link below the directory and a link in place of a directory are refused before anything
 * is created for the member, and modes are set on the file or directory itself, never through a
 * link; what it creates goes to the {@link RestoredOwner}; FIFOs and devices are skipped. Every
 * regular file goes through the {@link RestoreVerifier} as it is written. A stream that
 * ends without tar's end-of-archive marker is an object cut short, never a complete archive. In the
 * data directory, {@code global/pg_control} and {@code backup_label} are written under a held-back
 * name ({@link #heldBack}): PostgreSQL must not start from a copy whose other archives are not all
 * there yet; a {@code tablespace_map} at its root is checked but not written ({@link #DROPPED}). Used
 * by one thread; several extractors may fill one directory when their members differ.
 */
final class TarExtractor {

    private static final int BUFFER_SIZE = 64 * 1024;

    /** The data directory's files PostgreSQL starts from, put in place only once the whole copy is there. */
    static final java.util.List<String> HELD_BACK = java.util.List.of("backup_label", "global/pg_control");

    private static final String HELD_SUFFIX = ".cumulus-restore-held";

    /**
     * The data directory's files read from the archives, and checked against the manifest, but not
     * written: a {@code tablespace_map} left at the backed-up data directory's root (by an exclusive
     * {@code pg_start_backup} of PostgreSQL 14 or older, running or crashed), which barman-cloud-backup
     * 3.4 copies. PostgreSQL, starting with a backup_label, re-creates every {@code pg_tblspc} link from
     * it, undoing those the restore makes from backup.info.
     */
    static final java.util.List<String> DROPPED = java.util.List.of("tablespace_map");

    /** What the extraction reports, for progress and the summary. */
    interface Listener {
        void fileRestored(String path, long bytes);

        /** {@code path}, a member of {@code archiveName}, was not restored: one of {@link #DROPPED}. */
        default void fileDropped(String path, String archiveName) {
        }
    }

    /**
     * The modification times of the directories the archives hold. Writing in a directory changes its
     * time, and so do the other archives' members, the tablespace links, the recovery configuration and
     * {@code global/pg_control} put in place last: the times are set once all that is done. Shared by
     * the extractors of one restore.
     */
    static final class DirectoryTimes {
        private final Queue<Map.Entry<Path, FileTime>> times = new ConcurrentLinkedQueue<>();

        void add(Path directory, FileTime modified) {
            times.add(Map.entry(directory, modified));
        }

        /** Sets every directory's time (of the directory itself: none is a link, {@link #makeDirectory}). */
        void apply() throws IOException {
            for (Map.Entry<Path, FileTime> time : times) {
                Files.getFileAttributeView(time.getKey(), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(time.getValue(), null, null);
            }
        }
    }

    private final Path root;
    private final String manifestPrefix;
    private final RestoreVerifier verifier;
    private final Listener listener;
    private final BooleanSupplier cancelled;
    private final List<String> tablespaceDirectories;
    private final RestoredOwner owner;
    private final DirectoryTimes directoryTimes;
    private final Set<Path> checkedDirectories = new HashSet<>();
    private final List<Runnable> directoryModes = new ArrayList<>();

    /**
     * @param root the directory the members go under; it exists
     * @param manifestPrefix what the manifest puts before a member's name: empty for the data
     *     directory, {@code pg_tblspc/<oid>/} for a tablespace
     * @param cancelled true once another archive failed, to stop early
     * @param tablespaceDirectories directories under the root, relative to it, where a tablespace is
     *     restored from its own archive: their members in this archive are skipped (barman-cloud-backup
     *     copies a tablespace inside the data directory into data.tar too, bar its top directory)
     * @param owner who gets what is created
     * @param directoryTimes where the directory members' modification times go, to be set once nothing
     *     more is written in them
     */
    TarExtractor(Path root, String manifestPrefix, RestoreVerifier verifier, Listener listener,
            BooleanSupplier cancelled, List<String> tablespaceDirectories, RestoredOwner owner,
            DirectoryTimes directoryTimes) throws IOException {
        this.root = root.toRealPath();
        this.manifestPrefix = manifestPrefix;
        this.verifier = verifier;
        this.listener = listener;
        this.cancelled = cancelled;
        this.tablespaceDirectories = List.copyOf(tablespaceDirectories);
        this.owner = owner;
        this.directoryTimes = directoryTimes;
    }

    /** Extracts every member of {@code tar}; directory modes are applied at the end, so they cannot block writes. */
    void extract(InputStream tar, String archiveName) throws IOException {
        EndNoticingInputStream source = new EndNoticingInputStream(tar);
        try {
            extractMembers(source, archiveName);
        } catch (IOException e) {
            if (source.ended && !(e instanceof java.io.EOFException) && !(e instanceof OperationFailedException)
                    && !(e instanceof LocalWriteException)) {
                // "Truncated TAR archive", "premature end of tar archive...": the object ends mid-member
                throw (IOException) new java.io.EOFException(e.getMessage()).initCause(e);
            }
            throw e;
        }
    }

    private void extractMembers(InputStream tar, String archiveName) throws IOException {
        EndMarkerTarInputStream in = new EndMarkerTarInputStream(tar);
        byte[] buffer = new byte[BUFFER_SIZE];
        TarArchiveEntry entry;
        String last = null;
        while ((entry = in.getNextTarEntry()) != null) {
            last = entry.getName();
            if (cancelled.getAsBoolean()) {
                throw new OperationFailedException("restore cancelled");
            }
            String name = normalize(entry.getName(), archiveName);
            if (name.isEmpty()) {
                continue; // the archive's root, "./": the target directory itself
            }
            if (tablespaceDirectories.stream().anyMatch(dir -> name.equals(dir) || name.startsWith(dir + "/"))) {
                continue; // the tablespace's own archive restores it
            }
            Path target = root.resolve(name);
            if (entry.isDirectory()) {
                makeDirectory(target, name, archiveName);
                int mode = entry.getMode();
                directoryModes.add(() -> setMode(target, mode));
                directoryTimes.add(target, entry.getLastModifiedTime());
                continue;
            }
            if (manifestPrefix.isEmpty() && DROPPED.contains(name)) {
                if (entry.isFile()) {
                    readChecked(in, name, buffer);
                }
                listener.fileDropped(name, archiveName);
                continue;
            }
            if (entry.isFIFO() || entry.isCharacterDevice() || entry.isBlockDevice()) {
                // barman-cloud-backup stores a FIFO found in the data directory (commons-compress calls it a
                // file); PostgreSQL never makes one, nor a device, and it has no contents to restore
                continue;
            }
            makeDirectory(target.getParent(), name, archiveName);
            if (entry.isSymbolicLink()) {
                Path link = Path.of(entry.getLinkName());
                replace(target, name, archiveName, "a symbolic link",
                        aside -> Files.createSymbolicLink(aside, link));
            } else if (entry.isLink()) {
                String linked = normalize(entry.getLinkName(), archiveName);
                Path source = root.resolve(linked);
                makeDirectory(source.getParent(), name, archiveName);
                replace(target, name, archiveName, "a hard link", aside -> Files.createLink(aside, source));
            } else if (entry.isFile()) {
                boolean held = manifestPrefix.isEmpty() && HELD_BACK.contains(name);
                writeFile(in, entry, held ? heldBack(root, name) : target, name, archiveName, buffer);
            }
        }
        if (!in.endMarkerSeen) {
            // Python's tarfile and cumulus-backup end every archive with it: without it, the object was cut
            // at a member boundary (or in a header), and the members after the cut are silently missing.
            throw new java.io.EOFException("it ends without tar's end-of-archive marker, "
                    + (last == null ? "before its first member" : "after member '" + last + "'"));
        }
        for (Runnable mode : directoryModes) {
            mode.run();
        }
        directoryModes.clear();
    }

    private void writeFile(InputStream in, TarArchiveEntry entry, Path target, String name, String archiveName,
            byte[] buffer) throws IOException {
        String path = manifestPrefix + name;
        RestoreVerifier.Running check = verifier.start(path);
        // A copy that a later one of the same path may replace is written aside until its checksum says.
        Path written = check.listedMoreThanOnce() ? asideOf(target) : target;
        try {
            long size = 0;
            try (OutputStream out = LocalWriteException.naming(open(written, target), "cannot write " + target,
                    WHEN_FULL)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    check.update(buffer, 0, n);
                    size += n;
                }
            }
            boolean keep = check.finish(size);
            if (keep && written != target) {
                rename(written, target, name, archiveName, "a file");
            }
            if (keep) {
                owner.give(target); // before the mode: chown clears set-user-ID bits
                setMode(target, entry.getMode());
                Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setTimes(entry.getLastModifiedTime(), null, null);
                listener.fileRestored(path, size);
            }
        } finally {
            if (written != target) {
                Files.deleteIfExists(written); // gone already once renamed into place
            }
        }
    }

    /** Reads the member's content through the verifier, as {@link #writeFile} would, writing it nowhere. */
    private void readChecked(InputStream in, String name, byte[] buffer) throws IOException {
        RestoreVerifier.Running check = verifier.start(manifestPrefix + name);
        long size = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            check.update(buffer, 0, n);
            size += n;
        }
        check.finish(size);
    }

    /** What to do when the destination's file system is full. */
    static final String WHEN_FULL = "free space on its file system";

    private static OutputStream open(Path written, Path target) throws IOException {
        try {
            return Files.newOutputStream(written, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.FileSystemException e) {
            throw LocalWriteException.wrap(e, "cannot write " + target, WHEN_FULL);
        }
    }

    /**
     * Where {@code name}, a member of the data directory's archives, is written: {@link #HELD_BACK}
     * ones beside their final place, under a name PostgreSQL does not read.
     */
    static Path heldBack(Path dataDirectory, String name) {
        return dataDirectory.resolve(name + HELD_SUFFIX);
    }

    /** Tells when the stream under the tar reader ended: its errors then mean an object cut short. */
    private static final class EndNoticingInputStream extends java.io.FilterInputStream {
        boolean ended;

        EndNoticingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            ended |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }
    }

    /** Tells when tar's end-of-archive marker, a zero block, was read: end of stream alone is not the end. */
    private static final class EndMarkerTarInputStream extends TarArchiveInputStream {
        boolean endMarkerSeen;

        EndMarkerTarInputStream(InputStream in) {
            super(in, BUFFER_SIZE, "UTF-8");
        }

        @Override
        protected boolean isEOFRecord(byte[] record) {
            boolean end = super.isEOFRecord(record);
            endMarkerSeen |= end && record != null; // null: the stream ended, with no block
            return end;
        }
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

    /**
     * Makes {@code dir}, the root or below it, a real directory: every component below the root that
     * exists must be a directory and not a symbolic link, which could lead outside the root (a
     * restore's own tablespace links are made after the extraction); missing ones are created. No
     * member ever removes or replaces a directory, so one checked stays good for the whole restore.
     */
    private void makeDirectory(Path dir, String name, String archiveName) throws IOException {
        if (dir.equals(root) || checkedDirectories.contains(dir)) {
            return;
        }
        makeDirectory(dir.getParent(), name, archiveName);
        BasicFileAttributes found = attributesOrNull(dir);
        if (found == null) {
            try {
                Files.createDirectory(dir);
                owner.give(dir);
                checkedDirectories.add(dir);
                return;
            } catch (FileAlreadyExistsException raced) {
                // another extractor of the same directory made it, or a member of its own
                found = attributesOrNull(dir);
            }
        }
        if (found != null && found.isSymbolicLink()) {
            throw refused(name, archiveName, "'" + root.relativize(dir) + "' is a symbolic link, which could lead"
                    + " it outside the target directory");
        }
        if (found == null || !found.isDirectory()) {
            throw refused(name, archiveName, "'" + root.relativize(dir) + "' is not a directory");
        }
        checkedDirectories.add(dir);
    }

    /** Something made at {@code target} in place of what is there, never a directory. */
    private interface Maker {
        void makeAt(Path aside) throws IOException;
    }

    /**
     * Makes a link beside {@code target} and renames it over what {@code target} holds: rename(2)
     * replaces a file or link but never a directory, so no directory checked by this or another
     * extractor can turn into a link.
     */
    private void replace(Path target, String name, String archiveName, String what, Maker maker)
            throws IOException {
        Path aside = asideOf(target);
        maker.makeAt(aside);
        try {
            owner.give(aside);
            rename(aside, target, name, archiveName, what);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(aside);
            throw e;
        }
    }

    private static void rename(Path from, Path to, String name, String archiveName, String what)
            throws IOException {
        BasicFileAttributes there = attributesOrNull(to);
        if (there != null && there.isDirectory()) {
            throw refused(name, archiveName, what + " cannot replace the directory '" + name + "'");
        }
        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A name beside {@code target} that no member has. */
    private static Path asideOf(Path target) {
        return target.resolveSibling(".cumulus-restore-" + UUID.randomUUID());
    }

    private static BasicFileAttributes attributesOrNull(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException absent) {
            return null;
        }
    }

    private static OperationFailedException refused(String name, String archiveName, String why) {
        return new OperationFailedException("refusing member '" + name + "' of " + archiveName + ": " + why);
    }

    /** Sets the mode of the file or directory itself; a symbolic link there is left alone. */
    private static void setMode(Path path, int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                permissions.add(bits[i]);
            }
        }
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return; // A file system without POSIX modes still holds a usable copy.
        }
        try {
            view.setPermissions(permissions);
        } catch (IOException | UnsupportedOperationException e) {
            // A file system without POSIX modes still holds a usable copy.
        }
    }
}
