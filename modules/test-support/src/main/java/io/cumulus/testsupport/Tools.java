package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the packaged Cumulus tools (the launchers in {@code dist/bin/} at the top of the checkout)
 * so tests run them exactly as a user or PostgreSQL would: as separate processes.
 */
public final class Tools {

    /** System property naming the checkout root; the parent pom sets it for surefire. */
    public static final String ROOT_PROPERTY = "cumulus.root";

    private Tools() {
    }

    /**
     * The checkout root: the first of {@code cumulus.root} and the working directory with its parents
     * that holds {@code dist/bin}; failing that, {@code cumulus.root} or the working directory.
     */
    public static Path root() {
        List<Path> candidates = new ArrayList<>();
        String property = System.getProperty(ROOT_PROPERTY);
        if (property != null && !property.isBlank()) {
            candidates.add(Path.of(property).toAbsolutePath().normalize());
        }
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize(); dir != null;
                dir = dir.getParent()) {
            candidates.add(dir);
        }
        return candidates.stream()
                .filter(dir -> Files.isDirectory(dir.resolve("dist/bin")))
                .findFirst()
                .orElse(candidates.get(0));
    }

    /**
     * The directory of launchers, {@code <root>/dist/bin}, or a copy of {@code dist/} in a temporary
     * directory when the checkout is not reachable by the postgres user (a clone under /root, say),
     * since PostgreSQL runs archive_command and restore_command as that user.
     */
    public static Path bin() {
        Path dist = root().resolve("dist");
        if (!Files.isDirectory(dist) || reachableByOthers(dist)) {
            return dist.resolve("bin");
        }
        return ReachableCopy.of(dist).resolve("bin");
    }

    private static boolean reachableByOthers(Path dir) {
        try {
            for (Path d = dir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
                if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }

    /** One copy of dist/ per test JVM, readable by everyone, deleted when the JVM exits. */
    private static final class ReachableCopy {
        private static Path copy;

        static synchronized Path of(Path dist) {
            if (copy == null) {
                try {
                    Path dir = Files.createTempDirectory("cumulus-dist-");
                    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                    Command.of(Path.of("/bin/cp"), "-a", dist.toString(), dir.toString()).runSuccessfully();
                    Command.of(Path.of("/bin/chmod"), "-R", "a+rX", dir.toString()).runSuccessfully();
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> PostgresUser.deleteRecursively(dir)));
                    copy = dir.resolve("dist");
                } catch (IOException e) {
                    throw new UncheckedIOException("could not copy " + dist + " where the postgres user can run it", e);
                }
            }
            return copy;
        }
    }

    /** Whether {@code tool} has been packaged into {@link #bin()}. */
    public static boolean isPackaged(String tool) {
        return Files.isExecutable(bin().resolve(tool));
    }

    /** The launcher of {@code tool}; fails with a hint when the tools have not been packaged. */
    public static Path path(String tool) {
        Path launcher = bin().resolve(tool);
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException(launcher + " is missing or not executable: package the tools first"
                    + " (mvn -B package -DskipTests at the top of the checkout)");
        }
        return launcher;
    }

    /** A command running {@code tool} with {@code args}; add environment, user and timeout before running. */
    public static Command command(String tool, String... args) {
        return Command.of(path(tool), args);
    }

    /** Runs {@code tool} as this JVM's user with the default timeout. */
    public static ToolResult run(String tool, String... args) {
        return command(tool, args).run();
    }
}
