package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The detached worker: its own session, its output in the log. */
class BackgroundProcessTest {

    @TempDir
    Path temp;

    @Test
    void theWorkerRunsDetachedWithItsOutputAppendedToTheLog() throws Exception {
        Path log = Files.writeString(temp.resolve("worker.log"), "earlier line\n");
        // what the worker would see: a session of its own (its session id is its pid)
        BackgroundProcess.startDetached(List.of("/bin/sh", "-c",
                "read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; echo \"session=$sid pid=$pid\"; echo done"), log);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!Files.readString(log).contains("done") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<String> lines = Files.readAllLines(log);
        assertEquals("earlier line", lines.get(0), lines.toString());
        String ids = lines.stream().filter(line -> line.startsWith("session=")).findFirst().orElseThrow();
        String[] parts = ids.split(" ");
        assertEquals(parts[0].substring("session=".length()), parts[1].substring("pid=".length()), ids);
    }

    /** The log holds the worker's error texts: the owner's only, also one an earlier run left wider. */
    @Test
    void theLogIsTheOwnersOnly() throws Exception {
        Path wide = Files.writeString(temp.resolve("wide.log"), "earlier line\n");
        Files.setPosixFilePermissions(wide, PosixFilePermissions.fromString("rw-r--r--"));
        Path created = temp.resolve("new.log");
        for (Path log : List.of(wide, created)) {
            BackgroundProcess.startDetached(List.of("/bin/true"), log);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)), log.toString());
        }
    }

    /** A worker's log past 16 MiB is set aside as LOG.1 when the next worker starts: it never grows without bound. */
    @Test
    void aLogPastItsLimitIsSetAsideWhenTheNextWorkerStarts() throws Exception {
        Path log = temp.resolve("uploader.log");
        try (var out = Files.newOutputStream(log)) {
            out.write(new byte[(int) BackgroundProcess.LOG_LIMIT + 1]);
        }
        Files.writeString(temp.resolve("uploader.log.1"), "older\n");
        BackgroundProcess.startDetached(List.of("/bin/true"), log);
        assertEquals(BackgroundProcess.LOG_LIMIT + 1, Files.size(temp.resolve("uploader.log.1")));
        assertEquals(0, Files.size(log));
        BackgroundProcess.startDetached(List.of("/bin/true"), log);
        assertEquals(BackgroundProcess.LOG_LIMIT + 1, Files.size(temp.resolve("uploader.log.1")), "a small log stays");
    }
}
