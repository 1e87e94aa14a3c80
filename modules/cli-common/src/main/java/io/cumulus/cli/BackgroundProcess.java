package io.cumulus.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a tool's background worker (the {@code --async} uploader, the {@code --prefetch} fetcher):
 * the same tool run again, detached, so that PostgreSQL's call can return while the worker goes on.
 */
public final class BackgroundProcess {
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private BackgroundProcess() {
    }

    /**
     * The command that runs {@code mainClass}'s tool again: through its launcher when it was started
     * by one (its runtime and start-up cache; the launcher gives a worker, known by its
     * {@code --async-uploader} or {@code --prefetch-worker} option, the JVM flags of a long-lived
     * process), else through this JVM's java and class path.
     */
    public static List<String> selfCommand(Class<?> mainClass) {
        List<String> command = new ArrayList<>();
        String launcher = System.getenv("CUMULUS_LAUNCHER");
        if (launcher != null && !launcher.isEmpty()) {
            command.add(launcher);
        } else {
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
        }
        return command;
    }

    /** The size above which a worker's log is set aside when the next worker starts ({@link #rotate}). */
    static final long LOG_LIMIT = 16L << 20;

    /**
     * Sets {@code log} aside as {@code LOG.1} (replacing an earlier one) when it has grown past
     * {@link #LOG_LIMIT}: a worker that keeps failing (a store refusing for days) logs a line per try, and
     * the log would grow without bound. A worker still writing to it goes on in {@code LOG.1}.
     */
    static void rotate(Path log) {
        try {
            if (Files.size(log) > LOG_LIMIT) {
                Files.move(log, log.resolveSibling(log.getFileName() + ".1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException noLogOrNotNow) {
            // no log yet, or another call set it aside first: nothing to do
        }
    }

    /**
     * Starts {@code command} in its own session (so that the signals PostgreSQL sends to its archiver
     * or startup process do not reach it), with no input and its output appended to {@code log}, a
     * file only its owner may read (0600).
     */
    public static void startDetached(List<String> command, Path log) throws IOException {
        rotate(log);
        // the log holds error texts: 0600 whatever the umask, also when an earlier run left it wider
        io.cumulus.core.io.PrivateFiles.createOrRestrict(log);
        List<String> full = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            full.add(SETSID.toString());
        }
        full.addAll(command);
        new ProcessBuilder(full)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true)
                .start();
    }
}
