package io.cumulus.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a tool's background worker (the {@code --async} uploader, the {@code --prefetch} fetcher):
 * the same tool run again, detached, so that PostgreSQL's call can return while the worker goes on.
 */
public final class BackgroundProcess {
    private static final Path SETSID = Path.of("/usr/bin/setsid");
    /**
     * A worker's JVM: the full JIT, but each method compiled only after five times the usual number of
     * calls. The compilers were a quarter of a fresh uploader's CPU over 120 segments, mostly compiling
     * request code that runs a few hundred times; the loops that matter (the MD5, the copies) still
     * reach C2 within the first segment. On a host whose two cores also serve the store, that CPU is
     * the archive rate (docs/benchmarks.md, finding 25).
     */
    static final String WORKER_JVM_FLAGS = "-Xmx512m -XX:CompileThresholdScaling=5";
    /** The launcher's variable for a tool's JVM flags (bin/launcher.sh). */
    static final String JVM_FLAGS_VARIABLE = "CUMULUS_JVM_FLAGS";

    private BackgroundProcess() {
    }

    /**
     * The command that runs {@code mainClass}'s tool again: through its launcher when it was started
     * by one (same JVM flags and CDS archive), else through this JVM's java and class path.
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

    /**
     * Starts {@code command} in its own session (so that the signals PostgreSQL sends to its archiver
     * or startup process do not reach it), with no input and its output appended to {@code log}. A
     * worker lives for many files, so it gets the JIT's optimising compiler and a larger heap
     * instead of the short-call flags (unless the user set {@code CUMULUS_JVM_FLAGS} themselves).
     */
    public static void startDetached(List<String> command, Path log) throws IOException {
        List<String> full = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            full.add(SETSID.toString());
        }
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full);
        useWorkerFlags(builder.environment());
        builder
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true)
                .start();
    }

    /**
     * Gives {@code environment} the worker's JVM flags unless it names others: an empty
     * {@code CUMULUS_JVM_FLAGS} is no choice, and the launcher would read it as the one-shot flags.
     */
    static void useWorkerFlags(Map<String, String> environment) {
        environment.merge(JVM_FLAGS_VARIABLE, WORKER_JVM_FLAGS, (set, worker) -> set.isBlank() ? worker : set);
    }
}
