package io.cumulus.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
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

    /** The directory of launchers, {@code <root>/dist/bin}. */
    public static Path bin() {
        return root().resolve("dist/bin");
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
