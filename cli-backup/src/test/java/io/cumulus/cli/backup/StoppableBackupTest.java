package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.Log;
import io.cumulus.core.backup.ArchiveContent;
import io.cumulus.core.backup.BackupBegin;
import io.cumulus.core.backup.BackupEnd;
import io.cumulus.core.backup.BackupListener;
import io.cumulus.core.backup.BackupOutcome;
import io.cumulus.core.backup.BackupSettings;
import io.cumulus.core.backup.BackupSource;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.backup.DataArchiveContent;
import io.cumulus.core.backup.SourceFacts;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What cumulus-backup prints when SIGTERM or SIGINT stops it, whatever the backup was doing: one ERROR line
 * saying how it was left, printed by the backup's thread or by the shutdown hook, never both. The hook is
 * {@link StoppableBackup#onSignal}, called here from a thread of the test as the JVM would on a signal.
 */
class StoppableBackupTest {

    private static final ServerLayout LAYOUT = new ServerLayout("pfx", "main");
    private static final BackupId ID = new BackupId("20261121T051944");
    private static final String DIR = "pfx/main/base/20261121T051944/";
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T05:19:44Z"), ZoneOffset.UTC);
    private static final OffsetDateTime TIME = OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 0, ZoneOffset.UTC);

    private final StringWriter err = new StringWriter();
    /** As with -q: an ERROR line is still printed. */
    private final Log log = new Log(new PrintWriter(err, true), 40);
    private final StalledStore store = new StalledStore();

    /** The backup's and the hook's threads (the common pool may have a single one, which a stalled write holds). */
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stopThreads() {
        store.release();
        threads.shutdownNow();
    }

    /** A backup of {@link #ID}, claimed first as cumulus-backup claims it. */
    private StoppableBackup stoppable(BaseBackup backup, Duration cleanupWait) throws IOException {
        assertEquals(ID, BaseBackup.newId(store, LAYOUT, CLOCK, Map.of()));
        return new StoppableBackup(backup, ID, "file:///srv/store/main/base/" + ID + "/", cleanupWait, log);
    }

    private BaseBackup backup() {
        return new BaseBackup(store, LAYOUT, BackupSettings.defaults(), BackupListener.NONE);
    }

    private List<String> errorLines() {
        return err.toString().lines().filter(line -> line.contains("ERROR: ")).toList();
    }

    private BackupInfo info() throws IOException {
        try (InputStream in = store.openRead(DIR + BaseBackup.BACKUP_INFO)) {
            return BackupInfo.parse(in.readAllBytes());
        }
    }

    @Test
    void aSignalWhileTheDataIsCopiedStoresFailedAndSaysSoInOneLine() throws Exception {
        TestSource source = new TestSource().waitingForCancelWhileCopying();
        StoppableBackup stoppable = stoppable(backup(), Duration.ofSeconds(30));
        CompletableFuture<BackupOutcome> run = CompletableFuture.supplyAsync(() -> runHere(stoppable, source), threads);
        assertTrue(source.copying.await(10, TimeUnit.SECONDS));

        stoppable.onSignal(); // returns once the backup has ended

        ExecutionException failed = assertThrows(ExecutionException.class, () -> run.get(10, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof StoppableBackup.Reported, failed::toString);
        assertEquals(List.of("ERROR: backup " + ID + " stopped by a signal: stored as FAILED"), errorLinesFromLevel());
        assertEquals(BackupStatus.FAILED, info().status());
        assertEquals("failure uploading data (" + StoppableBackup.REASON + ")", info().error());
    }

    @Test
    void aSignalAfterTheDataWasStoredLeavesADoneBackupAndSaysItIsUsable() throws Exception {
        // the manifest's upload, the checks, backup.info and the claim's removal do not look at a cancellation
        TestSource source = new TestSource();
        store.stall(BaseBackup.BACKUP_MANIFEST);
        StoppableBackup stoppable = stoppable(backup(), Duration.ofSeconds(30));
        CompletableFuture<BackupOutcome> run = CompletableFuture.supplyAsync(() -> runHere(stoppable, source), threads);
        assertTrue(store.stalled.await(10, TimeUnit.SECONDS));
        CompletableFuture<Void> hook = CompletableFuture.runAsync(stoppable::onSignal, threads);

        awaitCancelled(source);
        store.release();

        assertEquals(BackupStatus.DONE, run.get(10, TimeUnit.SECONDS).info().status());
        hook.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("ERROR: backup " + ID + " was complete (DONE) when stopped by a signal: it is usable as"
                + " it is, nothing to take again (the exit code is the signal's all the same)"), errorLinesFromLevel());
        assertEquals(BackupStatus.DONE, info().status());
        assertFalse(store.exists(DIR + BaseBackup.BACKUP_CLAIM));
    }

    @Test
    void aSignalJustAfterTheBackupEndedIsReportedByTheHook() throws Exception {
        // the signal came after the backup's thread looked for one, before the hook was removed
        StoppableBackup stoppable = stoppable(backup(), Duration.ofSeconds(30));
        stoppable.runHere(new TestSource());
        assertEquals(List.of(), errorLines());

        stoppable.onSignal();

        assertEquals(1, errorLines().size(), err::toString);
        assertTrue(errorLines().get(0).contains("was complete (DONE) when stopped by a signal"), err::toString);
    }

    @Test
    void aStoreThatDoesNotAnswerHasTheHookSayWhatIsLeftBeforeTheJvmHalts() throws Exception {
        // the store stalls once the signal came: the FAILED backup.info waits past the hook's wait
        TestSource source = new TestSource().waitingForCancelWhileCopying();
        store.stall(BaseBackup.BACKUP_INFO);
        StoppableBackup stoppable = stoppable(backup(), Duration.ofSeconds(1));
        CompletableFuture<BackupOutcome> run = CompletableFuture.supplyAsync(() -> runHere(stoppable, source), threads);
        assertTrue(source.copying.await(10, TimeUnit.SECONDS));

        stoppable.onSignal();

        List<String> lines = errorLinesFromLevel();
        assertEquals(1, lines.size(), err::toString);
        assertEquals("ERROR: backup " + ID + " stopped by a signal: it did not end within 1 s (the store, or"
                + " PostgreSQL, did not answer), so no FAILED backup.info was stored; file:///srv/store/main/base/"
                + ID + "/ is left with what it stored and its backup.claim (and possibly an unfinished upload: a"
                + " multipart upload, which the bucket's lifecycle rule aborts, or a hidden temporary file on"
                + " file://), which no tool lists: cumulus-backup-delete -r removes it once a newer backup is DONE"
                + " and nothing was written there for 24 hours, -b " + ID + " once those 24 hours have passed",
                lines.get(0));
        assertFalse(store.exists(DIR + BaseBackup.BACKUP_INFO));
        assertTrue(store.exists(DIR + BaseBackup.BACKUP_CLAIM));

        // here the JVM would halt; should the store answer at last, the backup's thread prints nothing more
        store.release();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> run.get(10, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof StoppableBackup.Reported, failed::toString);
        assertEquals(lines, errorLinesFromLevel());
    }

    /** The ERROR lines from their level on: the time and pid before it vary. */
    private List<String> errorLinesFromLevel() {
        return errorLines().stream().map(line -> line.substring(line.indexOf("ERROR: "))).toList();
    }

    private static BackupOutcome runHere(StoppableBackup stoppable, BackupSource source) {
        try {
            return stoppable.runHere(source);
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private static void awaitCancelled(TestSource source) throws InterruptedException {
        assertTrue(source.cancelled.await(10, TimeUnit.SECONDS), "the hook cancels the backup");
    }

    /** An in-memory store whose writes of one object name wait until released, as a store that stops answering. */
    private static final class StalledStore extends ForwardingBlobStore {
        final CountDownLatch stalled = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private volatile String name;

        StalledStore() {
            super(new InMemoryBlobStore());
        }

        void stall(String objectName) {
            this.name = objectName;
        }

        void release() {
            released.countDown();
        }

        boolean exists(String key) throws IOException {
            return stat(key).isPresent();
        }

        @Override
        public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
            if (name != null && key.endsWith("/" + name)) {
                stalled.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
            return super.openWrite(key, options);
        }
    }

    /** A data directory of one file of zeros; its copy can wait for the backup's cancellation. */
    private static final class TestSource implements BackupSource {
        final CountDownLatch copying = new CountDownLatch(1);
        final CountDownLatch cancelled = new CountDownLatch(1);
        private boolean waitForCancel;

        TestSource waitingForCancelWhileCopying() {
            waitForCancel = true;
            return this;
        }

        @Override
        public SourceFacts facts() {
            return new SourceFacts("/srv/pg/data", "/srv/pg/data/postgresql.conf", "/srv/pg/data/pg_hba.conf",
                    "/srv/pg/data/pg_ident.conf", List.of(), 150018, "7710490106817857947", 16L << 20, List.of());
        }

        @Override
        public OptionalLong estimatedSize() {
            return OptionalLong.empty();
        }

        @Override
        public BackupBegin start(String label) {
            return new BackupBegin("0/4000028", "000000010000000000000004", 40, 1, TIME, List.of());
        }

        @Override
        public List<ArchiveContent> tablespaceArchives() {
            return List.of();
        }

        @Override
        public DataArchiveContent dataArchive() {
            return new DataArchiveContent() {
                private OutputStream out;
                private boolean added;

                @Override
                public String name() {
                    return "data";
                }

                @Override
                public void startPart(OutputStream out) {
                    this.out = out;
                }

                @Override
                public boolean hasNext() {
                    return !added;
                }

                @Override
                public void addNext() throws IOException {
                    added = true;
                    out.write(new byte[8192]);
                    if (waitForCancel) {
                        copying.countDown();
                        try {
                            cancelled.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    out.write(new byte[8192]); // fails once the backup is cancelled
                }

                @Override
                public void addBackupLabel(String text, Instant stopped) throws IOException {
                    out.write(text.getBytes(StandardCharsets.UTF_8));
                }

                @Override
                public void finishPart() throws IOException {
                    out.flush();
                }
            };
        }

        @Override
        public BackupEnd stop(String restorePointName) {
            return new BackupEnd("0/5000100", "000000010000000000000005", 256, 1, TIME,
                    "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\nBACKUP FROM: primary\n", List.of());
        }

        @Override
        public ChunkedBytes manifest() {
            return ChunkedBytes.of("{ \"PostgreSQL-Backup-Manifest-Version\": 1 }\n".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void cancel() {
            cancelled.countDown();
        }
    }
}
