package io.cumulus.storage.file;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * How a store creates its files and directories, taken from the store's directory (the one the URL
 * names) at the first write:
 *
 * <ul>
 *   <li>the mode asked of the system is the owner's full rights and, for the group and for others, only
 *       the read, write and search rights the store's directory gives them; the umask then applies as
 *       always. A store in a 0700 directory stays 0700/0600 under cron's umask 022; one in a 2770
 *       directory shared with a group stays shared under {@code umask 007}.
 *   <li>when root writes into a directory another user owns (a {@code cumulus-backup} in root's crontab
 *       into postgres's store), each new entry is given to that directory's owner and group: a
 *       directory root created would otherwise stop postgres's {@code archive_command} (which cannot
 *       write into it) and hide the backup from postgres's tools. A root that may not chown makes its
 *       entries as the umask alone would, so that the store's owner can still read them.
 * </ul>
 *
 * On a file system without POSIX permissions, entries are created as the system makes them.
 */
final class NewEntries {

    private static final Set<PosixFilePermission> GROUP_AND_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final Set<PosixFilePermission> EXECUTE = EnumSet.of(
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

    private final Optional<FileAttribute<Set<PosixFilePermission>>> fileMode;
    private final Optional<FileAttribute<Set<PosixFilePermission>>> directoryMode;
    private final Optional<UserPrincipal> owner;
    private final Optional<GroupPrincipal> group;
    private final HandOver handOver;
    /** Set when root may not give entries away: from then on they are created as the umask alone makes them. */
    private volatile boolean handOverRefused;

    /** Gives {@code path} to {@code owner} and {@code group}: the file system's call, replaced in tests. */
    interface HandOver {
        void apply(Path path, UserPrincipal owner, GroupPrincipal group) throws IOException;

        HandOver CHOWN = (path, owner, group) -> {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            view.setGroup(group);
            view.setOwner(owner);
        };
    }

    private NewEntries(Optional<PosixFileAttributes> root, boolean writerIsRoot, HandOver handOver) {
        this.handOver = handOver;
        if (root.isEmpty()) {
            fileMode = Optional.empty();
            directoryMode = Optional.empty();
            owner = Optional.empty();
            group = Optional.empty();
            return;
        }
        Set<PosixFilePermission> directory = EnumSet.of(PosixFilePermission.OWNER_READ,
                PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        Set<PosixFilePermission> file = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        for (PosixFilePermission p : root.get().permissions()) {
            if (GROUP_AND_OTHERS.contains(p)) {
                directory.add(p);
                if (!EXECUTE.contains(p)) {
                    file.add(p);
                }
            }
        }
        fileMode = Optional.of(PosixFilePermissions.asFileAttribute(file));
        directoryMode = Optional.of(PosixFilePermissions.asFileAttribute(directory));
        boolean givesAway = writerIsRoot && !root.get().owner().getName().equals("root");
        owner = givesAway ? Optional.of(root.get().owner()) : Optional.empty();
        group = givesAway ? Optional.of(root.get().group()) : Optional.empty();
    }

    /** The rules for a store whose directory is {@code root}, written by this process's user. */
    static NewEntries under(Path root) throws IOException {
        return under(root, "root".equals(System.getProperty("user.name")));
    }

    static NewEntries under(Path root, boolean writerIsRoot) throws IOException {
        return under(root, writerIsRoot, HandOver.CHOWN);
    }

    static NewEntries under(Path root, boolean writerIsRoot, HandOver handOver) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(root, PosixFileAttributeView.class);
        return new NewEntries(view == null ? Optional.empty() : Optional.of(view.readAttributes()), writerIsRoot,
                handOver);
    }

    /** Creates the new file {@code path} for writing. */
    FileChannel createFile(Path path) throws IOException {
        FileChannel channel = fileMode.isPresent() && !handOverRefused
                ? FileChannel.open(path, Set.of(CREATE_NEW, WRITE), fileMode.get())
                : FileChannel.open(path, CREATE_NEW, WRITE);
        handOver(path, false);
        return channel;
    }

    /** Creates the directory {@code path}, whose parent exists. */
    void createDirectory(Path path) throws IOException {
        if (directoryMode.isPresent() && !handOverRefused) {
            Files.createDirectory(path, directoryMode.get());
        } else {
            Files.createDirectory(path);
        }
        handOver(path, true);
    }

    /**
     * Gives a new entry to the store directory's owner when root writes. A root that may not (no
     * CAP_CHOWN in a container or a hardened unit) makes it, and every entry after it, as the umask
     * alone would: root's own, but readable by the store's owner as before, rather than private to root
     * and hiding the backup from postgres's tools.
     */
    private void handOver(Path path, boolean directory) throws IOException {
        if (owner.isEmpty() || handOverRefused) {
            return;
        }
        try {
            handOver.apply(path, owner.get(), group.orElseThrow());
        } catch (IOException e) {
            handOverRefused = true;
            Files.setPosixFilePermissions(path, umaskOnly(directory));
        }
    }

    /** The mode the umask alone gives a new file or directory ({@code /proc/self/status}; 022 if unknown). */
    private static Set<PosixFilePermission> umaskOnly(boolean directory) {
        int umask = 0022;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Umask:")) {
                    umask = Integer.parseInt(line.substring("Umask:".length()).trim(), 8);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: the common default
        }
        int mode = (directory ? 0777 : 0666) & ~umask;
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ (0400) ... OTHERS_EXECUTE (0001)
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                permissions.add(bits[i]);
            }
        }
        return permissions;
    }
}
