package io.cumulus.cli.walrestore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ExitCodes;
import io.cumulus.core.wal.ArchiveSpool;
import io.cumulus.core.wal.RestoreSpool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cumulus-wal-restore launcher. Its fast path: a segment the prefetch worker has spooled is served
 * without starting Java (CUMULUS_JAVA=/bin/false makes every call that misses the fast path fail, so an
 * exit 0 proves the launcher answered by itself). Its exit codes: a JVM that fails before the tool runs
 * must not answer "not in the archive".
 */
class WalRestoreLauncherTest {
    private static final String WAL = "000000010000000000000007";

    @TempDir
    Path dir;

    private Process launch(List<String> args) throws Exception {
        return launch(args, Map.of());
    }

    /**
     * The launcher, in the test's working directory (no pg_control there), with none of the spool key's
     * environment variables but {@code storeVariables}.
     */
    private Process launch(List<String> args, Map<String, String> storeVariables) throws Exception {
        return launchIn(Path.of("").toAbsolutePath(), args, storeVariables);
    }

    /** The launcher as PostgreSQL runs it, in {@code dataDir}, with {@code env} added to its environment. */
    private Process launchIn(Path dataDir, List<String> args, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", Path.of("src/main/bin/cumulus-wal-restore").toAbsolutePath().toString()));
        command.addAll(args);
        ProcessBuilder launcher = new ProcessBuilder(command).directory(dataDir.toFile()).redirectErrorStream(true);
        launcher.environment().keySet().removeAll(RestoreSpool.KEY_VARIABLES);
        launcher.environment().putAll(env);
        launcher.environment().put("CUMULUS_JAVA", "/bin/false");
        return launcher.start();
    }

    /** The key the launcher computes for {@code options} in the test's working directory, without store variables. */
    private static String keyHere(List<String> options) {
        return keyHere(options, Map.of());
    }

    private static String keyHere(List<String> options, Map<String, String> storeVariables) {
        Map<String, String> environment = new java.util.HashMap<>(storeVariables);
        environment.put(RestoreSpool.SCOPE, RestoreSpool.scopeOf(Path.of("")));
        return RestoreSpool.keyOf(options, environment);
    }

    private static int exit(Process process) throws Exception {
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    /**
     * Runs the launcher, laid out with build-support/launcher.sh as the tool's directory has it, for a WAL of
     * a file:// store, in {@code dataDir} and on {@code java}; returns its exit code and output.
     */
    private Call restore(Path java, Path dataDir) throws Exception {
        return restoreWith(tool(), java, dataDir);
    }

    /** The tool's directory as packaging lays it out, with build-support/launcher.sh. */
    private Path tool() throws Exception {
        Path tool = dir.resolve("cli-restore");
        if (!Files.exists(tool)) {
            Files.createDirectories(tool.resolve("bin"));
            Files.copy(Path.of("src/main/bin/cumulus-wal-restore"), tool.resolve("bin/cumulus-wal-restore"));
            Files.copy(Path.of("../build-support/launcher.sh"), tool.resolve("bin/launcher.sh"));
            Files.writeString(tool.resolve("cli-restore.jar"), "");
        }
        return tool;
    }

    /** As {@link #restore}, with {@code launcherSh} as the tool's bin/launcher.sh. */
    private Call restore(Path java, Path dataDir, String launcherSh) throws Exception {
        Path tool = Files.createTempDirectory(dir, "cli-restore");
        Files.createDirectories(tool.resolve("bin"));
        Files.copy(Path.of("src/main/bin/cumulus-wal-restore"), tool.resolve("bin/cumulus-wal-restore"));
        Files.writeString(tool.resolve("bin/launcher.sh"), launcherSh);
        Files.writeString(tool.resolve("cli-restore.jar"), "");
        return restoreWith(tool, java, dataDir);
    }

    private Call restoreWith(Path tool, Path java, Path dataDir) throws Exception {
        return restoreWith(tool, java, dataDir, Map.of());
    }

    /** With {@code env} set in the launcher's environment; an empty value removes the variable. */
    private Call restoreWith(Path tool, Path java, Path dataDir, Map<String, String> env) throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        return restoreIn(tool, java, dataDir, List.of(store.toUri().toString(), "main", WAL, "pg_wal/RECOVERYXLOG"), env);
    }

    /** The tool laid out in {@code tool}, on {@code java}, run with {@code args} in {@code dataDir}; {@code env} as above. */
    private Call restoreIn(Path tool, Path java, Path dataDir, List<String> args, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", tool.resolve("bin/cumulus-wal-restore").toString()));
        command.addAll(args);
        ProcessBuilder launcher = new ProcessBuilder(command).directory(dataDir.toFile()).redirectErrorStream(true);
        launcher.environment().put("CUMULUS_JAVA", java.toString());
        launcher.environment().remove(WalRestoreCommand.LAUNCHER_MAPS_EXIT);
        launcher.environment().remove("CUMULUS_JAVA_OPTS");
        launcher.environment().remove("CUMULUS_JVM_FLAGS");
        launcher.environment().remove(WalRestoreCommand.RECOVERY_MODE);
        launcher.environment().keySet().removeAll(RestoreSpool.KEY_VARIABLES);
        env.forEach((name, value) -> {
            if (value.isEmpty()) {
                launcher.environment().remove(name);
            } else {
                launcher.environment().put(name, value);
            }
        });
        Process process = launcher.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Call(process.waitFor(), output);
    }

    private record Call(int exit, String output) {
    }

    /** A new data directory holding {@code signals}: in archive recovery with recovery.signal alone. */
    private Path dataDir(String... signals) throws Exception {
        Path data = Files.createTempDirectory(dir, "data");
        Files.createDirectories(data.resolve("pg_wal"));
        for (String signal : signals) {
            Files.writeString(data.resolve(signal), "");
        }
        return data;
    }

    /** A "java" that runs {@code body}: a JVM that fails before the tool starts exits 1. */
    private Path java(String name, String body) throws Exception {
        Path java = dir.resolve(name);
        Files.writeString(java, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }

    @Test
    void aJvmThatFailsBeforeTheToolRunsStopsArchiveRecovery() throws Exception {
        Path data = dataDir("recovery.signal");
        Call failed = restore(java("java-1", "echo 'Error: Could not create the Java Virtual Machine.' >&2; exit 1"), data);
        assertEquals(ExitCodes.ABORT_RECOVERY, failed.exit(), failed.output());
        assertTrue(failed.output().contains("cumulus-wal-restore: Java failed before the tool started (exit 1);"
                + " check CUMULUS_JAVA, CUMULUS_JAVA_OPTS and the installation; stopping recovery"), failed.output());
        Call missing = restore(dir.resolve("no-such-java"), data);
        assertEquals(ExitCodes.ABORT_RECOVERY, missing.exit(), missing.output());
        assertTrue(missing.output().contains("cumulus-wal-restore: no Java runtime: CUMULUS_JAVA (" + dir.resolve("no-such-java")
                + ") is not an executable file; point CUMULUS_JAVA at a Java runtime's bin/java"), missing.output());
    }

    @Test
    void noJavaRuntimeStopsArchiveRecoveryAndIsAnErrorOtherwiseNamingJavaHomeAndPath() throws Exception {
        // it was exec's "java: not found" (127), then "Java failed before the tool started (exit 127); check
        // CUMULUS_JAVA, CUMULUS_JAVA_OPTS and the installation", which names neither
        Path bin = Files.createDirectories(dir.resolve("no-java-bin"));
        Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/usr/bin/readlink"));
        Path tool = tool();
        String line = "cumulus-wal-restore: no Java runtime: JAVA_HOME (/nowhere) has no bin/java and PATH (" + bin
                + ") has no java; set JAVA_HOME or CUMULUS_JAVA in PostgreSQL's environment (the server's systemd unit,"
                + " or pg_ctlcluster's /etc/postgresql/VERSION/CLUSTER/environment)";
        Map<String, String> env = Map.of("CUMULUS_JAVA", "", "JAVA_HOME", "/nowhere", "PATH", bin.toString());
        Call recovery = restoreWith(tool, dir.resolve("unused"), dataDir("recovery.signal"), env);
        assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), recovery.output());
        assertEquals(line + "; stopping recovery (exit code 128) rather than let PostgreSQL take this for the end of the archive\n",
                recovery.output());
        for (String[] signals : List.of(new String[0], new String[] {"standby.signal"})) {
            Call call = restoreWith(tool, dir.resolve("unused"), dataDir(signals), env);
            assertEquals(ExitCodes.ERROR, call.exit(), call.output());
            assertEquals(line + "\n", call.output());
        }
    }

    @Test
    void aJvmThatFailsBeforeTheToolRunsIsAnErrorOutsideArchiveRecovery() throws Exception {
        Path java = java("java-1", "exit 1");
        for (String[] signals : List.of(new String[0], new String[] {"standby.signal"},
                new String[] {"recovery.signal", "standby.signal"})) {
            Call call = restore(java, dataDir(signals));
            assertEquals(ExitCodes.ERROR, call.exit(), List.of(signals) + ": " + call.output());
            assertTrue(call.output().contains("Java failed before the tool started (exit 1)"), call.output());
            assertFalse(call.output().contains("stopping recovery"), call.output());
        }
    }

    /**
     * A JVM that crashed (SIGSEGV or SIGBUS, then abort: 134; an installation copied over its mapped cache) is a
     * failure of Java: PostgreSQL takes any status above 125 for fatal, so a standby would shut down over it.
     */
    @Test
    void aJvmThatCrashedIsAnErrorOnAStandbyAndStopsArchiveRecovery() throws Exception {
        Path java = java("java-crash", "kill -ABRT $$");
        Call standby = restore(java, dataDir("standby.signal"));
        assertEquals(ExitCodes.ERROR, standby.exit(), standby.output());
        assertTrue(standby.output().contains("cumulus-wal-restore: Java died of signal 6 (exit 134): a crash"),
                standby.output());
        assertFalse(standby.output().contains("stopping recovery"), standby.output());
        Call recovery = restore(java, dataDir("recovery.signal"));
        assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), recovery.output());
        assertTrue(recovery.output().contains("stopping recovery"), recovery.output());
    }

    /**
     * The --prefetch worker is started through the launcher too, its output into prefetcher.log: its death
     * (the OOM killer's SIGKILL) stops no recovery, and the line says what happens instead.
     */
    @Test
    void aPrefetchWorkerThatDiedSaysRecoveryGoesOnNotThatItStops() throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        List<String> worker = List.of("--prefetch-worker", "--segment-size=16777216", "--spool-key=0123456789abcdef",
                "--prefetch", "8", "--spool-dir", dir.resolve("spool").toString(), store.toUri().toString(), "main", WAL,
                "pg_wal/RECOVERYXLOG");
        Path data = dataDir("recovery.signal");
        Call killed = restoreIn(tool(), java("java-kill", "kill -KILL $$"), data, worker, Map.of());
        // after the shell's own "Killed"
        assertTrue(killed.output().endsWith("\ncumulus-wal-restore: prefetch worker: Java died of signal 9 (exit 137):"
                + " a crash (an hs_err_pid*.log in the data directory says why; a Cumulus installation copied over while"
                + " the tool ran is one cause, docs/installing.md#upgrading) or a kill; recovery goes on without it,"
                + " and the next restore_command call starts another worker\n"), killed.output());
        assertFalse(killed.output().contains("stopping recovery"), killed.output());
        Call failed = restoreIn(tool(), java("java-1", "exit 1"), data, worker, Map.of());
        assertEquals("cumulus-wal-restore: prefetch worker: Java failed before the tool started (exit 1); check"
                + " CUMULUS_JAVA, CUMULUS_JAVA_OPTS and the installation; recovery goes on without it, and the next"
                + " restore_command call starts another worker\n", failed.output());
        // PostgreSQL's own call in the same recovery still stops it
        Call call = restore(java("java-kill", "kill -KILL $$"), data);
        assertEquals(ExitCodes.ABORT_RECOVERY, call.exit(), call.output());
        assertTrue(call.output().endsWith("or a kill; stopping recovery (exit code 128) rather than let PostgreSQL take"
                + " this for the end of the archive\n"), call.output());
    }

    /** A JVM stopped by SIGTERM (PostgreSQL shutting down) keeps its status: PostgreSQL then shuts down too. */
    @Test
    void aJvmStoppedBySigtermKeepsItsStatus() throws Exception {
        Call call = restore(java("java-term", "kill -TERM $$"), dataDir("standby.signal"));
        assertEquals(143, call.exit(), call.output());
    }

    @Test
    void aJvmOutOfMemoryUnderExitOnOutOfMemoryErrorIsNoAnswerOfTheTool() throws Exception {
        // Java's own exit code under -XX:+ExitOnOutOfMemoryError is 3, the tool's "invalid input"
        Path java = java("java-oom", "echo 'Terminating due to java.lang.OutOfMemoryError: Java heap space' >&2; exit 3");
        Call recovery = restore(java, dataDir("recovery.signal"));
        assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), recovery.output());
        assertTrue(recovery.output().contains("Java ran out of memory (exit 3, -XX:+ExitOnOutOfMemoryError);"
                + " give it more with -Xmx in CUMULUS_JAVA_OPTS; stopping recovery"), recovery.output());
        assertEquals(ExitCodes.ERROR, restore(java, dataDir("standby.signal")).exit());
    }

    @Test
    void theLauncherTellsTheToolWhichRecoveryRuns() throws Exception {
        // the one reading of the signal files the tool's 128 and its retry on a standby both follow
        Path java = java("java-mode", "echo \"mode=$" + WalRestoreCommand.RECOVERY_MODE + "\"; exit 1");
        for (Map.Entry<List<String>, String> expected : Map.of(List.<String>of(), "none", List.of("standby.signal"),
                "standby", List.of("recovery.signal"), "archive", List.of("recovery.signal", "standby.signal"),
                "standby").entrySet()) {
            Call call = restore(java, dataDir(expected.getKey().toArray(String[]::new)));
            assertTrue(call.output().contains("mode=" + expected.getValue() + "\n"), expected + ": " + call.output());
        }
    }

    @Test
    void theToolsNotInTheArchiveIsExit1() throws Exception {
        Path java = java("java-not-found", "[ -n \"$CUMULUS_LAUNCHER_MAPS_EXIT\" ] && exit " + ExitCodes.NOT_FOUND_FOR_LAUNCHER + "; exit 77");
        assertEquals(ExitCodes.FAILED, restore(java, dataDir("recovery.signal")).exit());
        assertEquals(ExitCodes.FAILED, restore(java, dataDir()).exit());
    }

    @Test
    void theToolsPrivateCodesAreMappedBackAndSigtermPassesThrough() throws Exception {
        for (String[] signals : List.of(new String[0], new String[] {"recovery.signal"})) {
            Path data = dataDir(signals);
            for (int code : List.of(0, 1, 2, 3, 4, 128)) {
                Call call = restore(java("java-" + code, "[ -n \"$CUMULUS_LAUNCHER_MAPS_EXIT\" ] && exit "
                        + ExitCodes.forLauncher(code) + "; exit 77"), data);
                assertEquals(code, call.exit(), call.output());
                assertEquals("", call.output());
            }
            Call stopped = restore(java("java-stopped", "kill -TERM $$"), data);
            assertEquals(128 + 15, stopped.exit(), stopped.output());
            // killed otherwise (the OOM killer): a failure of Java, which a standby retries (4), not fatal
            Call killed = restore(java("java-killed", "kill -KILL $$"), data);
            assertEquals(signals.length == 0 ? ExitCodes.ERROR : ExitCodes.ABORT_RECOVERY, killed.exit(), killed.output());
        }
    }

    @Test
    void aBareExitCodeIsNoAnswerOfTheTool() throws Exception {
        // what a launcher.sh that returns without starting Java (0), that a shell cannot parse (2), or a
        // java other than the tool would answer: never the file restored, never the end of the archive
        for (int code : List.of(0, 2, 4, 128)) {
            Path java = java("java-bare-" + code, "exit " + code);
            Call recovery = restore(java, dataDir("recovery.signal"));
            assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), code + ": " + recovery.output());
            assertTrue(recovery.output().contains("Java failed before the tool started (exit " + code + ")"), recovery.output());
            Call standby = restore(java, dataDir("standby.signal"));
            assertEquals(ExitCodes.ERROR, standby.exit(), code + ": " + standby.output());
        }
    }

    @Test
    void aLauncherShEmptiedOrCutShortStopsArchiveRecoveryAndIsAnErrorOtherwise() throws Exception {
        Path java = java("java-ok", "[ -n \"$CUMULUS_LAUNCHER_MAPS_EXIT\" ] && exit " + ExitCodes.OK_FOR_LAUNCHER + "; exit 77");
        String whole = Files.readString(Path.of("../build-support/launcher.sh"));
        assertEquals(ExitCodes.OK, restore(java, dataDir("recovery.signal"), whole).exit(), "the whole launcher.sh works");
        String inTheMiddleOfAnIf = whole.substring(0, whole.indexOf("if [ -n \"${CUMULUS_JAVA:-}\" ]; then") + 40);
        String atALineEnd = whole.substring(0, whole.indexOf("cumulus_jit=") - 1);
        for (String broken : List.of("", inTheMiddleOfAnIf, atALineEnd, "exit 0\n", "exit 2\n", "(\n")) {
            Call recovery = restore(java, dataDir("recovery.signal"), broken);
            assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), broken.length() + " bytes: " + recovery.output());
            assertTrue(recovery.output().contains("stopping recovery (exit code 128)"), recovery.output());
            Call standby = restore(java, dataDir("standby.signal"), broken);
            assertEquals(ExitCodes.ERROR, standby.exit(), broken.length() + " bytes: " + standby.output());
        }
        Call empty = restore(java, dataDir(), "");
        assertTrue(empty.output().contains("/bin/launcher.sh did not start Java; check the installation"), empty.output());
    }

    @Test
    void theRealToolAnswersNotInTheArchiveWith1ThroughTheLauncherAndRunDirectly() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        // the launcher's arguments up to the tool's class are its JVM's; the test's class path replaces its jar
        Path java = java("java-real", "while [ \"$1\" != " + WalRestoreCommand.class.getName() + " ]; do shift; done\n"
                + "exec '" + javaBin + "' -Xshare:auto -XX:TieredStopAtLevel=1 -cp '" + classPath + "' \"$@\"");
        Path data = dataDir("recovery.signal");
        Call launched = restore(java, data);
        assertEquals(ExitCodes.FAILED, launched.exit(), launched.output());
        assertFalse(launched.output().contains("Java failed"), launched.output());

        ProcessBuilder direct = new ProcessBuilder(javaBin, "-XX:TieredStopAtLevel=1", "-cp", classPath,
                WalRestoreCommand.class.getName(), Files.createDirectories(dir.resolve("store")).toUri().toString(),
                "main", WAL, "pg_wal/RECOVERYXLOG").directory(data.toFile()).redirectErrorStream(true);
        direct.environment().remove(WalRestoreCommand.LAUNCHER_MAPS_EXIT);
        assertEquals(ExitCodes.FAILED, exit(direct.start()), "without the launcher, 1 as barman-cloud's");
    }

    /** A "java" that runs the real tool, on the test's runtime and class path, with the launcher's arguments for it. */
    private Path realJava() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        return java("java-real", "while [ \"$1\" != " + WalRestoreCommand.class.getName() + " ]; do shift; done\n"
                + "exec '" + javaBin + "' -Xshare:auto -XX:TieredStopAtLevel=1 -cp '" + classPath + "' \"$@\"");
    }

    private void archiveSegment() throws Exception {
        Path segment = dir.resolve("store/main/wals/0000000100000000/" + WAL);
        Files.createDirectories(segment.getParent());
        Files.write(segment, new byte[1 << 20]);
    }

    @Test
    void theRealToolAnswersRestoredWith0ThroughTheLauncher() throws Exception {
        archiveSegment();
        Path data = dataDir("recovery.signal");
        Call launched = restore(realJava(), data);
        assertEquals(ExitCodes.OK, launched.exit(), launched.output());
        assertEquals(1 << 20, Files.size(data.resolve("pg_wal/RECOVERYXLOG")));
    }

    /**
     * A restore_command the tool refuses as it stands (an option it does not take, an ambiguous prefix: barman
     * 3.4's {@code --re}) can never restore a file: its exit 3 made PostgreSQL end archive recovery at what
     * pg_wal held and promote. It stops recovery; on a standby and by hand it stays invalid input.
     */
    @Test
    void aRestoreCommandTheToolRefusesStopsArchiveRecovery() throws Exception {
        archiveSegment();
        List<String> args = List.of("--re", "30", dir.resolve("store").toUri().toString(), "main", WAL,
                "pg_wal/RECOVERYXLOG");
        Call recovery = restoreIn(tool(), realJava(), dataDir("recovery.signal"), args, Map.of());
        assertEquals(ExitCodes.ABORT_RECOVERY, recovery.exit(), recovery.output());
        assertTrue(recovery.output().contains("ambiguous option"), recovery.output());
        assertTrue(recovery.output().contains("stopping recovery (exit code 128)"), recovery.output());
        for (String[] signals : List.of(new String[0], new String[] {"standby.signal"})) {
            Call call = restoreIn(tool(), realJava(), dataDir(signals), args, Map.of());
            assertEquals(ExitCodes.INVALID_INPUT, call.exit(), List.of(signals) + ": " + call.output());
            assertFalse(call.output().contains("stopping recovery"), call.output());
        }
    }

    @Test
    void sigquitToItsProcessGroupEndsTheJvmWithoutAThreadDump() throws Exception {
        // pg_ctl stop -m immediate: SIGQUIT to the startup process's group, restore_command's shell and JVM
        // included. The JVM printed a thread dump into the server's log and went on fetching.
        // A process Java starts has SIGQUIT blocked (the JVM's threads block it): python3 unblocks it, as
        // PostgreSQL's startup process has it, and makes the call a process group of its own.
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path pidFile = dir.resolve("jvm.pid");
        // the real tool, with every JVM flag of the launcher, its jar replaced by the test's class path
        Path flagsJava = java("java-flags", "echo $$ > '" + pidFile + "'\nfirst=1 prev=\nfor a in \"$@\"; do\n"
                + "  [ -z \"$first\" ] || set --; first=\n"
                + "  if [ \"$prev\" = -cp ]; then set -- \"$@\" '" + System.getProperty("java.class.path") + "'; else set -- \"$@\" \"$a\"; fi\n"
                + "  prev=$a\ndone\nexec '" + javaBin + "' \"$@\"");
        restore(java("java-unused", "exit 1"), dataDir()); // lays the tool out
        Path data = dataDir("recovery.signal");
        ProcessBuilder builder = new ProcessBuilder("/usr/bin/python3", "-c", "import os, signal, sys\n"
                + "signal.pthread_sigmask(signal.SIG_SETMASK, [])\nos.setsid()\nos.execvp('sh', sys.argv[1:])", "sh", dir.resolve("cli-restore/bin/cumulus-wal-restore").toString(),
                "--endpoint-url", "http://127.0.0.1:1", "--retry-timeout", "60", "s3://bucket/p", "main", WAL, "pg_wal/RECOVERYXLOG")
                .directory(data.toFile()).redirectErrorStream(true);
        builder.environment().put("CUMULUS_JAVA", flagsJava.toString());
        builder.environment().put("AWS_ACCESS_KEY_ID", "test");
        builder.environment().put("AWS_SECRET_ACCESS_KEY", "test");
        builder.environment().put("AWS_REGION", "us-east-1");
        builder.environment().remove("CUMULUS_JAVA_OPTS");
        builder.environment().remove("CUMULUS_JVM_FLAGS");
        Process group = builder.start();
        StringBuffer output = new StringBuffer();
        Thread reader = new Thread(() -> {
            try {
                output.append(new String(group.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                output.append(e);
            }
        });
        reader.start();
        ProcessHandle jvm = null;
        try {
            long deadline = System.currentTimeMillis() + 30_000;
            while (jvm == null && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                if (Files.exists(pidFile) && !Files.readString(pidFile).isBlank()) {
                    jvm = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).orElse(null);
                }
            }
            assertTrue(jvm != null, "the JVM started");
            Thread.sleep(3000); // up and retrying the store
            assertTrue(jvm.isAlive());
            new ProcessBuilder("kill", "-QUIT", "--", "-" + group.pid()).inheritIO().start().waitFor();
            jvm.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            reader.join(10_000);
            assertFalse(output.toString().contains("Full thread dump"), output.toString());
            assertFalse(Files.exists(data.resolve("pg_wal/RECOVERYXLOG")));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the JVM outlived SIGQUIT: " + output, e);
        } finally {
            if (jvm != null) {
                jvm.destroyForcibly();
            }
            group.destroyForcibly();
        }
    }

    @Test
    void aNonAsciiDataDirectoryUnderTheCLocaleIsRead() throws Exception {
        // the postmaster's environment when LANG is unset: Java decoded the path as ASCII, 'donn??es', and
        // failed every call with exit 4, which made recovery promote
        Assumptions.assumeTrue("UTF-8".equals(System.getProperty("sun.jnu.encoding")), "the test names a file données");
        archiveSegment();
        Path data = Files.createDirectories(dir.resolve("données/pg_wal")).getParent();
        Files.writeString(data.resolve("recovery.signal"), "");
        restore(java("java-unused", "exit 1"), dataDir()); // lays the tool out
        for (Map<String, String> locale : List.of(Map.of("LC_ALL", "", "LC_CTYPE", "", "LANG", ""),
                Map.of("LC_ALL", "C", "LC_CTYPE", "", "LANG", "en_US.UTF-8"), Map.of("LC_ALL", "", "LC_CTYPE", "POSIX", "LANG", ""))) {
            Files.deleteIfExists(data.resolve("pg_wal/RECOVERYXLOG"));
            Call call = restoreWith(dir.resolve("cli-restore"), realJava(), data, locale);
            assertEquals(ExitCodes.OK, call.exit(), locale + ": " + call.output());
            assertEquals(1 << 20, Files.size(data.resolve("pg_wal/RECOVERYXLOG")));
        }
        // a UTF-8 locale this host does not have leaves Java with ASCII: the tool says so, and in archive
        // recovery, which the launcher read, stops it
        Call missing = restoreWith(dir.resolve("cli-restore"), realJava(), data,
                Map.of("LC_ALL", "", "LC_CTYPE", "xx_YY.UTF-8", "LANG", ""));
        assertEquals(ExitCodes.ABORT_RECOVERY, missing.exit(), missing.output());
        assertTrue(missing.output().contains("the working directory's path cannot be read in this locale"), missing.output());
        Files.writeString(data.resolve("standby.signal"), "");
        Call standby = restoreWith(dir.resolve("cli-restore"), realJava(), data,
                Map.of("LC_ALL", "", "LC_CTYPE", "xx_YY.UTF-8", "LANG", ""));
        assertEquals(ExitCodes.ERROR, standby.exit(), standby.output());
    }

    @Test
    void aSpooledSegmentOfItsOwnOptionsIsLinkedIntoPlaceWithoutJava() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, keyHere(options)).open();
        byte[] content = "segment content".getBytes();
        Files.write(spool.pathOf(WAL), content);
        Files.write(dest, "an older file in the way".getBytes());

        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        assertEquals(0, exit(launch(args)));
        assertArrayEquals(content, Files.readAllBytes(dest));
        assertFalse(spool.contains(WAL), "a served segment leaves the spool");

        // served already: the next call for it misses and goes to Java
        assertTrue(exit(launch(args)) != 0);
    }

    @Test
    void aSegmentTheWorkerIsFetchingIsAwaitedInsteadOfFetchedAgain() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, keyHere(options)).open();
        spool.markFetching(WAL);
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        Process call = launch(args);
        Thread.sleep(500);
        assertTrue(call.isAlive(), "the launcher waits while the worker fetches");
        Files.write(spool.pathOf(WAL), new byte[16]);
        spool.doneFetching(WAL);
        assertEquals(0, exit(call));
        assertEquals(16, Files.size(dest));
    }

    @Test
    void theSpoolOfAnotherEnvironmentIsNeverServed() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        // the same restore_command text, but another cluster's environment points it at another store
        RestoreSpool withoutEnvironment = new RestoreSpool(spoolDir, keyHere(options)).open();
        Files.write(withoutEnvironment.pathOf(WAL), new byte[16]);
        Map<String, String> elsewhere = Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9999",
                "AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;\nAccountKey=k=");
        assertTrue(exit(launch(args, elsewhere)) != 0, "another environment's spool went to Java, not served");
        assertFalse(Files.exists(dest));

        String key = keyHere(options, elsewhere);
        assertTrue(!key.equals(withoutEnvironment.key()));
        RestoreSpool ownEnvironment = new RestoreSpool(spoolDir, key).create();
        Files.write(ownEnvironment.pathOf(WAL), new byte[32]);
        assertEquals(0, exit(launch(args, elsewhere)), "the launcher hashes the environment as the tool does");
        assertEquals(32, Files.size(dest));
        assertTrue(withoutEnvironment.contains(WAL));
        // unset and empty variables count alike
        assertEquals(ArchiveSpool.keyOf(options), RestoreSpool.keyOf(options, Map.of("AWS_PROFILE", "")));
    }

    /** A data directory whose global/pg_control starts with {@code sysid}, as PostgreSQL writes it (native order). */
    private Path dataDirOfSystem(long sysid) throws Exception {
        Path data = dataDir("recovery.signal");
        java.nio.ByteBuffer control = java.nio.ByteBuffer.allocate(8192).order(java.nio.ByteOrder.nativeOrder());
        control.putLong(0, sysid);
        Files.write(Files.createDirectories(data.resolve("global")).resolve("pg_control"), control.array());
        return data;
    }

    @Test
    void theSpoolOfAnotherDatabaseSystemOrDataDirectoryIsNeverServed() throws Exception {
        // A recovery stopped at its target left segments in the spool; the archive behind the same URL was
        // rebuilt by another database system, whose segment names start again from 1. The fast path served
        // the leftovers, which PostgreSQL refused ("WAL file is from different database system") and
        // promoted, rows missing.
        Path spoolDir = dir.resolve("spool");
        Path data = dataDirOfSystem(7716539640680314575L);
        Path link = Files.createSymbolicLink(dir.resolve("data-link"), data); // the scope has the physical path
        assertEquals("7716539640680314575:" + data.toRealPath(), RestoreSpool.scopeOf(link));
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, "pg_wal/RECOVERYXLOG"));
        String earlierSystem = "7716536663683337326:" + data.toRealPath();
        for (String key : List.of(RestoreSpool.keyOf(options, Map.of(RestoreSpool.SCOPE, earlierSystem)),
                RestoreSpool.keyOf(options, Map.of(RestoreSpool.SCOPE, "7716539640680314575:" + dir.resolve("elsewhere"))),
                ArchiveSpool.keyOf(options))) { // another system here, the same system in another directory, no scope
            Files.write(new RestoreSpool(spoolDir, key).open().pathOf(WAL), new byte[16]);
        }
        // the environment's value is replaced, never trusted
        assertTrue(exit(launchIn(link, args, Map.of(RestoreSpool.SCOPE, earlierSystem))) != 0, "went to Java, not served");
        assertFalse(Files.exists(data.resolve("pg_wal/RECOVERYXLOG")));

        RestoreSpool own = new RestoreSpool(spoolDir, RestoreSpool.keyOf(options,
                Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(link)))).create();
        Files.write(own.pathOf(WAL), new byte[32]);
        assertEquals(0, exit(launchIn(link, args, Map.of())), "the launcher reads the system and directory as the tool does");
        assertEquals(32, Files.size(data.resolve("pg_wal/RECOVERYXLOG")));
    }

    @Test
    void theToolKeysTheSpoolAsTheLauncherDoesAndAsItWouldAlone() throws Exception {
        // the launcher exports the scope it hashed, over whatever the environment held, for every --prefetch
        // call; run without the launcher, the tool reads the same
        Path data = dataDirOfSystem(-2L); // above Long.MAX_VALUE: unsigned, as od prints it
        Path link = Files.createSymbolicLink(dir.resolve("data-link"), data);
        Path spoolDir = dir.resolve("spool");
        Files.createDirectories(dir.resolve("store"));
        List<String> options = List.of("--prefetch", "2", "--spool-dir", spoolDir.toString(), dir.resolve("store").toUri().toString(), "main");
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, "pg_wal/RECOVERYXLOG")); // not in the store: recorded as requested, no worker started
        Path echo = java("java-scope", "printf '%s\\n' \"scope=$" + RestoreSpool.SCOPE + "\"; exit 1");
        for (List<String> call : List.of(args, List.of("--prefetch", "2", "--spool-dir", spoolDir.toString(), "s3://b/p", "main",
                "00000002.history", "pg_wal/RECOVERYHISTORY"))) {
            Call told = restoreIn(tool(), echo, link, call, Map.of(RestoreSpool.SCOPE, "1:/elsewhere"));
            assertTrue(told.output().contains("scope=18446744073709551614:" + data.toRealPath() + "\n"), told.output());
        }

        Call launched = restoreIn(tool(), realJava(), link, args, Map.of(RestoreSpool.SCOPE, "1:/elsewhere"));
        assertEquals(ExitCodes.FAILED, launched.exit(), launched.output());
        String key = RestoreSpool.keyOf(options, Map.of(RestoreSpool.SCOPE, "18446744073709551614:" + data.toRealPath()));
        Path requested = spoolDir.resolve("archive-in").resolve(key).resolve("requested");
        assertEquals(WAL, Files.readString(requested).trim());

        Files.delete(requested);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), WalRestoreCommand.class.getName()));
        command.addAll(args);
        ProcessBuilder direct = new ProcessBuilder(command).directory(link.toFile()).redirectErrorStream(true);
        direct.environment().remove(WalRestoreCommand.LAUNCHER_MAPS_EXIT);
        direct.environment().remove(RestoreSpool.SCOPE);
        assertEquals(ExitCodes.FAILED, exit(direct.start()));
        assertEquals(WAL, Files.readString(requested).trim(), "the tool alone keys the same spool");
    }

    /**
     * A standby learned of a promotion after the worker spooled the segment: PostgreSQL restored the new
     * timeline's history file into pg_wal since, and the copy the segment needs may be another one (the
     * .partial where the new timeline left the old one), so the tool chooses. A segment spooled after every
     * history file in pg_wal is served as before.
     */
    @Test
    void aSegmentSpooledBeforeAHistoryFileReachedPgWalIsLeftToTheTool() throws Exception {
        Path data = dataDir("standby.signal");
        Path spoolDir = dir.resolve("spool");
        List<String> options = List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, RestoreSpool.keyOf(options,
                Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(data)))).open();
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, "pg_wal/RECOVERYXLOG"));
        Files.write(spool.pathOf(WAL), new byte[16]);
        java.nio.file.attribute.FileTime spooled = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minusSeconds(60));
        Files.setLastModifiedTime(spool.pathOf(WAL), spooled);
        Path history = Files.writeString(data.resolve("pg_wal/00000002.history"), "1\t0/7000100\tno recovery target specified\n");
        assertTrue(exit(launchIn(data, args, Map.of())) != 0, "went to Java, not served");
        assertFalse(Files.exists(data.resolve("pg_wal/RECOVERYXLOG")));
        assertTrue(spool.contains(WAL));

        Files.setLastModifiedTime(history, java.nio.file.attribute.FileTime.from(spooled.toInstant().minusSeconds(60)));
        assertEquals(0, exit(launchIn(data, args, Map.of())), "spooled after every history file: served");
        assertEquals(16, Files.size(data.resolve("pg_wal/RECOVERYXLOG")));
    }

    @Test
    void theSpoolOfOtherOptionsIsNeverServed() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        RestoreSpool other = new RestoreSpool(spoolDir, keyHere(
                List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://elsewhere/p", "main"))).open();
        Files.write(other.pathOf(WAL), new byte[16]);
        assertTrue(exit(launch(List.of("--prefetch", "8", "--spool-dir", spoolDir.toString(), "s3://bucket/p", "main",
                WAL, dest.toString()))) != 0);
        assertFalse(Files.exists(dest));
        assertTrue(other.contains(WAL));
    }

    @Test
    void optionsAfterTheWalArgumentsLeaveTheSegmentToTheTool() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("s3://bucket/p", "main", "--prefetch", "8", "--spool-dir", spoolDir.toString());
        RestoreSpool spool = new RestoreSpool(spoolDir, keyHere(options)).open();
        Files.write(spool.pathOf(WAL), new byte[16]);
        assertTrue(exit(launch(List.of("s3://bucket/p", "main", WAL, dest.toString(), "--prefetch", "8", "--spool-dir",
                spoolDir.toString()))) != 0, "the tool serves it");
        assertFalse(Files.exists(dest));
        assertTrue(spool.contains(WAL));
    }

    @Test
    void aHiddenTemporaryFileIsNotASegment() throws Exception {
        Path spoolDir = dir.resolve("spool");
        Path dest = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");
        List<String> options = List.of("--spool-dir=" + spoolDir, "--prefetch=4", "file:///backups", "main");
        RestoreSpool spool = new RestoreSpool(spoolDir, keyHere(options)).open();
        Files.write(spool.directory().resolve("." + WAL + ".cumulus-tmp"), new byte[16]); // a download in progress
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of(WAL, dest.toString()));
        assertTrue(exit(launch(args)) != 0);
        Files.write(spool.pathOf(WAL), new byte[16]);
        assertEquals(0, exit(launch(args)), "the --opt=value forms are understood");
    }
}
