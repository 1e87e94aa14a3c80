package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobOutputStream;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncUploaderTest {
    /** The time of ok marks a test writes by hand: later than any file it makes, so the marks are those files'. */
    private static final FileTime MARKED = FileTime.from(java.time.Instant.now().plus(java.time.Duration.ofDays(1)));
    private static final ServerLayout LAYOUT = new ServerLayout("", "pg");
    private static final String KEY = "0123456789abcdef";

    @TempDir
    Path pgWal;

    @TempDir
    Path spoolDir;

    @TempDir
    Path dataDirectories;

    private final InMemoryBlobStore memory = new InMemoryBlobStore();

    private void ready(String... names) throws IOException {
        Files.createDirectories(pgWal.resolve("archive_status"));
        for (String name : names) {
            byte[] content = new byte[1 << 20];
            content[0] = (byte) name.hashCode();
            Files.write(pgWal.resolve(name), content);
            Files.createFile(pgWal.resolve("archive_status").resolve(name + ".ready"));
        }
    }

    private AsyncUploader uploader(BlobStore store, ArchiveSpool spool, List<String> failures) {
        return uploader(store, spool, failures, Duration.ofMillis(200));
    }

    private AsyncUploader uploader(BlobStore store, ArchiveSpool spool, List<String> failures, Duration idleTimeout) {
        WalArchiver archiver = new WalArchiver(store, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        return new AsyncUploader(archiver, spool, pgWal, 3, idleTimeout, new AsyncUploader.Listener() {
            @Override
            public void stored(String wal, WalArchiver.Outcome outcome) {
            }

            @Override
            public void failed(String wal, ArchiveSpool.Failure failure) {
                failures.add(wal + ": " + failure.reason());
            }
        });
    }

    @Test
    void storesEveryReadyFileAndMarksItOk() throws Exception {
        ready("000000010000000000000001", "000000010000000000000002", "000000010000000000000003", "00000002.history");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        assertEquals(4, uploader(memory, spool, failures).run());
        assertEquals(List.of(), failures);
        for (String wal : List.of("000000010000000000000001", "000000010000000000000002", "000000010000000000000003")) {
            assertTrue(memory.stat("pg/wals/0000000100000000/" + wal).isPresent(), wal);
            assertTrue(spool.hasOk(wal), wal);
        }
        assertTrue(memory.stat("pg/wals/00000002.history").isPresent());
    }

    /**
     * PostgreSQL archives a timeline's history file before anything else: the uploader stores it alone
     * and takes the other files on once its ok mark is written.
     */
    @Test
    void aReadyHistoryFileIsStoredBeforeAnyOtherFile() throws Exception {
        ready("000000010000000000000003.partial", "000000020000000000000003", "000000020000000000000004",
                "00000002.history");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> writes = new CopyOnWriteArrayList<>();
        BlobStore recording = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                writes.add(key.substring(key.lastIndexOf('/') + 1) + (spool.hasOk("00000002.history") ? " after" : ""));
                return super.openWrite(key, options);
            }
        };
        List<String> failures = new CopyOnWriteArrayList<>();
        assertEquals(4, uploader(recording, spool, failures).run());
        assertEquals(List.of(), failures);
        assertEquals("00000002.history", writes.get(0), writes::toString);
        assertEquals(List.of("000000010000000000000003.partial after", "000000020000000000000003 after",
                "000000020000000000000004 after"), writes.subList(1, writes.size()).stream().sorted().toList(),
                "the others begin once the history file's ok mark is written");
    }

    /**
     * D3 of review 23: a second server promoted to the timeline another server already took. Its history file
     * is refused (different content), and PostgreSQL would archive nothing after it; the uploader stored its
     * segments all the same, under the names the real new primary writes next, whose calls were then refused.
     * Now nothing after the history file is stored, the parent timeline's .partial and its backlog included,
     * and a call for one of them (by hand: PostgreSQL calls for the history file) hears why at once.
     */
    @Test
    void aRefusedHistoryFileHoldsBackEveryFileAfterIt() throws Exception {
        // the other server's, promoted first
        try (BlobOutputStream out = memory.openWrite("pg/wals/00000002.history", WriteOptions.DEFAULT)) {
            out.write("1\t0/3000128\tno recovery target specified\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        String[] after = {"000000010000000000000002", "000000010000000000000003.partial", "000000020000000000000003",
            "000000020000000000000004"};
        ready(after);
        ready("00000002.history");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        assertEquals(0, uploader(memory, spool, failures).run());
        assertEquals(1, failures.size(), failures::toString);
        assertTrue(failures.get(0).startsWith("00000002.history: ") && failures.get(0).contains("different content"),
                failures::toString);
        assertTrue(spool.hasError("00000002.history"));
        for (String wal : after) {
            assertTrue(WalObjects.find(memory, LAYOUT, WalName.parse(wal), false).isEmpty(), wal + " stored");
            assertFalse(spool.hasOk(wal), wal);
            ArchiveSpool.Failure held = spool.takeError(wal).orElseThrow();
            assertEquals(1, held.exitCode(), "the history file's: this test's listener gives every failure 1");
            assertTrue(held.reason().startsWith("not storing " + wal + " yet: 00000002.history goes first"
                    + " (PostgreSQL archives a timeline's history file before any later WAL"), held.reason());
            assertTrue(held.reason().contains("WAL file 00000002.history is already archived"), held.reason());
        }
    }

    /**
     * The history file stored at last (the store answers again, or the foreign copy was moved out): the files it
     * held follow in the same run, their held marks gone. While they are held, a call that took a held mark
     * (as a waiting call does) finds it written again.
     */
    @Test
    void filesHeldBackFollowTheirHistoryFileInTheSameRunOnceItIsStored() throws Exception {
        String[] after = {"000000010000000000000003.partial", "000000020000000000000003"};
        ready(after);
        ready("00000002.history");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        java.util.concurrent.atomic.AtomicBoolean refusing = new java.util.concurrent.atomic.AtomicBoolean(true);
        BlobStore refusingAtFirst = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                if (refusing.get()) {
                    throw new StoreUnavailableException("store refuses writes", null);
                }
                return super.openWrite(key, options);
            }
        };
        List<String> failures = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> run = inBackground(
                uploader(refusingAtFirst, spool, failures, Duration.ofSeconds(3)));
        awaitTrue(() -> spool.hasError("00000002.history") && spool.marks().held().size() == after.length);
        assertEquals(List.of("00000002.history: store refuses writes"), failures);
        String held = spool.takeError("000000020000000000000003").orElseThrow().reason();
        assertTrue(held.endsWith("and storing it failed: store refuses writes"), held);
        awaitTrue(() -> spool.marks().held().contains("000000020000000000000003"));

        refusing.set(false);
        assertTrue(spool.takeError("00000002.history").isPresent(), "PostgreSQL's next call for it");
        assertEquals(3, run.get(30, TimeUnit.SECONDS));
        for (String wal : List.of("00000002.history", after[0], after[1])) {
            assertTrue(spool.hasOk(wal), wal);
        }
        assertEquals(java.util.Set.of(), spool.marks().held());
        assertEquals(1, failures.size(), failures::toString);
    }

    /**
     * The uploader that found the history file refused has gone idle; PostgreSQL's next call for it has not come
     * yet, so its error mark is still there, and a call by hand starts a new uploader: that one holds the files
     * back with the reason of the error mark (it does not store the history file again until the call takes it).
     */
    @Test
    void anUploaderStartingBesideAHistoryFilesErrorMarkHoldsTheFilesAfterItWithItsReason() throws Exception {
        ready("000000020000000000000003", "00000002.history");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        spool.markError("00000002.history", new ArchiveSpool.Failure(2, "cannot reach the store"));
        assertEquals(0, uploader(memory, spool, new CopyOnWriteArrayList<>()).run());
        ArchiveSpool.Failure held = spool.takeError("000000020000000000000003").orElseThrow();
        assertEquals(2, held.exitCode());
        assertTrue(held.reason().endsWith("and storing it failed: cannot reach the store"), held.reason());
        assertTrue(memory.stat("pg/wals/0000000200000000/000000020000000000000003").isEmpty());
    }

    /** Held marks an earlier uploader left, whose history file is no longer ready (stored, or marked done by hand). */
    @Test
    void heldMarksAreDroppedOnceNoHistoryFileHoldsTheirFiles() throws Exception {
        ready("000000020000000000000003");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        spool.markHeld("000000020000000000000003", new ArchiveSpool.Failure(1, "not storing it yet"));
        assertEquals(1, uploader(memory, spool, new CopyOnWriteArrayList<>()).run());
        assertTrue(spool.hasOk("000000020000000000000003"));
        assertEquals(java.util.Set.of(), spool.marks().held());
    }

    private static void awaitTrue(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.call()) {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(10);
        }
    }

    @Test
    void aStoreThatRefusesWritesLeavesErrorMarksAndNeverAnOk() throws Exception {
        ready("000000010000000000000001", "000000010000000000000002");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        uploader(new RefusingWrites(memory), spool, failures).run();
        assertEquals(2, failures.size());
        for (String wal : List.of("000000010000000000000001", "000000010000000000000002")) {
            assertFalse(spool.hasOk(wal), wal);
            ArchiveSpool.Failure failure = spool.takeError(wal).orElseThrow();
            assertTrue(failure.reason().contains("store refuses writes"), failure.reason());
            assertEquals(1, failure.exitCode(), "this test's listener gives every failure 1");
        }
        assertTrue(memory.stat("pg/wals/0000000100000000/000000010000000000000001").isEmpty());
    }

    /**
     * The call reporting a failed upload says and exits what a synchronous call would: the mark keeps the
     * listener's wording of the failure and its exit code.
     */
    @Test
    void anErrorMarkKeepsTheListenersWordingAndExitCodeOfTheFailure() throws Exception {
        ready("000000010000000000000001");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        BlobStore denied = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                throw new java.nio.file.AccessDeniedException("/srv/store/pg/wals/" + key);
            }
        };
        WalArchiver archiver = new WalArchiver(denied, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        new AsyncUploader(archiver, spool, pgWal, 1, Duration.ofMillis(200), new QuietListener() {
            @Override
            public ArchiveSpool.Failure failureOf(Exception failure) {
                return new ArchiveSpool.Failure(failure instanceof java.nio.file.AccessDeniedException ? 4 : 99,
                        "permission denied: " + ((java.nio.file.FileSystemException) failure).getFile());
            }
        }).run();
        ArchiveSpool.Failure failure = spool.takeError("000000010000000000000001").orElseThrow();
        assertEquals(4, failure.exitCode());
        assertTrue(failure.reason().startsWith("permission denied: /srv/store/pg/wals/"), failure.reason());
    }

    /** An error mark of an earlier release holds the reason only: it reads as exit code 1 and that reason. */
    @Test
    void anErrorMarkOfAnEarlierReleaseReadsAsExitCodeOne() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        Files.writeString(spool.directory().resolve("000000010000000000000001.error"), "access denied\n");
        assertEquals(Optional.of(new ArchiveSpool.Failure(1, "access denied")),
                spool.takeError("000000010000000000000001"));
    }

    @Test
    void aFileWithAnErrorMarkWaitsUntilTheForegroundClearsIt() throws Exception {
        ready("000000010000000000000001");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        spool.markError("000000010000000000000001", new ArchiveSpool.Failure(4, "earlier failure"));
        List<String> failures = new CopyOnWriteArrayList<>();
        assertEquals(0, uploader(memory, spool, failures).run());
        assertTrue(spool.takeError("000000010000000000000001").isPresent());
        assertEquals(1, uploader(memory, spool, failures).run());
        assertTrue(spool.hasOk("000000010000000000000001"));
    }

    @Test
    void aFileReportedToPostgresIsNotShippedAgainWhileItIsStillReady() throws Exception {
        ready("000000010000000000000001");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        assertEquals(1, uploader(memory, spool, failures).run());
        assertEquals(Optional.of(""), spool.consumeOk("000000010000000000000001"));
        // PostgreSQL has not renamed .ready to .done yet: the uploader must not upload (or verify) it again
        assertEquals(0, uploader(memory, spool, failures).run());
        assertEquals(Optional.of(""), spool.consumeOk("000000010000000000000001"),
                "asked again (a crash before PostgreSQL recorded the answer), the answer is still ok");
        assertEquals(List.of(), failures);
    }

    @Test
    void anOkMarkAnswersOnlyForTheVersionOfTheFileThatWasStored() throws Exception {
        String name = "000000010000000000000001";
        ready(name);
        Path wal = pgWal.resolve(name);
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        assertEquals(1, uploader(memory, spool, new CopyOnWriteArrayList<>()).run());
        assertEquals(Files.getLastModifiedTime(wal),
                Files.getLastModifiedTime(spool.directory().resolve(name + ".ok")), "the mark carries the file's time");
        assertFalse(spool.forgetIfStale(name, wal), "the same file: the mark stands");
        assertTrue(spool.hasOk(name));

        // The data directory put back to an earlier state, the spool not: PostgreSQL writes the name anew.
        Files.write(wal, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(wal, FileTime.from(Files.getLastModifiedTime(wal).toInstant().plusSeconds(60)));
        assertTrue(spool.forgetIfStale(name, wal));
        assertFalse(spool.hasOk(name));
        assertEquals(Optional.empty(), spool.consumeOk(name));

        // a reported mark (answered, PostgreSQL not yet done) of the old file goes the same way
        spool.markOk(name, "", FileTime.from(Files.getLastModifiedTime(wal).toInstant().minusSeconds(60)));
        assertEquals(Optional.of(""), spool.consumeOk(name));
        assertTrue(spool.forgetIfStale(name, wal));
        assertEquals(Optional.empty(), spool.consumeOk(name));

        // a spool that keeps coarser times than pg_wal (its mark a second behind) is not taken for stale
        spool.markOk(name, "", FileTime.from(Files.getLastModifiedTime(wal).toInstant().minusMillis(999)));
        assertFalse(spool.forgetIfStale(name, wal));
        assertTrue(spool.hasOk(name));
    }

    @Test
    void marksOfFilesPostgresNoLongerWaitsForAreDropped() throws Exception {
        ready("000000010000000000000002");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        spool.markOk("000000010000000000000001", "", MARKED);
        uploader(memory, spool, new CopyOnWriteArrayList<>()).run();
        assertFalse(spool.hasOk("000000010000000000000001"));
        assertTrue(spool.hasOk("000000010000000000000002"));
    }

    /**
     * An upload that fails after the server that started the uploader was restarted (its environment
     * corrected, say) leaves no error mark: the new server's call would report the old set-up's failure.
     */
    @Test
    void aFailureAfterTheServerWasRestartedLeavesNoErrorMark() throws Exception {
        Path dataDirectory = spoolDir.resolve("data");
        Path serverWal = Files.createDirectories(dataDirectory.resolve("pg_wal/archive_status")).getParent();
        Path pidFile = Files.writeString(dataDirectory.resolve("postmaster.pid"), "4141\n/data\n");
        String wal = "000000010000000000000001";
        Files.write(serverWal.resolve(wal), new byte[1 << 20]);
        Files.createFile(serverWal.resolve("archive_status").resolve(wal + ".ready"));
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        BlobStore restartedMeanwhile = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                Files.writeString(pidFile, "4242\n/data\n"); // PostgreSQL restarted while the upload ran
                throw new StoreUnavailableException("cannot reach the old endpoint", null);
            }
        };
        new AsyncUploader(new WalArchiver(restartedMeanwhile, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of())),
                spool, serverWal, 1, Duration.ofMillis(200), new QuietListener() {
                    @Override
                    public void failed(String name, ArchiveSpool.Failure failure) {
                        failures.add(name);
                    }
                }).run();
        assertEquals(List.of(wal), failures, "still logged");
        assertFalse(spool.hasError(wal), "no mark for the new server's calls to report");
    }

    @Test
    void anUploaderStopsTakingWorkOnceTheServerThatStartedItIsRestartedOrStopped() throws Exception {
        Path dataDirectory = spoolDir.resolve("data");
        Path serverWal = Files.createDirectories(dataDirectory.resolve("pg_wal/archive_status")).getParent();
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        for (String after : new String[] {"4242\n/data\n", null}) {
            Files.writeString(pidFile, "4141\n/data\n");
            ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
            AsyncUploader uploader = new AsyncUploader(new WalArchiver(memory, LAYOUT,
                    new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of())),
                    spool, serverWal, 2, Duration.ofMinutes(10), new AsyncUploader.Listener() {
                        @Override
                        public void stored(String wal, WalArchiver.Outcome outcome) {
                        }

                        @Override
                        public void failed(String wal, ArchiveSpool.Failure failure) {
                        }
                    });
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return uploader.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertFalse(run.isDone(), "the same server: the uploader waits for work (10 minutes of idle allowed)");
            Files.writeString(pidFile, "4141\n/data\n/tmp\n1700000000\n5432\n"); // the server rewrites its other lines
            Thread.sleep(300);
            assertFalse(run.isDone(), "the same PID: the same server");
            if (after != null) {
                Files.writeString(pidFile, after); // restarted: another PID
            } else {
                Files.delete(pidFile); // stopped
            }
            assertEquals(0, run.get(5, TimeUnit.SECONDS), "the uploader stops without the 10 minutes' idle time");
        }
    }

    @Test
    void anUploaderStopsTakingWorkOnceArchiveCommandChanged() throws Exception {
        ready("000000010000000000000001");
        ArchiveSpool old = new ArchiveSpool(spoolDir, KEY).create();
        old.makeCurrent();
        ArchiveSpool changed = new ArchiveSpool(spoolDir, "fedcba9876543210").create();
        changed.makeCurrent();
        assertFalse(old.isCurrent());
        assertEquals(0, uploader(memory, old, new CopyOnWriteArrayList<>()).run());
        assertFalse(old.hasOk("000000010000000000000001"));
        assertFalse(changed.hasOk("000000010000000000000001"), "marks of one key are not seen under another");
    }

    /** The spool of an --async call with {@code options} in {@code dataDirectory}, set up as the call sets it up. */
    private ArchiveSpool spoolOfCall(List<String> options, Path dataDirectory) throws IOException {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, ArchiveSpool.keyOf(options, dataDirectory)).create();
        spool.recordArguments(options, dataDirectory);
        spool.makeCurrent();
        return spool;
    }

    /**
     * Two clusters on one host with the same archive_command and --spool-dir (a pg_basebackup copy started as
     * its own primary): each has its own marks, and each one's key stays current while the other calls.
     */
    @Test
    void clustersSharingASpoolKeepTheirMarksAndTheirCurrentKeysApart() throws Exception {
        List<String> options = List.of("--async", "--spool-dir", spoolDir.toString(), "file:///store", "main");
        Path a = Files.createDirectories(dataDirectories.resolve("a")).toRealPath();
        Path b = Files.createDirectories(dataDirectories.resolve("b")).toRealPath();
        ArchiveSpool ofA = spoolOfCall(options, a);
        ArchiveSpool ofB = spoolOfCall(options, b);
        assertFalse(ofA.key().equals(ofB.key()), "the same options in two data directories are two keys");
        ofA.markOk("000000010000000000000001", "", MARKED);
        assertFalse(ofB.hasOk("000000010000000000000001"));
        assertTrue(ofB.consumeOk("000000010000000000000001").isEmpty(), "b never takes a's mark for its segment");
        assertTrue(ofA.isCurrent() && ofB.isCurrent(), "neither call retires the other cluster's uploader");
        assertEquals(Optional.of(a), ofA.dataDirectory());

        // a's archive_command changes: a's old key retires, b's stays
        ArchiveSpool changedA = spoolOfCall(List.of("--async", "--spool-dir", spoolDir.toString(), "file:///other",
                "main"), a);
        assertFalse(ofA.isCurrent());
        assertTrue(ofB.isCurrent() && changedA.isCurrent());
        assertEquals(List.of(ofB.key(), changedA.key()),
                Files.readAllLines(spoolDir.resolve("archive-out/current")));

        // a data directory that is gone keeps no line
        Files.delete(b);
        ofA.makeCurrent();
        assertEquals(List.of(ofA.key()), Files.readAllLines(spoolDir.resolve("archive-out/current")),
                "b's line dropped, and a's other key replaced");
    }

    /** Finding: the other cluster's call made its key current, and this cluster's uploader stopped at once. */
    @Test
    void anUploaderKeepsWorkingWhileAnotherDataDirectoryCallsWithTheSameSpool() throws Exception {
        ready("000000010000000000000001");
        List<String> options = List.of("--async", "--spool-dir", spoolDir.toString(), "file:///store", "a");
        ArchiveSpool own = spoolOfCall(options, pgWal.toRealPath().getParent());
        spoolOfCall(List.of("--async", "--spool-dir", spoolDir.toString(), "file:///store", "b"),
                Files.createDirectories(dataDirectories.resolve("b")).toRealPath());
        assertEquals(1, uploader(memory, own, new CopyOnWriteArrayList<>()).run());
        assertTrue(own.hasOk("000000010000000000000001"));
    }

    /**
     * archive_command changed to a synchronous command (or another spool, or ''): no call of the key comes
     * any more, yet .ready files keep coming. The uploader stops instead of shipping them to the old
     * destination, and says why; while calls come, it goes on.
     */
    @Test
    void anUploaderStopsWhenNoCallOfItsKeyComesThoughFilesKeepComing() throws Exception {
        ready("000000010000000000000001");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<Duration> uncalled = new CopyOnWriteArrayList<>();
        AsyncUploader uploader = uploaderCalledWithin(spool, Duration.ofMillis(800), uncalled);
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
            try {
                return uploader.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // calls come: the uploader goes on taking files
        for (int i = 0; i < 12; i++) {
            spool.markCalled();
            Thread.sleep(200);
        }
        ready("000000010000000000000002");
        Thread.sleep(300);
        assertTrue(spool.hasOk("000000010000000000000002"), "calls came: the uploader took the new file");
        assertFalse(run.isDone());
        // then no more calls
        Thread.sleep(2_500);
        ready("000000010000000000000003");
        assertEquals(2, run.get(5, TimeUnit.SECONDS), "stopped without its idle time of 60 s");
        assertFalse(spool.hasOk("000000010000000000000003"), "left to the archive_command in use");
        assertEquals(1, uncalled.size(), uncalled.toString());
        assertTrue(uncalled.get(0).compareTo(Duration.ofMillis(800)) > 0, uncalled.toString());
    }

    private AsyncUploader uploaderCalledWithin(ArchiveSpool spool, Duration callTimeout, List<Duration> uncalled) {
        WalArchiver archiver = new WalArchiver(memory, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        return new AsyncUploader(archiver, spool, pgWal, 3, Duration.ofSeconds(60), new QuietListener() {
            @Override
            public void uncalled(Duration sinceLastCall) {
                uncalled.add(sinceLastCall);
            }
        }, 64L << 20, callTimeout);
    }

    /** A call that times out names the uploader holding the lock: its PID, from the running mark. */
    @Test
    void theUploaderHoldingTheLockIsKnownByItsPidAndItsLastMark() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        assertEquals(Optional.empty(), spool.runningUploader());
        Process holder = startUploaderHolder();
        try {
            ArchiveSpool.RunningUploader running = spool.runningUploader().orElseThrow();
            assertEquals(holder.pid(), running.pid().orElseThrow());
            assertTrue(Duration.between(running.lastMark(), java.time.Instant.now()).toSeconds() < 30,
                    running.toString());
        } finally {
            holder.destroy();
            holder.waitFor();
        }
    }

    /**
     * An uploader waiting on a store that does not answer writes no ok or error mark for minutes, but its
     * uploading marks are fresh: they count as marks, and the oldest names the file it has been storing longest.
     */
    @Test
    void theUploadingMarksOfTheUploaderHoldingTheLockCountAsItsMarks() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        Process holder = startUploaderHolder();
        try {
            java.time.Instant now = java.time.Instant.now();
            // started 10 minutes ago, and has stored nothing since these two were taken on
            Files.setLastModifiedTime(spool.directory().resolve("uploader.running"),
                    FileTime.from(now.minusSeconds(600)));
            assertEquals(Optional.empty(), spool.runningUploader().orElseThrow().oldestUpload());
            spool.markUploading("000000010000000000000008");
            spool.markUploading("000000010000000000000007");
            Files.setLastModifiedTime(spool.directory().resolve("000000010000000000000008.uploading"),
                    FileTime.from(now.minusSeconds(50)));
            Files.setLastModifiedTime(spool.directory().resolve("000000010000000000000007.uploading"),
                    FileTime.from(now.minusSeconds(70)));

            ArchiveSpool.RunningUploader running = spool.runningUploader().orElseThrow();
            assertEquals(now.minusSeconds(50).getEpochSecond(), running.lastMark().getEpochSecond(), running.toString());
            ArchiveSpool.Upload oldest = running.oldestUpload().orElseThrow();
            assertEquals("000000010000000000000007", oldest.wal());
            assertEquals(now.minusSeconds(70).getEpochSecond(), oldest.since().getEpochSecond());
        } finally {
            holder.destroy();
            holder.waitFor();
        }
    }

    /** Starts {@link UploaderHolder} on this test's spool and waits until it holds the lock. */
    private Process startUploaderHolder() throws IOException {
        Process holder = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), UploaderHolder.class.getName(), spoolDir.toString())
                .redirectErrorStream(true).start();
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine();
        if (!"holding".equals(first)) {
            holder.destroy();
            throw new AssertionError("the holder did not take the lock: " + first);
        }
        return holder;
    }

    /** Runs in a child JVM: takes the uploader lock, marks itself running as an uploader does, and waits. */
    public static final class UploaderHolder {
        public static void main(String[] args) throws Exception {
            ArchiveSpool spool = new ArchiveSpool(Path.of(args[0]), KEY);
            FileLock lock = spool.tryLockUploader().orElseThrow();
            spool.markUploaderRunning();
            System.out.println("holding");
            System.out.flush();
            Thread.sleep(60_000);
            lock.release();
        }
    }

    @Test
    void theKeyOfArchiveCommandOptionsIsWhatTheLauncherComputesWithSha256sum() throws Exception {
        List<String> arguments = List.of("--async", "--spool-dir", "/var/spool/x", "s3://b/p q", "main");
        Process sha = new ProcessBuilder("sh", "-c", "printf '%s\\n' \"$@\" | sha256sum | cut -c1-16", "sh",
                arguments.get(0), arguments.get(1), arguments.get(2), arguments.get(3), arguments.get(4)).start();
        String expected = new String(sha.getInputStream().readAllBytes()).strip();
        assertEquals(0, sha.waitFor());
        assertEquals(expected, ArchiveSpool.keyOf(arguments));
    }

    @Test
    void anotherProcessSeesTheUploaderLockWhileItIsHeld() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        assertFalse(spool.uploaderRunning());
        FileLock lock = spool.tryLockUploader().orElseThrow();
        try {
            assertEquals(LockProbe.HELD, LockProbe.probe(spoolDir));
        } finally {
            lock.channel().close();
        }
        assertEquals(LockProbe.FREE, LockProbe.probe(spoolDir));
    }

    /** Runs in a child JVM: exits with whether the uploader lock of a spool is held by someone else. */
    public static final class LockProbe {
        static final int HELD = 10;
        static final int FREE = 11;

        public static void main(String[] args) throws IOException {
            System.exit(new ArchiveSpool(Path.of(args[0]), KEY).uploaderRunning() ? HELD : FREE);
        }

        static int probe(Path spoolDir) throws IOException, InterruptedException {
            Process process = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                    System.getProperty("java.class.path"), LockProbe.class.getName(), spoolDir.toString())
                    .inheritIO().start();
            return process.waitFor();
        }
    }

    /** A store that answers reads and listings but refuses every write, as one whose credentials lost write rights. */
    @Test
    void aFileBeingStoredHasAnUploadingMarkUntilItsOkMarkIsWritten() throws Exception {
        String wal = "000000010000000000000001";
        ready(wal);
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        Path uploading = spool.directory().resolve(wal + ".uploading");
        Path stale = spool.directory().resolve("000000010000000000000000.uploading");
        Files.createFile(stale); // left by an uploader killed with -9
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlobStore slow = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
                return super.openWrite(key, options);
            }
        };
        List<String> failures = new CopyOnWriteArrayList<>();
        CompletableFuture<Integer> run = inBackground(uploader(slow, spool, failures));
        assertTrue(writing.await(10, TimeUnit.SECONDS));
        assertTrue(Files.exists(uploading), "the launcher waits while this mark is there");
        assertFalse(spool.hasOk(wal));
        assertFalse(Files.exists(stale), "a dead uploader's marks are removed when the next one starts");
        Path running = spool.directory().resolve("uploader.running");
        assertTrue(Files.exists(running), "the launcher gives a running uploader a moment to take new files on");
        release.countDown();
        assertEquals(1, run.get(30, TimeUnit.SECONDS));
        assertTrue(spool.hasOk(wal));
        assertFalse(Files.exists(uploading));
        assertFalse(Files.exists(running), "an uploader that has exited no longer says it runs");
        assertEquals(List.of(), failures);
    }

    @Test
    void anIdleUploaderDoesNotListArchiveStatusEveryScanInterval() throws Exception {
        List<String> failures = new CopyOnWriteArrayList<>();
        AsyncUploader idle = uploader(memory, nothingReady(), failures, Duration.ofMillis(1500));
        assertEquals(0, idle.run());
        // 1.5 s of nothing to do: about 75 listings at one per 20 ms, 6 or 7 at one per 250 ms
        assertTrue(idle.listings() <= 12, () -> idle.listings() + " listings in 1.5 s idle");
        assertEquals(List.of(), failures);
    }

    @Test
    void aFileMadeReadyWhileTheUploaderIdlesIsStored() throws Exception {
        ArchiveSpool spool = nothingReady();
        List<String> failures = new CopyOnWriteArrayList<>();
        AsyncUploader uploader = uploader(memory, spool, failures, Duration.ofSeconds(2));
        CompletableFuture<Integer> run = inBackground(uploader);
        while (uploader.listings() < 2) { // it has looked and found nothing: idle
            Thread.sleep(10);
        }
        String wal = "000000010000000000000001";
        ready(wal);
        assertEquals(1, run.get(30, TimeUnit.SECONDS), "stored before the idle timeout ran out");
        assertTrue(spool.hasOk(wal));
        assertTrue(memory.stat("pg/wals/0000000100000000/" + wal).isPresent());
        assertEquals(List.of(), failures);
    }

    /** An empty archive_status, and the spool. */
    private ArchiveSpool nothingReady() throws IOException {
        Files.createDirectories(pgWal.resolve("archive_status"));
        return new ArchiveSpool(spoolDir, KEY).create();
    }

    private static CompletableFuture<Integer> inBackground(AsyncUploader uploader) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return uploader.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void uploadsBufferNoMoreThanTheirShareOfTheHeapWhateverMaxParallel() throws Exception {
        String[] names = new String[12];
        for (int i = 0; i < names.length; i++) {
            names[i] = String.format("0000000100000000000000%02X", i + 1);
        }
        ready(names); // 1 MiB files: each upload takes 2 MiB of the budget (the file and its codec's MiB)
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        CountingWrites counting = new CountingWrites(memory);
        List<String> failures = new CopyOnWriteArrayList<>();
        WalArchiver archiver = new WalArchiver(counting, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        int stored = new AsyncUploader(archiver, spool, pgWal, 8, Duration.ofMillis(200), listener(failures),
                5L << 20).run();
        assertEquals(names.length, stored);
        assertEquals(List.of(), failures);
        assertEquals(2, counting.most, "5 MiB of buffers hold two uploads of 2 MiB, not the 8 --max-parallel allows");
        for (String wal : names) {
            assertTrue(spool.hasOk(wal), wal);
        }
    }

    @Test
    void anUploadReservesWhatTheStoresWriterBuffersNotJustTheFile() throws Exception {
        // an Azure store with large blocks, say: its writer holds three times a 1 MiB file (the single put's
        // buffer and the blocks in flight); with the file's MiB and the codec's, two uploads need 8 MiB
        String[] names = {"000000010000000000000001", "000000010000000000000002", "000000010000000000000003"};
        ready(names);
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        CountingWrites counting = new CountingWrites(new ForwardingBlobStore(memory) {
            @Override
            public long writeBufferNeed(long size) {
                return 3 * size;
            }
        });
        List<String> failures = new CopyOnWriteArrayList<>();
        WalArchiver archiver = new WalArchiver(counting, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        assertEquals(names.length, new AsyncUploader(archiver, spool, pgWal, 8, Duration.ofMillis(200),
                listener(failures), 7L << 20).run());
        assertEquals(List.of(), failures);
        assertEquals(1, counting.most, "7 MiB of buffers hold one upload of 4 MiB at a time");
    }

    @Test
    void anUploadThatRunsOutOfMemoryLeavesAnErrorMarkSayingSoAndTheOthersGoOn() throws Exception {
        ready("000000010000000000000001", "000000010000000000000002");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> failures = new CopyOnWriteArrayList<>();
        BlobStore exhausted = new ForwardingBlobStore(memory) {
            @Override
            public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
                if (key.endsWith("01")) {
                    throw new OutOfMemoryError("Java heap space");
                }
                return super.openWrite(key, options);
            }
        };
        assertEquals(1, uploader(exhausted, spool, failures).run());
        assertTrue(spool.hasOk("000000010000000000000002"));
        String reason = spool.takeError("000000010000000000000001").orElseThrow().reason();
        assertTrue(reason.startsWith("out of memory while storing 000000010000000000000001"), reason);
        assertTrue(reason.contains("give the uploader more heap"), reason);
        assertEquals(1, failures.size(), failures::toString);
    }

    /**
     * Logging can fail (out of file descriptors, the JVM could not load its time zone data and every log
     * call threw): the error mark, which the waiting call reads, is written first and stays.
     */
    @Test
    void anErrorMarkIsWrittenBeforeTheFailureIsLoggedAndSurvivesLoggingThatThrows() throws Exception {
        ready("000000010000000000000001", "000000010000000000000002", "000000010000000000000003",
                "000000010000000000000004", "000000010000000000000005");
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        List<String> markedWhenLogged = new CopyOnWriteArrayList<>();
        WalArchiver archiver = new WalArchiver(new RefusingWrites(memory), LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        new AsyncUploader(archiver, spool, pgWal, 1, Duration.ofMillis(200), new AsyncUploader.Listener() {
            @Override
            public void stored(String wal, WalArchiver.Outcome outcome) {
            }

            @Override
            public void failed(String wal, ArchiveSpool.Failure failure) {
                if (spool.hasError(wal)) {
                    markedWhenLogged.add(wal);
                }
                throw new NoClassDefFoundError("Could not initialize class sun.util.calendar.ZoneInfoFile");
            }
        }).run();
        // one worker thread, whose every report threw: it survived each, and every file got its mark
        assertEquals(5, markedWhenLogged.size(), markedWhenLogged::toString);
        for (String wal : markedWhenLogged) {
            assertTrue(spool.takeError(wal).orElseThrow().reason().contains("store refuses writes"), wal);
        }
    }

    /**
     * A spool that takes no ok mark (a full disk): the segment is stored, but without a mark the uploader
     * found it ready again at every 20 ms scan and checked it against the store anew (a listing and a
     * read, billed on S3), at 15 % of a core. It now pauses, longer each time.
     */
    @Test
    void aSpoolThatTakesNoOkMarkMakesTheUploaderPause() throws Exception {
        String wal = "000000010000000000000001";
        ready(wal);
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        // in the way of the ok mark the thread storing the file writes next (a full disk in life)
        BlobStore blockingOkMarks = new ForwardingBlobStore(memory) {
            @Override
            public long writeBufferNeed(long size) { // asked by the upload's thread before it stores
                try {
                    Files.createDirectories(spool.directory().resolve("." + wal + ".ok.tmp-"
                            + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId()).resolve("in-the-way"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return super.writeBufferNeed(size);
            }
        };
        List<Duration> pauses = new CopyOnWriteArrayList<>();
        WalArchiver archiver = new WalArchiver(blockingOkMarks, LAYOUT,
                new WalArchiver.Options(Compression.NONE, CompressionLevel.DEFAULT, Map.of(), Map.of()));
        long started = System.nanoTime();
        int stored = new AsyncUploader(archiver, spool, pgWal, 3, Duration.ofMillis(1500), new AsyncUploader.Listener() {
            @Override
            public void stored(String name, WalArchiver.Outcome outcome) {
            }

            @Override
            public void failed(String name, ArchiveSpool.Failure failure) {
                throw new AssertionError("no error mark for a stored segment: " + failure);
            }

            @Override
            public void spoolUnwritable(IOException failure, Duration pause) {
                pauses.add(pause);
            }
        }).run();
        assertEquals(0, stored, "no ok mark, so no call hears of it from the spool");
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), pauses,
                "tried once, again after a second, then idle long enough to exit");
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos());
        assertFalse(spool.hasError(wal));
        assertTrue(memory.stat("pg/wals/0000000100000000/" + wal).isPresent(), "stored all the same");
    }

    /** A mark writer killed between create and rename left its temporary file: the next uploader removes it. */
    @Test
    void anUploaderRemovesTheTemporaryFilesOfMarkWritersThatAreGone() throws Exception {
        ready();
        ArchiveSpool spool = new ArchiveSpool(spoolDir, KEY).create();
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path dead = Files.createFile(spool.directory().resolve(".000000010000000000000001.ok.tmp-" + gone.pid() + "-1"));
        Path alive = Files.createFile(spool.directory().resolve(".000000010000000000000002.ok.tmp-"
                + ProcessHandle.current().pid() + "-99"));
        uploader(memory, spool, new CopyOnWriteArrayList<>()).run();
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(alive), "a running writer's file is its own");
    }

    private static AsyncUploader.Listener listener(List<String> failures) {
        return new AsyncUploader.Listener() {
            @Override
            public void stored(String wal, WalArchiver.Outcome outcome) {
            }

            @Override
            public void failed(String wal, ArchiveSpool.Failure failure) {
                failures.add(wal + ": " + failure.reason());
            }
        };
    }

    /** Counts the writes open at once, each held open a moment so that uploads overlap. */
    private static final class CountingWrites extends ForwardingBlobStore {
        private int open;
        int most;

        CountingWrites(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
            synchronized (this) {
                open++;
                most = Math.max(most, open);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ForwardingBlobOutputStream(super.openWrite(key, options)) {
                private boolean done;

                private void closed() {
                    if (!done) {
                        done = true;
                        CountingWrites.this.closed();
                    }
                }

                @Override
                public void abort() throws IOException {
                    try {
                        super.abort();
                    } finally {
                        closed();
                    }
                }

                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        closed();
                    }
                }
            };
        }

        private synchronized void closed() {
            open--;
        }
    }

    private static final class RefusingWrites extends ForwardingBlobStore {
        RefusingWrites(BlobStore delegate) {
            super(delegate);
        }

        @Override
        public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
            throw new StoreUnavailableException("store refuses writes", null);
        }
    }

    /** A listener that ignores what is stored and what fails; tests override what they look at. */
    private abstract static class QuietListener implements AsyncUploader.Listener {
        @Override
        public void stored(String wal, WalArchiver.Outcome outcome) {
        }

        @Override
        public void failed(String wal, ArchiveSpool.Failure failure) {
        }
    }
}
