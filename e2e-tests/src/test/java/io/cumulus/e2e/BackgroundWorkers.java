package io.cumulus.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The detached processes the WAL tools leave running (the {@code --async} uploader, the
 * {@code --prefetch} worker), found through {@code /proc} by their role flag and the spool directory
 * on their command line, so a test can kill the one it wants, by PID, and clean up after itself
 * without touching anyone else's.
 */
final class BackgroundWorkers {

    /** The role flag of {@code cumulus-wal-archive --async}'s uploader. */
    static final String UPLOADER = "--async-uploader";
    /** The role flag of {@code cumulus-wal-restore --prefetch}'s worker. */
    static final String PREFETCHER = "--prefetch-worker";

    private static final Path PROC = Path.of("/proc");
    private static final Duration POLL = Duration.ofMillis(20);

    private BackgroundWorkers() {
    }

    /** One running worker: its PID and command line. */
    record Worker(long pid, List<String> commandLine) {

        /** Whether this is the worker's JVM rather than the launcher's shell (or one of its subshells) about to exec it. */
        boolean isJvm() {
            try {
                return Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("exe")).getFileName().toString()
                        .startsWith("java");
            } catch (IOException gone) {
                return false;
            }
        }

        /** The value of an {@code --name=value} argument, if given so. */
        Optional<String> option(String name) {
            return commandLine.stream().filter(arg -> arg.startsWith(name + "=")).map(arg -> arg.substring(name.length() + 1))
                    .findFirst();
        }

        /** Whether the process has {@code file} open (e.g. the lock file it holds). */
        boolean hasOpen(Path file) {
            Path target = file.toAbsolutePath().normalize();
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(Long.toString(pid)).resolve("fd"))) {
                for (Path fd : fds) {
                    try {
                        if (Files.readSymbolicLink(fd).equals(target)) {
                            return true;
                        }
                    } catch (IOException closedMeanwhile) {
                        // the descriptor was closed while we looked
                    }
                }
            } catch (IOException gone) {
                return false;
            }
            return false;
        }

        /** SIGKILL, then waits until the process is gone. */
        void kill() {
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isEmpty()) {
                return;
            }
            handle.get().destroyForcibly();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (running(pid) && System.nanoTime() < deadline) {
                sleep(POLL);
            }
            if (running(pid)) {
                throw new IllegalStateException("process " + pid + " survived SIGKILL: " + commandLine);
            }
        }
    }

    /**
     * The live processes whose command line holds {@code role} and an argument naming
     * {@code spoolDir} ({@code --spool-dir DIR} or {@code --spool-dir=DIR}).
     */
    static List<Worker> find(String role, Path spoolDir) {
        String spool = spoolDir.toAbsolutePath().normalize().toString();
        List<Worker> workers = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path process : processes) {
                List<String> args = commandLine(process);
                if (args.contains(role) && args.stream().anyMatch(arg -> arg.equals(spool)
                        || arg.equals("--spool-dir=" + spool))) {
                    workers.add(new Worker(Long.parseLong(process.getFileName().toString()), args));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + PROC, e);
        }
        return workers;
    }

    /**
     * {@link #find}, but only the workers' JVMs: the launcher is a shell script, whose process (and
     * the subshells of its command substitutions) carry the same command line until it execs java.
     */
    static List<Worker> findJvms(String role, Path spoolDir) {
        return find(role, spoolDir).stream().filter(Worker::isJvm).toList();
    }

    /** Waits until a worker JVM of {@code role} for {@code spoolDir} runs and returns it; empty after {@code timeout}. */
    static Optional<Worker> awaitOne(String role, Path spoolDir, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Worker> found = findJvms(role, spoolDir);
            if (!found.isEmpty()) {
                return Optional.of(found.get(0));
            }
            if (System.nanoTime() > deadline) {
                return Optional.empty();
            }
            sleep(POLL);
        }
    }

    /** Waits until no worker of {@code role} for {@code spoolDir} runs; false if some still do after {@code timeout}. */
    static boolean awaitNone(String role, Path spoolDir, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!find(role, spoolDir).isEmpty()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(POLL);
        }
        return true;
    }

    /** Kills every worker of {@code role} for {@code spoolDir}: cleanup after a test, also a failed one. */
    static void killAll(String role, Path spoolDir) {
        if (spoolDir == null) {
            return;
        }
        for (Worker worker : find(role, spoolDir)) {
            worker.kill();
        }
    }

    /** Whether the process exists and is not a zombie waiting for its parent to reap it. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            // "pid (comm) S ...": the state follows the last ')'
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** The arguments of a process; empty when it is gone or is a kernel thread. */
    private static List<String> commandLine(Path process) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(process.resolve("cmdline"));
        } catch (IOException | SecurityException gone) {
            return List.of();
        }
        if (raw.length == 0) {
            return List.of();
        }
        String text = new String(raw, StandardCharsets.UTF_8);
        if (text.endsWith("\0")) {
            text = text.substring(0, text.length() - 1);
        }
        return Arrays.asList(text.split("\0", -1));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
