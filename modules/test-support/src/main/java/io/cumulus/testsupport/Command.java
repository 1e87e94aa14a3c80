package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One external command to run to completion: arguments, extra environment, optionally as the
 * PostgreSQL OS user, with a timeout. Output goes to temporary files rather than pipes, so a
 * command that leaves a daemon behind (pg_ctl start) cannot make the runner wait for the daemon.
 */
public final class Command {

    /** How long a command may run unless {@link #timeout(Duration)} says otherwise. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private final List<String> command = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private boolean asPostgres;
    private Path directory;
    private Duration timeout = DEFAULT_TIMEOUT;

    private Command(String executable) {
        command.add(executable);
    }

    public static Command of(String executable, String... args) {
        return new Command(executable).args(args);
    }

    public static Command of(Path executable, String... args) {
        return of(executable.toString(), args);
    }

    public Command args(String... args) {
        return args(Arrays.asList(args));
    }

    public Command args(List<String> args) {
        command.addAll(args);
        return this;
    }

    /** Adds (or replaces) one variable on top of this JVM's environment. */
    public Command env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public Command env(Map<String, String> variables) {
        env.putAll(variables);
        return this;
    }

    /** Runs the command as {@link PostgresUser}, keeping the environment. */
    public Command asPostgres() {
        asPostgres = true;
        return this;
    }

    public Command directory(Path workingDirectory) {
        directory = workingDirectory;
        return this;
    }

    public Command timeout(Duration limit) {
        timeout = limit;
        return this;
    }

    /** The command line without the user switch, as a result will name it. */
    public List<String> commandLine() {
        return List.copyOf(command);
    }

    /**
     * The command as one POSIX shell line, environment first ({@code K='v' '/bin/tool' 'arg'}), for
     * archive_command and restore_command. PostgreSQL's placeholders are appended by the caller,
     * unquoted, after a space.
     */
    public String toShellLine() {
        List<String> words = new ArrayList<>();
        env.forEach((name, value) -> words.add(name + "=" + shellQuote(value)));
        command.forEach(word -> words.add(shellQuote(word)));
        return String.join(" ", words);
    }

    /** Quotes one word for a POSIX shell. */
    public static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /**
     * Runs the command to completion. Exceeding the timeout kills the process tree and fails with
     * whatever it had written so far.
     */
    public ToolResult run() {
        List<String> line = asPostgres ? PostgresUser.wrap(command) : command;
        ProcessBuilder builder = new ProcessBuilder(line);
        builder.environment().putAll(env);
        if (directory != null) {
            builder.directory(directory.toFile());
        } else if (asPostgres) {
            // runuser keeps the working directory, which the PostgreSQL user may not be able to enter
            builder.directory(Path.of(System.getProperty("java.io.tmpdir")).toFile());
        }
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("cumulus-cmd-", ".out");
            err = Files.createTempFile("cumulus-cmd-", ".err");
            builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.redirectOutput(out.toFile());
            builder.redirectError(err.toFile());
            long started = System.nanoTime();
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
            ToolResult result = new ToolResult(command, finished ? process.exitValue() : -1,
                    read(out), read(err),
                    elapsed);
            if (!finished) {
                throw new IllegalStateException("timed out after " + timeout + ", killed\n" + result.describe());
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Runs the command and fails, with its output, unless it exits 0. */
    public ToolResult runSuccessfully() {
        ToolResult result = run();
        if (!result.succeeded()) {
            throw new IllegalStateException("command failed\n" + result.describe());
        }
        return result;
    }

    /** Decodes leniently: a tool that writes bad bytes must still leave a readable result. */
    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover temp file is not worth failing a test for
            }
        }
    }
}
