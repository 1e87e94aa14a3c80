package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.Log;
import io.cumulus.core.wal.ArchiveSpool;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the foreground logs of the uploader it starts. */
class AsyncArchivingTest {

    @TempDir
    Path dir;

    /** At -vv the uploader's command line is logged, an --endpoint-url's password not. */
    @Test
    void theUploadersCommandIsLoggedWithoutAnEndpointPassword() throws Exception {
        ArchiveSpool spool = new ArchiveSpool(dir.resolve("spool"), "0123456789abcdef").create();
        Path wal = Files.write(dir.resolve("000000010000000000000001"), new byte[0]);
        StringWriter err = new StringWriter();
        Log log = new Log(new PrintWriter(err, true), 10);
        new AsyncArchiving(spool, log, List.of("/bin/true", "--endpoint-url", "http://minio:SECRET@127.0.0.1:9000",
                "--endpoint-url=http://u:SECRET@h", "s3://b/p", "main"))
                .awaitStored(wal.getFileName().toString(), wal, Duration.ofMillis(50));
        assertTrue(err.toString().contains("starting uploader for spool key 0123456789abcdef: /bin/true --endpoint-url"
                + " http://***@127.0.0.1:9000 --endpoint-url=http://***@h s3://b/p main"), err.toString());
        assertFalse(err.toString().contains("SECRET"), err.toString());
    }
}
