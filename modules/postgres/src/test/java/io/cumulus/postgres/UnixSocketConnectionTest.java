package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.postgres.PostgresException.Reason;
import io.cumulus.testsupport.PgCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections over the cluster's Unix socket, as libpq makes them for a socket directory: the
 * cluster's pg_hba.conf lets role sockonly in over the socket and rejects it over TCP, so only a real
 * socket connection gets through. (Peer authentication as the postgres OS user is in the e2e tests.)
 */
class UnixSocketConnectionTest {

    private static PgCluster cluster;

    @TempDir
    Path home;

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = PgCluster.start(Map.of());
        cluster.execute("CREATE ROLE sockonly LOGIN");
        Path hba = cluster.dataDir().resolve("pg_hba.conf");
        Files.writeString(hba, "local all sockonly trust\nhost all sockonly 127.0.0.1/32 reject\n"
                + "host all sockonly ::1/128 reject\n" + Files.readString(hba));
        cluster.reload();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ClientEnvironment env(Map<String, String> variables) {
        return new ClientEnvironment(variables, home, "root");
    }

    /** pg_stat_activity's client_port of the server's session: -1 for a Unix socket. */
    private static String clientPort(PostgresServer server) {
        return cluster.queryString("SELECT client_port FROM pg_stat_activity WHERE pid = " + server.backendPid());
    }

    @Test
    void aSocketDirectoryHostConnectsOverTheSocket() throws Exception {
        String dir = cluster.socketDir().toString();
        ConnectionSettings settings = ConnectionSettings.resolve(dir, Integer.toString(cluster.port()), "sockonly",
                "postgres", env(Map.of()));

        assertTrue(settings.unixSocket());
        assertEquals(dir + "/.s.PGSQL." + cluster.port(), settings.socketPath().orElseThrow());
        assertTrue(settings.notices().isEmpty(), settings.notices().toString());
        try (PostgresServer server = PostgresServer.connect(settings)) {
            assertEquals("-1", clientPort(server));
        }
    }

    @Test
    void pghostNamingTheSocketDirectoryConnectsOverTheSocketEvenWithSslmodeRequire() throws Exception {
        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null, "postgres", env(Map.of(
                "PGHOST", cluster.socketDir().toString(), "PGPORT", Integer.toString(cluster.port()),
                "PGUSER", "sockonly", "PGSSLMODE", "require")));

        try (PostgresServer server = PostgresServer.connect(settings)) {
            assertEquals("-1", clientPort(server));
        }
    }

    @Test
    void tcpIsStillTcpAndRejectedHere() {
        ConnectionSettings tcp = ConnectionSettings.resolve("127.0.0.1", Integer.toString(cluster.port()), "sockonly",
                "postgres", env(Map.of()));

        assertFalse(tcp.unixSocket());
        PostgresException rejected = assertThrows(PostgresException.class, () -> PostgresServer.connect(tcp));
        assertEquals(Reason.AUTHENTICATION, rejected.reason(), rejected.getMessage());
    }

    @Test
    void aMissingSocketIsAConnectionFailureNamingTheSocket() throws Exception {
        Path empty = Files.createDirectory(home.resolve("nosockets"));
        ConnectionSettings settings = ConnectionSettings.resolve(empty.toString(), "5999", "postgres", "postgres",
                env(Map.of()));

        PostgresException failure = assertThrows(PostgresException.class, () -> PostgresServer.connect(settings));

        assertEquals(Reason.CONNECTION, failure.reason());
        assertTrue(failure.getMessage().contains(empty + "/.s.PGSQL.5999"), failure.getMessage());
    }
}
