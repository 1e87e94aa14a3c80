package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detached worker: its own session, its output in the log, and the JVM flags of a long-lived process. */
class BackgroundProcessTest {

    @TempDir
    Path temp;

    @Test
    void aWorkerGetsTheFullJitWithRaisedThresholdsNotTheOneShotFlags() {
        Map<String, String> environment = new HashMap<>();
        BackgroundProcess.useWorkerFlags(environment);
        String flags = environment.get("CUMULUS_JVM_FLAGS");
        assertFalse(flags.contains("TieredStopAtLevel"), flags); // the one-shot calls' C1-only JIT
        assertTrue(flags.contains("-XX:CompileThresholdScaling=5") && flags.contains("-Xmx512m"), flags);
    }

    @Test
    void anEmptyFlagsVariableIsNoChoiceButFlagsTheUserGaveAreKept() {
        Map<String, String> empty = new HashMap<>(Map.of("CUMULUS_JVM_FLAGS", " "));
        BackgroundProcess.useWorkerFlags(empty);
        assertEquals(BackgroundProcess.WORKER_JVM_FLAGS, empty.get("CUMULUS_JVM_FLAGS"));

        Map<String, String> chosen = new HashMap<>(Map.of("CUMULUS_JVM_FLAGS", "-Xmx1g -XX:+UseParallelGC"));
        BackgroundProcess.useWorkerFlags(chosen);
        assertEquals("-Xmx1g -XX:+UseParallelGC", chosen.get("CUMULUS_JVM_FLAGS"));
    }

    @Test
    void theWorkerRunsDetachedWithItsOutputAppendedToTheLog() throws Exception {
        Path log = Files.writeString(temp.resolve("worker.log"), "earlier line\n");
        // what the worker would see: its flags, and a session of its own (its session id is its pid)
        BackgroundProcess.startDetached(List.of("/bin/sh", "-c",
                "echo \"flags=$CUMULUS_JVM_FLAGS\"; read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo \"session=$sid pid=$pid\"; echo done"), log);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!Files.readString(log).contains("done") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals("earlier line", lines.get(0), lines.toString());
        Map<String, String> expected = new HashMap<>(System.getenv()); // what this JVM's environment gives a worker
        BackgroundProcess.useWorkerFlags(expected);
        assertTrue(lines.contains("flags=" + expected.get("CUMULUS_JVM_FLAGS")), lines.toString());
        String ids = lines.stream().filter(line -> line.startsWith("session=")).findFirst().orElseThrow();
        String[] parts = ids.split(" ");
        assertEquals(parts[0].substring("session=".length()), parts[1].substring("pid=".length()), ids);
    }
}
