package io.cumulus.storage.gcs;

import java.net.URI;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The storage contract against a real GCS emulator (such as fake-gcs-server) at {@code
 * STORAGE_EMULATOR_HOST}. It runs only where that variable is set, as the Google libraries honour
 * it; the build machines have no emulator, so {@link GcsFakeServerTest} is what always runs over HTTP.
 */
@EnabledIfEnvironmentVariable(named = "STORAGE_EMULATOR_HOST", matches = ".+")
class GcsEmulatorTest extends GcsJsonApiContractTest {

    @Override
    protected URI endpoint() {
        String host = System.getenv("STORAGE_EMULATOR_HOST");
        // the variable is host:port for most tools, a URL for some
        return URI.create(host.contains("://") ? host : "http://" + host);
    }
}
