package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The WAL tools driven by a real PostgreSQL 15 exactly as a user configures them: archive_command
 * calls cumulus-wal-archive, and a new cluster built from a base backup (taken without WAL) recovers
 * through a restore_command calling cumulus-wal-restore. Subclasses say which store is behind the URL.
 *
 * <p>The flow, once per class: rows "before-backup", base backup, rows "after-backup" over two
 * segments, a named restore point, rows "after-target", then a WAL switch and a wait until the
 * archiver has caught up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WalArchiveRestoreFlowTest {

    static final String SERVER = "pg-e2e";
    static final String RESTORE_POINT = "e2e-target";
    static final int BATCH = 100;

    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(180);
    private static final Pattern BACKUP_START =
            Pattern.compile("START WAL LOCATION: [0-9A-F]+/([0-9A-F]+) \\(file ([0-9A-F]{24})\\)");

    private ArchiveStore store;
    private PgCluster source;
    private Path backupParent;
    private Path baseBackup;
    private String backupStartSegment;
    private String backupHistoryName;
    private String lastArchivedSegment;

    /** The store under test; closed by this class. */
    protected abstract ArchiveStore openStore();

    /** The store {@link #openStore()} gave, for a subclass's own tests. */
    protected ArchiveStore store() {
        return store;
    }

    @BeforeAll
    void archiveWalAroundABaseBackup() throws IOException {
        store = openStore();
        source = PgCluster.builder().archiveCommand(store.archiveCommand(SERVER)).start();
        source.execute("CREATE TABLE events (id int PRIMARY KEY, phase text NOT NULL)");
        insertBatch("before-backup", 0);
        // archiving must work before pg_basebackup waits for it: this fails fast, with the server log
        source.awaitArchived(source.switchWal(), ARCHIVE_TIMEOUT);

        backupParent = PostgresUser.createTempDir("cumulus-e2e-basebackup-");
        baseBackup = backupParent.resolve("data");
        source.pgBasebackup(baseBackup, PgCluster.WalMethod.NONE);
        readBackupStart(Files.readString(baseBackup.resolve("backup_label")));

        insertBatch("after-backup", 1);
        source.switchWal();
        insertBatch("after-backup", 2);
        source.execute("SELECT pg_create_restore_point('" + RESTORE_POINT + "')");
        insertBatch("after-target", 3);
        lastArchivedSegment = source.switchWal();
        source.awaitArchived(lastArchivedSegment, ARCHIVE_TIMEOUT);
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(source, () -> PostgresUser.deleteRecursively(backupParent), store);
    }

    @Test
    void recoveryToARestorePointReplaysArchivedWalAndStopsThere() {
        try (PgCluster restored = recoveringCluster(Map.of(
                "recovery_target_name", RESTORE_POINT,
                "recovery_target_action", "promote"))) {
            restored.awaitRecoveryEnd(RECOVERY_TIMEOUT);

            assertEquals(Map.of("before-backup", (long) BATCH, "after-backup", 2L * BATCH), rowsByPhase(restored),
                    () -> "rows after recovery\n" + restored.serverLogTail(60));
            String log = restored.serverLog();
            assertTrue(log.contains("recovery stopping at restore point \"" + RESTORE_POINT + "\""), log);
            assertTrue(log.contains("restored log file \"" + backupStartSegment + "\" from archive"), log);
        }
    }

    @Test
    void recoveryWithoutATargetReplaysTheWholeArchive() {
        try (PgCluster restored = recoveringCluster(Map.of())) {
            restored.awaitRecoveryEnd(RECOVERY_TIMEOUT);

            assertEquals(Map.of("before-backup", (long) BATCH, "after-backup", 2L * BATCH,
                    "after-target", (long) BATCH), rowsByPhase(restored),
                    () -> "rows after recovery\n" + restored.serverLogTail(60));
            String log = restored.serverLog();
            assertTrue(log.contains("restored log file \"" + lastArchivedSegment + "\" from archive"), log);
        }
    }

    @Test
    void archivedObjectsFollowTheBarmanLayout() {
        List<String> expectedSegments = LongStream.rangeClosed(1, Wal.segmentNumber(lastArchivedSegment))
                .mapToObj(n -> segmentKey(Wal.segmentName(1, n)))
                .toList();
        String expectedBackupHistory = SERVER + "/wals/" + Wal.hashDir(backupStartSegment) + "/" + backupHistoryName;

        List<String> keys = store.keys(SERVER + "/");
        List<String> segments = keys.stream().filter(key -> key.matches(SERVER + "/wals/[0-9A-F]{16}/[0-9A-F]{24}"))
                .toList();
        List<String> others = keys.stream().filter(key -> !segments.contains(key)).toList();

        assertEquals(expectedSegments, segments, () -> "segment objects in " + store + ": " + keys);
        assertEquals(List.of(expectedBackupHistory), others, () -> "other objects in " + store + ": " + keys);
    }

    @Test
    void archivedSegmentsAreByteIdenticalToTheServersWal() throws IOException {
        int compared = 0;
        for (long n = 1; n <= Wal.segmentNumber(lastArchivedSegment); n++) {
            String name = Wal.segmentName(1, n);
            byte[] original;
            try {
                original = Files.readAllBytes(source.dataDir().resolve("pg_wal").resolve(name));
            } catch (NoSuchFileException recycled) {
                continue; // removed or recycled by a checkpoint: nothing left to compare with
            }
            Optional<byte[]> archived = store.read(segmentKey(name));
            assertTrue(archived.isPresent(), () -> name + " missing from " + store);
            assertArrayEquals(original, archived.get(), name + " differs from pg_wal");
            compared++;
        }
        assertTrue(compared > 0, "no segment left in pg_wal to compare with");
    }

    private PgCluster recoveringCluster(Map<String, String> recoveryTarget) {
        return PgCluster.builder()
                .fromDataDirectory(baseBackup)
                .recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(store.restoreCommand(SERVER))
                .settings(recoveryTarget)
                .startTimeout(RECOVERY_TIMEOUT)
                .start();
    }

    private void insertBatch(String phase, int batch) {
        source.execute("INSERT INTO events SELECT g, '" + phase + "' FROM generate_series("
                + (batch * BATCH + 1) + ", " + ((batch + 1) * BATCH) + ") g");
    }

    private static Map<String, Long> rowsByPhase(PgCluster cluster) {
        Map<String, Long> rows = new TreeMap<>();
        for (String line : cluster.queryColumn("SELECT phase || '=' || count(*) FROM events GROUP BY phase")) {
            String[] parts = line.split("=");
            rows.put(parts[0], Long.parseLong(parts[1]));
        }
        return rows;
    }

    /** backup_label names the segment the backup starts in; the backup history file is named after it. */
    private void readBackupStart(String backupLabel) {
        Matcher start = BACKUP_START.matcher(backupLabel);
        assertTrue(start.find(), backupLabel);
        backupStartSegment = start.group(2);
        long offsetInSegment = Long.parseLong(start.group(1), 16) % Wal.SEGMENT_SIZE;
        backupHistoryName = String.format("%s.%08X.backup", backupStartSegment, offsetInSegment);
    }

    private static String segmentKey(String segmentName) {
        return SERVER + "/wals/" + Wal.hashDir(segmentName) + "/" + segmentName;
    }
}
