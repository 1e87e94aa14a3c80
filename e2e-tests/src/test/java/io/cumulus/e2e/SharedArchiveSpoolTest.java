package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two clusters on one host with the same {@code archive_command --async} text and spool: a copy of the first
 * made with pg_basebackup and started as its own primary (its configuration, archive_command with it, comes
 * along). Both write segments of the same names with other content into the same store and server name.
 * Each segment PostgreSQL marks {@code .done} must be stored with its own cluster's bytes: the other's call
 * fails ("different content"), never exits 0 on the first cluster's mark.
 */
class SharedArchiveSpoolTest {

    private static final String SERVER = "main";
    private static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(120);

    private final FileArchiveStore store = new FileArchiveStore();
    private final Path spool = PostgresUser.createTempDir("cumulus-e2e-shared-spool-");
    private Path copyParent;
    private PgCluster original;
    private PgCluster copy;

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(original, copy, () -> BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, spool),
                () -> PostgresUser.deleteRecursively(spool), () -> PostgresUser.deleteRecursively(copyParent), store);
    }

    @Test
    void aCopyStartedAsItsOwnPrimaryNeverTakesTheOriginalsMarks() throws Exception {
        String archiveCommand = store.archiveCommand(SERVER, "--async", "--spool-dir", spool.toString(),
                "--async-timeout", "10");
        // every segment marked .done stays in pg_wal, to be compared with the stored copy
        original = PgCluster.builder().walSegmentSizeMb(1).setting("autovacuum", "off")
                .setting("wal_keep_size", "1GB").archiveCommand(archiveCommand).start();
        original.execute("CREATE TABLE g (a int)");
        original.awaitArchived(original.switchWal(), ARCHIVE_TIMEOUT);
        copyParent = PostgresUser.createTempDir("cumulus-e2e-copy-");
        original.pgBasebackup(copyParent.resolve("data"), PgCluster.WalMethod.STREAM);
        // the fixture turns archiving off in a copy unless told: the same command, as the copied configuration has
        copy = PgCluster.builder().fromDataDirectory(copyParent.resolve("data")).archiveCommand(archiveCommand).start();
        assertEquals(archiveCommand, copy.queryString("SHOW archive_command"), "the copy archives as the original");

        CompletableFuture<Void> onOriginal = CompletableFuture.runAsync(() -> load(original));
        CompletableFuture<Void> onCopy = CompletableFuture.runAsync(() -> load(copy));
        onOriginal.get();
        onCopy.get();
        // let every call end: stored, refused (exit 1) or timed out, and PostgreSQL retry some
        Thread.sleep(25_000);

        int compared = 0;
        List<String> foreign = new ArrayList<>();
        for (PgCluster cluster : List.of(original, copy)) {
            for (String name : Archiver.marked(cluster, ".done")) {
                if (!Wal.SEGMENT_NAME.matcher(name).matches()) {
                    continue;
                }
                Optional<byte[]> own = pgWal(cluster, name);
                if (own.isEmpty()) {
                    continue;
                }
                Optional<byte[]> stored = store.read(Wal.key(SERVER, name));
                if (stored.isEmpty() || !Arrays.equals(own.get(), stored.get())) {
                    foreign.add(name + " of the cluster on port " + cluster.port());
                }
                compared++;
            }
        }
        assertEquals(List.of(), foreign, "segments PostgreSQL marked .done whose stored bytes are not its own");
        // the cluster refused first stops there (PostgreSQL archives in order); the other goes on
        assertTrue(compared >= 4, "too few segments compared: " + compared);
        String logs = original.serverLog() + copy.serverLog();
        assertTrue(logs.contains("different content"), "the cluster that came second for a name is refused, as a"
                + " synchronous call refuses it: " + copy.serverLogTail(30));
    }

    /** Twelve segments of this cluster's own content, in quick succession. */
    private static void load(PgCluster cluster) {
        for (int i = 0; i < 12; i++) {
            cluster.execute("INSERT INTO g SELECT generate_series(1, 2000)");
            cluster.switchWal();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Optional<byte[]> pgWal(PgCluster cluster, String name) {
        try {
            return Optional.of(Files.readAllBytes(cluster.dataDir().resolve("pg_wal").resolve(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
