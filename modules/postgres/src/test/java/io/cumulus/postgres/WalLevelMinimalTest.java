package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.postgres.PostgresException.Reason;
import io.cumulus.testsupport.PgCluster;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalLevelMinimalTest {

    @TempDir
    Path home;

    @Test
    void serverWithWalLevelMinimalIsRefusedBeforeAnyBackupStarts() throws Exception {
        try (PgCluster cluster = PgCluster.start(Map.of("wal_level", "minimal", "max_wal_senders", "0"));
                PostgresServer server = PostgresServer.connect(
                        TestSettings.forCluster(cluster, PgCluster.SUPERUSER, "postgres", home))) {
            PostgresException check = assertThrows(PostgresException.class, server::checkBackupPossible);
            PostgresException start = assertThrows(PostgresException.class, () -> server.startBackup("x", true));

            assertEquals(Reason.WAL_LEVEL, check.reason());
            assertTrue(check.getMessage().contains("wal_level must be replica or logical"), check.getMessage());
            assertEquals(Reason.WAL_LEVEL, start.reason());
            assertEquals("minimal", server.facts().walLevel());
        }
    }
}
