package io.cumulus.e2e;

import io.cumulus.testsupport.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The barman-cloud 3.4 tools of the Debian package, pointed at the S3Proxy behind an {@link
 * S3ArchiveStore}: credentials in the environment, path-style addressing from an AWS config file
 * (boto3 takes it from nowhere else), {@code --endpoint-url} on the command line.
 */
final class BarmanCloud {

    private final S3ArchiveStore store;
    private final Path awsConfig;
    private final Path work;

    /** @param work a directory for the AWS config file, readable by the PostgreSQL user */
    BarmanCloud(S3ArchiveStore store, Path work) {
        this.store = store;
        this.work = work;
        try {
            this.awsConfig = Files.writeString(work.resolve("aws-config"), "[default]\ns3 =\n    addressing_style = path\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code tool [args] --endpoint-url ...}, ready to run (as this user or the PostgreSQL user). */
    Command command(String tool, String... args) {
        return Command.of(tool, args).args(List.of("--endpoint-url", store.endpoint())).env(Map.of(
                "AWS_ACCESS_KEY_ID", store.accessKey(),
                "AWS_SECRET_ACCESS_KEY", store.secretKey(),
                "AWS_DEFAULT_REGION", S3ArchiveStore.REGION,
                "AWS_CONFIG_FILE", awsConfig.toString(),
                "AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-credentials-file").toString(),
                "AWS_EC2_METADATA_DISABLED", "true"));
    }
}
