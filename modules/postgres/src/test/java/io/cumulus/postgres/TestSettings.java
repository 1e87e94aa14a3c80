package io.cumulus.postgres;

import io.cumulus.testsupport.PgCluster;
import java.nio.file.Path;
import java.util.Map;

/** Connection settings for a test cluster, resolved against an empty environment and a test home. */
final class TestSettings {

    private TestSettings() {
    }

    /** TCP to the cluster as {@code user}; {@code home} holds the .pgpass, if any. */
    static ConnectionSettings forCluster(PgCluster cluster, String user, String dbname, Path home) {
        return ConnectionSettings.resolve("127.0.0.1", Integer.toString(cluster.port()), user, dbname,
                new ClientEnvironment(Map.of(), home, "root"));
    }
}
