package io.cumulus.postgres;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Looks a password up in a libpq password file ({@code ~/.pgpass}) exactly as libpq's
 * {@code passwordFromFile} does: lines {@code host:port:database:user:password}, {@code *} as a whole
 * field matches anything, {@code \:} and {@code \\} escape, {@code #} starts a comment line, the first
 * matching line wins, and a file that is not a regular file or that group or others may access is
 * ignored with a notice.
 */
final class PgPassFile {

    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private PgPassFile() {
    }

    /**
     * The password of the first line matching all four values, if the file exists and is usable;
     * reasons for ignoring the file are added to {@code notices} (never its content).
     */
    static Optional<String> lookup(Path file, String host, String port, String database, String user,
            List<String> notices) {
        try {
            if (!Files.isRegularFile(file)) {
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    notices.add("password file \"" + file + "\" is not a plain file: ignored");
                }
                return Optional.empty();
            }
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            permissions.retainAll(GROUP_OR_OTHER);
            if (!permissions.isEmpty()) {
                notices.add("password file \"" + file + "\" has group or world access; permissions should be"
                        + " u=rw (0600) or less: ignored");
                return Optional.empty();
            }
            try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                for (String line; (line = reader.readLine()) != null; ) {
                    Optional<String> password = match(line, host, port, database, user);
                    if (password.isPresent()) {
                        return password;
                    }
                }
            }
            return Optional.empty();
        } catch (NoSuchFileException vanished) {
            return Optional.empty();
        } catch (IOException | UnsupportedOperationException e) {
            notices.add("password file \"" + file + "\" cannot be read (" + e.getClass().getSimpleName()
                    + "): ignored");
            return Optional.empty();
        }
    }

    /** The password if {@code line} matches, libpq's rules. */
    static Optional<String> match(String line, String host, String port, String database, String user) {
        if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
        }
        if (line.isEmpty() || line.charAt(0) == '#') {
            return Optional.empty();
        }
        int at = matchField(line, 0, host);
        at = matchField(line, at, port);
        at = matchField(line, at, database);
        at = matchField(line, at, user);
        if (at < 0) {
            return Optional.empty();
        }
        StringBuilder password = new StringBuilder();
        for (int i = at; i < line.length() && line.charAt(i) != ':'; i++) {
            if (line.charAt(i) == '\\' && i + 1 < line.length()) {
                i++;
            }
            password.append(line.charAt(i));
        }
        return Optional.of(password.toString());
    }

    /** Where the next field starts when the field at {@code start} matches {@code token}, else -1. */
    private static int matchField(String line, int start, String token) {
        if (start < 0) {
            return -1;
        }
        if (line.startsWith("*:", start)) {
            return start + 2;
        }
        int i = start;
        int t = 0;
        while (i < line.length()) {
            boolean escaped = false;
            if (line.charAt(i) == '\\') {
                i++;
                escaped = true;
                if (i >= line.length()) {
                    return -1;
                }
            }
            char c = line.charAt(i);
            if (c == ':' && t == token.length() && !escaped) {
                return i + 1;
            }
            if (t == token.length() || c != token.charAt(t)) {
                return -1;
            }
            i++;
            t++;
        }
        return -1;
    }
}
