package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cumulus.postgres.PostgresException.Reason;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.Ports;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host list whose first server is dead, as libpq (and barman-cloud-backup) takes it: the next one
 * is tried. The cluster, a primary, listens on 127.0.0.1 only, so 127.0.0.2 refuses.
 */
class MultiHostConnectionTest {

    private static PgCluster cluster;

    @TempDir
    Path home;

    @BeforeAll
    static void startCluster() {
        cluster = PgCluster.start(Map.of());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ConnectionSettings settings(String conninfo) {
        return ConnectionSettings.resolve(null, null, null, conninfo + " user=postgres dbname=postgres",
                new ClientEnvironment(Map.of(), home, "root"));
    }

    private static String serverAddress(PostgresServer server) {
        return cluster.queryString("SELECT host(client_addr) || ' ' || (SELECT setting FROM pg_settings WHERE name"
                + " = 'port') FROM pg_stat_activity WHERE pid = " + server.backendPid());
    }

    @Test
    void aDeadFirstHostIsPassedForTheNextAsLibpqDoes() throws Exception {
        ConnectionSettings settings = settings("host=127.0.0.2,127.0.0.1 port=" + cluster.port()
                + " target_session_attrs=read-write connect_timeout=5");

        try (PostgresServer server = PostgresServer.connect(settings)) {
            assertEquals("127.0.0.1 " + cluster.port(), serverAddress(server));
        }
    }

    @Test
    void aPortListPairsEachHostWithItsPort() throws Exception {
        ConnectionSettings settings = settings("host=127.0.0.1,127.0.0.1 port=" + Ports.freeLoopbackPort() + ","
                + cluster.port() + " target_session_attrs=any");

        try (PostgresServer server = PostgresServer.connect(settings)) {
            assertEquals("127.0.0.1 " + cluster.port(), serverAddress(server));
        }
    }

    @Test
    void targetSessionAttrsChoosesTheServersRole() throws Exception {
        String hosts = "host=127.0.0.2,127.0.0.1 port=" + cluster.port() + " connect_timeout=5";
        try (PostgresServer server = PostgresServer.connect(settings(hosts + " target_session_attrs=prefer-standby"))) {
            assertEquals("127.0.0.1 " + cluster.port(), serverAddress(server));
        }
        try (PostgresServer server = PostgresServer.connect(settings(hosts + " target_session_attrs=primary"))) {
            assertEquals("127.0.0.1 " + cluster.port(), serverAddress(server));
        }
        PostgresException noStandby = assertThrows(PostgresException.class,
                () -> PostgresServer.connect(settings(hosts + " target_session_attrs=standby")));
        assertEquals(Reason.CONNECTION, noStandby.reason(), noStandby.getMessage());
    }
}
