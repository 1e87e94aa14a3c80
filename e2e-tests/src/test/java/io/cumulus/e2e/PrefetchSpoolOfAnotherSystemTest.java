package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A prefetch spool left by the recovery of one database system is never served to the recovery of
 * another under the same restore_command, in the same data directory.
 *
 * <p>System A archives, and a recovery of it with {@code --prefetch} stops at a restore point: the
 * segments its worker fetched past that point stay in the spool. The archive behind the same URL and
 * server name is then rebuilt by system B (a new initdb: segment names start again from 1), and B's
 * base backup is recovered in the directory A's recovery used, with the same restore_command and spool
 * directory. It was served A's leftovers: PostgreSQL logged "WAL file is from different database
 * system", ended recovery there and promoted, B's last rows missing, every exit code 0.
 */
class PrefetchSpoolOfAnotherSystemTest {

    private static final String SERVER = "main";
    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(3);

    private final FileArchiveStore store = new FileArchiveStore();
    private final Path work = PostgresUser.createTempDir("cumulus-e2e-leftovers-");
    private final Path spool = work.resolve("spool");
    private PgCluster primary;
    private PgCluster recovered;

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(primary, recovered,
                () -> BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, spool),
                () -> PostgresUser.deleteRecursively(work), store);
    }

    @Test
    void theRecoveryOfAnotherSystemInTheSameDirectoryFetchesTheStoresSegments() throws Exception {
        String restoreCommand = store.restoreCommand(SERVER, "-v", "--prefetch", "8", "--spool-dir", spool.toString());

        // system A: a base backup, a restore point, then a dozen segments past it
        primary = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(store.archiveCommand(SERVER)).start();
        primary.execute("CREATE TABLE rows (system text, n int)");
        primary.awaitArchived(primary.switchWal(), ARCHIVE_TIMEOUT);
        Path baseA = work.resolve("base-a");
        primary.pgBasebackup(baseA, PgCluster.WalMethod.NONE);
        primary.execute("INSERT INTO rows SELECT 'a', g FROM generate_series(1, 1000) g");
        primary.execute("SELECT pg_create_restore_point('stop-here')");
        String last = writeSegments(primary, "a", 12);
        primary.awaitArchived(last, ARCHIVE_TIMEOUT);
        primary.close();
        primary = null;

        recovered = PgCluster.builder().fromDataDirectory(baseA).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand(restoreCommand).setting("recovery_target_name", "stop-here")
                .setting("recovery_target_action", "promote").startTimeout(RECOVERY_TIMEOUT).start();
        recovered.awaitRecoveryEnd(RECOVERY_TIMEOUT);
        assertEquals(1000L, recovered.queryLong("SELECT count(*) FROM rows"));
        recovered.stop();
        assertTrue(BackgroundWorkers.awaitNone(BackgroundWorkers.PREFETCHER, spool, Duration.ofSeconds(90)),
                "the prefetch worker still runs");
        List<String> leftovers = spooledSegments();
        assertFalse(leftovers.isEmpty(), "the recovery that stopped at its target left nothing in the spool");

        // the archive is rebuilt by system B, whose segments reach past A's leftovers
        PostgresUser.deleteRecursively(store.root().resolve(SERVER));
        primary = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(store.archiveCommand(SERVER)).start();
        primary.execute("CREATE TABLE rows (system text, n int)");
        primary.awaitArchived(primary.switchWal(), ARCHIVE_TIMEOUT);
        Path baseB = work.resolve("base-b");
        primary.pgBasebackup(baseB, PgCluster.WalMethod.NONE);
        int batches = 0;
        String lastLeftover = leftovers.get(leftovers.size() - 1);
        while (primary.currentWalFile().compareTo(lastLeftover) <= 0 || batches < 4) {
            last = writeSegments(primary, "b" + batches, 1);
            batches++;
        }
        primary.awaitArchived(last, ARCHIVE_TIMEOUT);
        long rowsOfB = primary.queryLong("SELECT count(*) FROM rows");
        primary.close();
        primary = null;

        // B's base backup in the directory A's recovery used, with the same restore_command
        Path data = recovered.dataDir();
        String conf = Files.readString(data.resolve("postgresql.conf"));
        Command.of("rm", "-rf", data.toString()).asPostgres().directory(work).runSuccessfully();
        Command.of("cp", "-a", baseB.toString(), data.toString()).asPostgres().directory(work).runSuccessfully();
        Files.writeString(data.resolve("postgresql.conf"), conf);
        Files.writeString(data.resolve("recovery.signal"), "");
        PostgresUser.chown(data.resolve("postgresql.conf"));
        PostgresUser.chown(data.resolve("recovery.signal"));
        recovered.appendSettings(Map.of("recovery_target_name", "")); // to the end of the archive
        long logStart = Files.size(recovered.logFile());
        recovered.start();
        recovered.awaitRecoveryEnd(RECOVERY_TIMEOUT);
        String log = Files.readString(recovered.logFile()).substring((int) logStart);

        assertFalse(log.contains("from different database system"), log);
        assertTrue(log.contains("restored log file \"" + lastLeftover + "\" from archive"), log);
        assertEquals(rowsOfB, recovered.queryLong("SELECT count(*) FROM rows"), log);
        assertEquals(0L, recovered.queryLong("SELECT count(*) FROM rows WHERE system = 'a'"));
    }

    /** Writes rows tagged {@code system} and switches WAL {@code segments} times; returns the last segment switched from. */
    private static String writeSegments(PgCluster cluster, String system, int segments) {
        String last = null;
        for (int i = 0; i < segments; i++) {
            cluster.execute("INSERT INTO rows SELECT '" + system + "', g FROM generate_series(1, 2000) g");
            last = cluster.switchWal();
        }
        return last;
    }

    /** The segments in the spools of every restore_command set-up, in WAL order. */
    private List<String> spooledSegments() throws IOException {
        Path keys = spool.resolve("archive-in");
        if (!Files.isDirectory(keys)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(keys, 2)) {
            return files.map(file -> file.getFileName().toString())
                    .filter(name -> Wal.SEGMENT_NAME.matcher(name).matches()).sorted().toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
