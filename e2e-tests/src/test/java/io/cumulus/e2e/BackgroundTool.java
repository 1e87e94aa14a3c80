package io.cumulus.e2e;

import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A packaged Cumulus tool running in the background, so a test can act while it works (stop the
 * load, kill it, drop its session) and then look at how it ended. Output goes to files.
 */
final class BackgroundTool implements AutoCloseable {

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<String> command;

    private BackgroundTool(Process process, Path stdout, Path stderr, List<String> command) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
    }

    /** Starts {@code tool} with {@code args} and extra environment, as this JVM's user. */
    static BackgroundTool start(String tool, List<String> args, Map<String, String> env) {
        List<String> command = new ArrayList<>();
        command.add(Tools.path(tool).toString());
        command.addAll(args);
        try {
            Path out = Files.createTempFile("cumulus-bg-", ".out");
            Path err = Files.createTempFile("cumulus-bg-", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(env);
            return new BackgroundTool(builder.start(), out, err, command);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + tool, e);
        }
    }

    /** The JVM's process id (the launcher execs java). */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the tool's standard error satisfies {@code condition}; fails if it exits first or after the timeout. */
    void awaitStderr(Predicate<String> condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(stderr())) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the tool exited before " + what + "\n" + describe());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what + "\n" + describe());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** Waits for the tool to exit and returns its exit code. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeout + "\n" + describe());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** SIGTERM, as systemd or a shutdown sends. */
    void terminate() {
        process.destroy();
    }

    /** SIGKILL, as the OOM killer or a crash would end it. */
    void kill() {
        process.destroyForcibly();
    }

    /** Sends signal {@code name} (STOP, CONT, ...) to process {@code pid} with kill(1): this tool's, or a server's. */
    static void signal(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    String describe() {
        return "command: " + String.join(" ", command) + "\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n"
                + stderr();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        } catch (IOException ignored) {
            // temp files only
        }
    }
}
