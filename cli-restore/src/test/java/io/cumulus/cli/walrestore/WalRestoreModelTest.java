package io.cumulus.cli.walrestore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cumulus.cli.PrebuiltModelCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cumulus-wal-restore parses its arguments with a model built at packaging time: the same parse, the same answers. */
class WalRestoreModelTest {

    private static final List<String[]> RESTORE_COMMANDS = List.of(
            new String[] {"s3://bucket/path", "pg", "000000010000000000000001", "pg_wal/RECOVERYXLOG"},
            new String[] {"--endpoint-url", "http://127.0.0.1:9000", "s3://b/p", "pg", "00000002.history", "x"},
            new String[] {"--prefetch", "8", "--spool-dir", "/var/spool/cumulus", "--retry-timeout=0", "--no-partial",
                    "s3://b/p", "pg", "000000010000000000000001", "pg_wal/RECOVERYXLOG"},
            new String[] {"--prefetch-worker", "--spool-key=abc", "--segment-size", "16777216", "--prefetch", "4",
                    "--spool-dir", "/s", "s3://b/p", "pg", "000000010000000000000001", "/x"},
            new String[] {"-vv", "--cloud-provider", "azure-blob-storage", "--credential", "managed-identity",
                    "https://a.blob.core.windows.net/c/p", "pg", "000000010000000000000001", "x"},
            new String[] {"-q", "-P", "profile", "--read-timeout", "10", "s3://b/p", "pg", "w", "x"},
            new String[] {"-t", "s3://b/p", "pg"},
            new String[] {"--help"},
            new String[] {"--version"},
            new String[] {},
            new String[] {"s3://b/p"},
            new String[] {"--bogus", "s3://b/p", "pg", "w", "x"},
            new String[] {"--prefetch", "lots", "s3://b/p", "pg", "w", "x"},
            new String[] {"s3://b/p", "pg", "w", "x", "y"});

    @Test
    void thePackagedModelParsesAndAnswersAsTheAnnotations() throws Exception {
        assertEquals(List.of(), PrebuiltModelCheck.problems(WalRestoreCommand::new, RESTORE_COMMANDS));
    }
}
