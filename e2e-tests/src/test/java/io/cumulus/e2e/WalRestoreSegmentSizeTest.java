package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * cumulus-wal-restore refuses a segment of another size than the one PostgreSQL 15's global/pg_control
 * gives: a cluster re-initialised by {@code pg_resetwal --wal-segsize} keeps its database system identifier,
 * so only the size tells its WAL from the WAL it archived before. PostgreSQL itself would stop on "archive
 * file ... has wrong size", or, on a standby given a shorter file, quietly ask again.
 */
class WalRestoreSegmentSizeTest {

    private static final String SERVER = "main";
    private static final Pattern REDO_WAL_FILE = Pattern.compile("(?m)^Latest checkpoint's REDO WAL file:\\s+(\\S+)$");

    private final FileArchiveStore store = new FileArchiveStore();
    private PgCluster cluster;

    @AfterEach
    void cleanUp() {
        Cleanup.closeAll(cluster, store);
    }

    @Test
    void aSegmentArchivedBeforePgResetwalChangedTheSegmentSizeIsRefused() throws Exception {
        cluster = PgCluster.builder().walSegmentSizeMb(1).create();
        Path data = cluster.dataDir();
        Matcher redo = REDO_WAL_FILE.matcher(cluster.pgCommand("pg_controldata", data.toString()).runSuccessfully().stdout());
        assertTrue(redo.find());
        String wal = redo.group(1);
        store.walArchive(SERVER, data.resolve("pg_wal").resolve(wal)).asPostgres().runSuccessfully();
        Path dest = data.resolve("pg_wal/RECOVERYXLOG");

        // the cluster that wrote it takes it back: its pg_control is read as PostgreSQL 15 wrote it
        ToolResult restored = store.walRestore(SERVER, wal, dest).asPostgres().directory(data).run();
        assertEquals(0, restored.exitCode(), restored::describe);
        assertEquals(1 << 20, Files.size(dest));
        Files.delete(dest);

        // 16 MB segments from now on, the same database system
        cluster.pgCommand("pg_resetwal", "--wal-segsize=16", data.toString()).runSuccessfully();
        String refusal = "archived object " + SERVER + "/wals/" + wal.substring(0, 16) + "/" + wal + " is a WAL segment"
                + " of 1048576 bytes (its first page's xlp_seg_size), but this cluster's segments have 16777216"
                + " (global/pg_control): WAL of a cluster with another segment size is stored under this server name;"
                + " point restore_command at this cluster's own archive; refusing to hand it to PostgreSQL";
        ToolResult byHand = store.walRestore(SERVER, wal, dest).asPostgres().directory(data).run();
        assertEquals(1, byHand.exitCode(), byHand::describe);
        assertTrue(byHand.stderr().contains(refusal), byHand::describe);
        assertFalse(Files.exists(dest));

        // during archive recovery, recovery stops rather than end at the archive's supposed end
        Files.createFile(data.resolve("recovery.signal"));
        PostgresUser.chown(data.resolve("recovery.signal"));
        ToolResult inRecovery = store.walRestore(SERVER, wal, dest).asPostgres().directory(data).run();
        assertEquals(128, inRecovery.exitCode(), inRecovery::describe);
        assertTrue(inRecovery.stderr().contains(refusal), inRecovery::describe);
        assertFalse(Files.exists(dest));
    }
}
