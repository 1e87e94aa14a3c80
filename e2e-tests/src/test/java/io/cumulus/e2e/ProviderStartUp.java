package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the packaged WAL tools load a provider's SDK from in one call: the cache in lib/azure/ or lib/gcs/
 * (build-support/cds-archive.sh), not the jars. Loaded from the jars, every call of the provider loaded and
 * verified the SDK's classes again, about twice an S3 call's time (docs/benchmarks.md, finding 29).
 */
final class ProviderStartUp {

    private ProviderStartUp() {
    }

    /**
     * Archives a segment to {@code store} and restores it with the packaged tools, each call logging its class
     * loads, and asserts that the classes of {@code sdkPackages} (prefixes such as "com.azure.") came from the
     * cache ("shared objects file").
     */
    static void assertSdkComesFromItsCache(ArchiveStore store, Path work, String... sdkPackages) throws IOException {
        String server = "start-up";
        String segment = Wal.segmentName(1, 0x43);
        Path directory = Files.createDirectories(work.resolve("start-up"));
        Path wal = Wal.write(directory, segment, Wal.syntheticSegment(43));
        for (String tool : List.of("cumulus-wal-archive", "cumulus-wal-restore")) {
            Path classLog = directory.resolve(tool + "-classes.log");
            Command call = tool.equals("cumulus-wal-archive") ? store.walArchive(server, wal)
                    : store.walRestore(server, segment, directory.resolve("restored"));
            ToolResult result = call.env("CUMULUS_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog).run();
            assertEquals(0, result.exitCode(), result::describe);
            List<String> sdk = Files.readAllLines(classLog).stream()
                    .filter(line -> List.of(sdkPackages).stream().anyMatch(p -> line.contains("] " + p))).toList();
            assertTrue(sdk.size() > 50, () -> tool + " loaded too few SDK classes to tell: " + sdk);
            List<String> fromJars = sdk.stream().filter(line -> !line.contains("source: shared objects file")).toList();
            // a class or two the training call did not need may come from the jars; the SDK as a whole may not
            assertTrue(fromJars.size() * 10 < sdk.size(), () -> tool + " loaded " + fromJars.size() + " of " + sdk.size()
                    + " SDK classes from the jars, not from its provider's cache:\n" + String.join("\n", fromJars));
        }
    }
}
