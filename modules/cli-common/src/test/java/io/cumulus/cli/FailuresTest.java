package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The one line a failure becomes. */
class FailuresTest {

    /**
     * The JDK's refusals carry only the path, so the line names what happened; a store's refusal names
     * its reason in its message already, which once became "permission denied: access denied to s3://…".
     */
    @Test
    void aFileSystemsRefusalIsNamedAndAStoresIsLeftAsItSaysIt() {
        assertEquals("permission denied: /srv/pg/main", Failures.describe(new AccessDeniedException("/srv/pg/main")));
        assertEquals("no such file or directory: /srv/pg", Failures.describe(new NoSuchFileException("/srv/pg")));
        assertEquals("access denied to s3://bkt: check the credentials (HTTP 403)",
                Failures.describe(new AccessDeniedException("access denied to s3://bkt: check the credentials (HTTP 403)")));
        assertEquals("/x: not allowed", Failures.describe(new AccessDeniedException("/x", null, "not allowed")));
    }

    /** The JDK says only "Java heap space": the line says how big the heap was and how to raise it. */
    @Test
    void aHeapRunOutNamesTheHeapAndHowToRaiseIt() {
        assertEquals("out of memory (Java heap space); the Java heap (-Xmx24m) is too small: raise CUMULUS_HEAP"
                + " (e.g. CUMULUS_HEAP=2g)", Failures.describe(new OutOfMemoryError("Java heap space"),
                        ToolCommand.largerHeap("CUMULUS_HEAP", null), () -> "-Xmx24m"));
        // wrapped: a backup's failure, a worker's through its future
        assertEquals("backup 20261207T101941 failed: Java heap space (backup.info with status FAILED stored); the Java"
                + " heap (-Xmx64m) is too small: add a larger -Xmx to CUMULUS_JAVA_OPTS (e.g. CUMULUS_JAVA_OPTS=-Xmx1g)",
                Failures.describe(new java.io.IOException("backup 20261207T101941 failed: Java heap space (backup.info"
                        + " with status FAILED stored)", new OutOfMemoryError("Java heap space")),
                        ToolCommand.largerHeap(null, ""), () -> "-Xmx64m"));
        assertEquals("out of memory (GC overhead limit exceeded); the Java heap (-Xmx1g) is too small: raise the -Xmx"
                + " of CUMULUS_JVM_FLAGS, which replaces the launcher's heap flag",
                Failures.describe(new OutOfMemoryError("GC overhead limit exceeded"),
                        ToolCommand.largerHeap("CUMULUS_HEAP", "-Xmx1g"), () -> "-Xmx1g"));
    }

    @Test
    void memoryOtherThanTheHeapRunningOutIsLeftAsTheJdkSaysIt() {
        String threads = "unable to create native thread: possibly out of memory or process/resource limits reached";
        assertEquals(threads, Failures.describe(new OutOfMemoryError(threads), "raise CUMULUS_HEAP", () -> "-Xmx1g"));
        assertEquals("no such file or directory: /srv/pg",
                Failures.describe(new NoSuchFileException("/srv/pg"), "raise CUMULUS_HEAP", () -> "-Xmx1g"));
    }

    @Test
    void theHeapIsTheLastMaximumTheJvmWasGivenOrItsSize() {
        String heap = Failures.maxHeap();
        assertTrue(heap.startsWith("-Xmx") || heap.startsWith("-XX:MaxHeapSize=") || heap.matches("at most \\d+ MiB"),
                heap);
    }
}
