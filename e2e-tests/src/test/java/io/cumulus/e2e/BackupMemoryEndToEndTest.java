package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The memory bound: a database several times larger than the heap is backed up with a 64 MiB heap,
 * to S3 (multipart uploads, -J 2, 5 MiB parts: 15 MiB of upload buffers) and to file://. The heap
 * the garbage collector saw and the process's peak RSS are printed for the record.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupMemoryEndToEndTest {

    private static final String SERVER = "pg-memory";
    private static final String HEAP = "-Xmx64m";
    private static final Pattern GC_PAUSE = Pattern.compile("GC\\(\\d+\\) Pause (\\w+) .* (\\d+)M->(\\d+)M\\((\\d+)M\\)");
    private static final Pattern MAX_RSS = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)");

    private S3ArchiveStore s3;
    private FileArchiveStore file;
    private PgCluster source;
    private Path work;
    private long databaseBytes;

    @BeforeAll
    void startClusterFiveTimesLargerThanTheHeap() {
        work = PostgresUser.createTempDir("cumulus-backup-memory-");
        s3 = S3ArchiveStore.start("memory", "cumulus");
        file = new FileArchiveStore();
        source = PgCluster.start(java.util.Map.of("wal_level", "replica"));
        PgbenchLoad.initialise(source, 22, "pg_default");
        databaseBytes = source.queryLong("SELECT sum(pg_database_size(oid)) FROM pg_database");
        assertTrue(databaseBytes > 5 * (64L << 20), "database of " + databaseBytes + " bytes");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, s3, file, () -> PostgresUser.deleteRecursively(work));
    }

    @Test
    void backupToS3WithMultipartUploadsFitsIn64MiBOfHeap() {
        Measured run = measuredBackup(s3, "s3", "-S", "4GB", "-J", "2", "--immediate-checkpoint");
        assertEquals(0, run.result.exitCode(), run.result::describe);
        report("s3 (-J 2, 5 MiB parts)", run);
    }

    @Test
    void gzipBackupToAFileStoreFitsIn64MiBOfHeap() {
        Measured run = measuredBackup(file, "file", "-z", "--immediate-checkpoint");
        assertEquals(0, run.result.exitCode(), run.result::describe);
        report("file:// gzip", run);
    }

    @Test
    void uploadBuffersThatCannotFitTheHeapAreRefusedUpFront() {
        ToolResult result = Backups.backup(s3, source, SERVER, "-J", "4").env("CUMULUS_JVM_FLAGS", HEAP).run();
        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("upload buffers"), result::describe);
    }

    /** What one backup cost: its result, the largest heap occupancy the GC saw, and the peak RSS. */
    private record Measured(ToolResult result, long peakHeapMiB, long liveHeapMiB, long heapCommittedMiB,
            long maxRssKiB) {
    }

    private Measured measuredBackup(ArchiveStore store, String name, String... options) {
        Path gcLog = work.resolve("gc-" + name + ".log");
        List<String> command = new ArrayList<>(List.of("-v", Tools.path("cumulus-backup").toString()));
        command.addAll(Backups.backupArgs(store, source, SERVER, options));
        ToolResult result = Command.of("/usr/bin/time", command.toArray(String[]::new)).env(store.toolEnv())
                .env("CUMULUS_JVM_FLAGS", HEAP + " -Xlog:gc:file=" + gcLog).timeout(Duration.ofMinutes(5)).run();
        long peak = 0;
        long afterYoung = 0;
        long afterFull = -1;
        long committed = 0;
        try {
            Matcher m = GC_PAUSE.matcher(Files.exists(gcLog) ? Files.readString(gcLog) : "");
            while (m.find()) {
                peak = Math.max(peak, Long.parseLong(m.group(2)));
                long after = Long.parseLong(m.group(3));
                if (m.group(1).equals("Full")) {
                    afterFull = Math.max(afterFull, after);
                } else {
                    afterYoung = Math.max(afterYoung, after);
                }
                committed = Math.max(committed, Long.parseLong(m.group(4)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // after a young collection the old generation may still hold garbage: a full one shows what
        // is really alive; without any, the young collections give an upper bound
        long live = afterFull >= 0 ? afterFull : afterYoung;
        Matcher rss = MAX_RSS.matcher(result.stderr());
        assertTrue(rss.find(), result::describe);
        assertTrue(peak > 0 && peak <= 64, "peak heap " + peak + " MiB");
        return new Measured(result, peak, live, committed, Long.parseLong(rss.group(1)));
    }

    private void report(String what, Measured run) {
        String summary = run.result.stdout().lines().filter(l -> l.startsWith("backup ")).findFirst().orElse("");
        System.out.println(String.format(Locale.ROOT,
                "[memory] %s: database %d MiB, heap %s, heap used at most %d MiB before a GC, live set at most"
                        + " %d MiB (committed at most %d MiB), peak RSS %d MiB, %.1f s; %s",
                what, databaseBytes >> 20, HEAP, run.peakHeapMiB, run.liveHeapMiB, run.heapCommittedMiB,
                run.maxRssKiB >> 10,
                run.result.elapsed().toMillis() / 1000.0, summary));
    }
}
