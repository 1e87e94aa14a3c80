package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * D3 of review 23, with real PostgreSQL 15: two standbys of one primary, each archiving with the primary's
 * {@code --async} archive_command, promoted one after the other. Both pick timeline 2, each at its own switch
 * point. The second's {@code 00000002.history} is refused (different content), and PostgreSQL, which archives a
 * history file before
 * anything else, archives nothing more of it; the uploader shipped its timeline 2 segments all the same, under
 * the names the first (the real new primary) was about to write, whose archive_command was then refused.
 */
class AsyncArchivingAfterTwoPromotionsTest {

    private static final String SERVER = "main";
    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    private final FileArchiveStore store = new FileArchiveStore();
    private final Path spool = PostgresUser.createTempDir("cumulus-e2e-promotions-spool-");
    private final Path copies = PostgresUser.createTempDir("cumulus-e2e-promotions-");
    private PgCluster primary;
    private PgCluster first;
    private PgCluster second;

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(second, first, primary, () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, spool),
                () -> PostgresUser.deleteRecursively(spool), () -> PostgresUser.deleteRecursively(copies), store);
    }

    @Test
    void theSecondServerPromotedToTimeline2StoresNothingAndTheFirstKeepsArchiving() throws Exception {
        String archiveCommand = store.archiveCommand(SERVER, "--async", "--spool-dir", spool.toString(),
                "--async-timeout", "20");
        primary = PgCluster.builder().walSegmentSizeMb(1).archiveCommand(archiveCommand).start();
        primary.execute("CREATE TABLE t (id int)");
        primary.awaitArchived(primary.switchWal(), TIMEOUT);
        // standbys without restore_command or primary_conninfo: each promotion picks timeline 2, where its copy
        // ends (two copies of one end would write the same history file, which is no sign of anything)
        Path firstCopy = copies.resolve("first");
        primary.pgBasebackup(firstCopy, PgCluster.WalMethod.STREAM);
        primary.execute("INSERT INTO t VALUES (0)");
        primary.awaitArchived(primary.switchWal(), TIMEOUT);
        Path secondCopy = copies.resolve("second");
        primary.pgBasebackup(secondCopy, PgCluster.WalMethod.STREAM);
        first = standby(firstCopy, archiveCommand);
        second = standby(secondCopy, archiveCommand);

        first.promote();
        first.execute("INSERT INTO t VALUES (1)");
        first.awaitArchived(first.switchWal(), TIMEOUT);
        assertTrue(store.read(Wal.key(SERVER, "00000002.history")).isPresent(), "the first's history file");

        second.promote();
        second.execute("INSERT INTO t VALUES (2)");
        second.switchWal();
        second.execute("INSERT INTO t VALUES (3)");
        String secondsLast = second.switchWal();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (Archiver.status(second).failedCount() == 0) {
            assertTrue(System.nanoTime() < deadline, () -> "no archive_command failure: " + second.serverLogTail(30));
            Thread.sleep(100);
        }
        assertEquals("00000002.history", Archiver.status(second).lastFailedWal());
        assertTrue(second.serverLog().contains("WAL file 00000002.history is already archived"), second::serverLog);
        // the uploader takes a file on within 20 ms of its .ready: ample time to have shipped the others
        Thread.sleep(3_000);
        assertEquals(0, Archiver.status(second).archivedCount(), () -> Archiver.status(second).toString());
        assertEquals(List.of(), store.keys(Wal.key(SERVER, secondsLast)), "the second's segment is not stored");

        // a call for a held segment (by hand: PostgreSQL calls for the history file) fails at once, saying why
        ToolResult byHand = Tools.command("cumulus-wal-archive", "--async", "--spool-dir", spool.toString(),
                        "--async-timeout", "20", store.url(), SERVER, "pg_wal/" + secondsLast)
                .directory(second.dataDir()).asPostgres().timeout(TIMEOUT).run();
        assertEquals(1, byHand.exitCode(), byHand::describe);
        assertTrue(byHand.stderr().contains("not storing " + secondsLast + " yet: 00000002.history goes first"),
                byHand::describe);
        assertTrue(byHand.stderr().contains("different content"), byHand::describe);

        // the real new primary writes that name and archives it
        String firstsLast;
        do {
            first.execute("INSERT INTO t VALUES (4)");
            firstsLast = first.switchWal();
            first.awaitArchived(firstsLast, TIMEOUT);
        } while (firstsLast.compareTo(secondsLast) < 0);
        assertArrayEquals(Files.readAllBytes(first.dataDir().resolve("pg_wal").resolve(secondsLast)),
                store.read(Wal.key(SERVER, secondsLast)).orElseThrow(), "the first's own " + secondsLast);
    }

    private static PgCluster standby(Path copy, String archiveCommand) {
        return PgCluster.builder().fromDataDirectory(copy).recovery(PgCluster.Recovery.STANDBY)
                .setting("wal_keep_size", "1GB").archiveCommand(archiveCommand).start();
    }
}
