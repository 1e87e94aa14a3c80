package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cumulus.cli.PrebuiltModelCheck;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cumulus-wal-archive parses its arguments with a model built at packaging time: the same parse, the same answers. */
class WalArchiveModelTest {

    private static final List<String[]> ARCHIVE_COMMANDS = List.of(
            new String[] {"s3://bucket/path", "pg", "pg_wal/000000010000000000000001"},
            new String[] {"--endpoint-url", "http://127.0.0.1:9000", "-z", "s3://b/p", "pg", "pg_wal/x"},
            new String[] {"--async", "--spool-dir", "/var/spool/cumulus", "--max-parallel", "8", "--async-timeout=30",
                    "--zstd", "--compression-level", "high", "s3://b/p", "pg", "pg_wal/x"},
            new String[] {"--async-uploader", "--spool-key=abc", "--async-idle-timeout", "5", "s3://b/p", "pg", "/x"},
            new String[] {"-vv", "--cloud-provider", "azure-blob-storage", "--credential", "managed-identity",
                    "--max-block-size", "4MB", "--max-concurrency", "2", "--max-single-put-size", "8MB",
                    "https://a.blob.core.windows.net/c/p", "pg", "x"},
            new String[] {"-q", "-P", "profile", "--read-timeout", "10", "-e", "aws:kms", "--sse-kms-key-id", "k",
                    "s3://b/p", "pg", "x"},
            new String[] {"--cloud-provider=google-cloud-storage", "--kms-key-name", "projects/p/keys/k", "gs://b/p",
                    "pg", "x"},
            new String[] {"--encryption-scope", "scope", "--tags", "a,b", "c,d", "--", "s3://b/p", "pg", "x"},
            new String[] {"--tag", "a,b", "--tag", "c,d", "--history-tags", "h,1", "--history-tag", "h,2",
                    "s3://b/p", "pg", "x"},
            new String[] {"--tags", "-z", "s3://b/p", "pg", "x"},
            new String[] {"s3://b/p", "pg", "x", "--tags", "a,b", "--tags", "c,d", "--history-tags"},
            new String[] {"-t", "s3://b/p", "pg"},
            new String[] {"-j", "-z", "s3://b/p", "pg", "x"},
            new String[] {"--help"},
            new String[] {"--version"},
            new String[] {},
            new String[] {"s3://b/p"},
            new String[] {"--bogus", "s3://b/p", "pg", "x"},
            new String[] {"--max-parallel", "lots", "s3://b/p", "pg", "x"},
            new String[] {"--endpoint-url", "http://bad host", "s3://b/p", "pg", "x"},
            new String[] {"s3://b/p", "pg", "x", "y"});

    @Test
    void thePackagedModelParsesAndAnswersAsTheAnnotations() throws Exception {
        assertEquals(List.of(), PrebuiltModelCheck.problems(WalArchiveCommand::new, ARCHIVE_COMMANDS));
    }
}
