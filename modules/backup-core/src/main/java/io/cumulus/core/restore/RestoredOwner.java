package io.cumulus.core.restore;

import io.cumulus.core.util.ShellWords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.Collection;
import java.util.Optional;

/**
 * Who owns what a restore creates. PostgreSQL starts only on files its own user owns, and a restore
 * run as root (through sudo, from a root shell) would leave every one root's. So as root, into a data
 * directory that exists and another user owns (the postgres of a package's
 * {@code /var/lib/postgresql/15/main}), every directory, file and symbolic link the restore creates,
 * tablespace directories included, is given to that directory's owner and group (a link itself, never
 * what it points to). As root with no such owner to go by, or where root may not give files away (no
 * CAP_CHOWN), everything stays root's and {@link #warning} says how to fix it. Any other user owns what
 * it creates, as always.
 */
final class RestoredOwner {

    private final boolean asRoot;
    private final UserPrincipal user;
    private final GroupPrincipal group;
    /** Why root has no owner to give files to, for the warning: "which did not exist", ... */
    private final String ownerless;
    /** Why root could not give a file away (no CAP_CHOWN), once it could not: nothing more is tried. */
    private volatile String refused;

    private RestoredOwner(boolean asRoot, UserPrincipal user, GroupPrincipal group, String ownerless) {
        this.asRoot = asRoot;
        this.user = user;
        this.group = group;
        this.ownerless = ownerless;
    }

    /**
     * The owner of what a restore into {@code destination} creates, read before anything is created.
     *
     * @param asRoot whether the restore runs as root
     */
    static RestoredOwner of(Path destination, boolean asRoot) throws IOException {
        if (!asRoot) {
            return new RestoredOwner(false, null, null, null);
        }
        if (!Files.isDirectory(destination)) {
            return new RestoredOwner(true, null, null, "which did not exist");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(destination, PosixFileAttributeView.class);
        if (view == null) {
            return new RestoredOwner(true, null, null, "whose file system has no owners");
        }
        PosixFileAttributes attributes = view.readAttributes();
        if (((Number) Files.getAttribute(destination, "unix:uid")).intValue() == 0) {
            return new RestoredOwner(true, null, null, "which root owns");
        }
        return new RestoredOwner(true, attributes.owner(), attributes.group(), null);
    }

    /**
     * Gives {@code path}, just created, to the owner, when root restores into another user's
     * directory; a symbolic link is given itself (lchown). The first refusal stops it, for the warning.
     */
    void give(Path path) {
        if (user == null || refused != null) {
            return;
        }
        try {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            view.setGroup(group);
            view.setOwner(user);
        } catch (IOException e) {
            refused = e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null ? fs.getReason()
                    : e.toString();
        }
    }

    /**
     * The line to print once a restore run as root has left its files root's, which PostgreSQL refuses to
     * start on; empty when they are the owner's.
     */
    Optional<String> warning(Path destination, Collection<Path> tablespaces) {
        if (!asRoot || (user != null && refused == null)) {
            return Optional.empty();
        }
        // real paths: chown -R does not go through a link named on its command line; each one shell word, for
        // the line to be pasted as it is
        StringBuilder directories = new StringBuilder(ShellWords.quote(real(destination).toString()));
        tablespaces.forEach(t -> directories.append(' ').append(ShellWords.quote(real(t).toString())));
        String who = user == null ? "postgres" : user.getName();
        String why = user == null ? "restored as root into " + destination + ", " + ownerless
                : "restored as root, but the files could not be given to " + who + ", the owner of " + destination
                        + " (" + refused + ")";
        return Optional.of(why + ": every file is owned by root and PostgreSQL refuses to start on it; chown -R "
                + ShellWords.quote(who + ":") + " " + directories + ", or run cumulus-restore as the user that runs"
                + " PostgreSQL (or, as root, into an empty data directory that user owns)");
    }

    private static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }
}
