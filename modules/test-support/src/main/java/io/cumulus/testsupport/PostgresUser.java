package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.stream.Stream;

/**
 * The OS user PostgreSQL runs as. PostgreSQL refuses to run as root, so when the tests run as root
 * every server-side command is started through {@code runuser} and every directory the server writes
 * to is handed over to that user; when the tests already run as an ordinary user, that user is used.
 */
public final class PostgresUser {

    /** The OS user to switch to when running as root; system property {@code cumulus.pg.user}. */
    public static final String NAME = System.getProperty("cumulus.pg.user", "postgres");

    private PostgresUser() {
    }

    /** Whether commands must switch user: only when this JVM runs as root. */
    public static boolean switchesUser() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command line that runs {@code command} as the PostgreSQL user, environment preserved. */
    static List<String> wrap(List<String> command) {
        if (!switchesUser()) {
            return command;
        }
        return Stream.concat(Stream.of("runuser", "-u", NAME, "--"), command.stream()).toList();
    }

    /**
     * A new, empty directory under java.io.tmpdir that the PostgreSQL user owns (mode 0700).
     * The caller deletes it, with {@link #deleteRecursively(Path)}.
     */
    public static Path createTempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            chown(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Gives {@code path} (not recursively) to the PostgreSQL user; a no-op when not running as root. */
    public static void chown(Path path) {
        if (!switchesUser()) {
            return;
        }
        try {
            UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
            UserPrincipal user = lookup.lookupPrincipalByName(NAME);
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(NAME);
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(user);
            view.setGroup(group);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot give " + path + " to OS user " + NAME, e);
        }
    }

    /** Deletes a directory tree, whoever owns its files; absent is fine. */
    public static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof java.nio.file.NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (exc != null) {
                        throw exc;
                    }
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
