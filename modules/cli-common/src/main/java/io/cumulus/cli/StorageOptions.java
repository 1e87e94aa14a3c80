package io.cumulus.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** The storage options every tool takes (reference §1.1): provider, endpoint, profile, timeouts. */
public final class StorageOptions {

    @Option(names = "--cloud-provider", paramLabel = "PROVIDER",
            description = "aws-s3 (default), azure-blob-storage or google-cloud-storage. Ignored for file:// URLs.")
    String cloudProvider;

    @Option(names = "--endpoint-url", paramLabel = "URL",
            description = "S3 endpoint, for S3-compatible stores (path-style addressing is used with it).")
    URI endpointUrl;

    @Option(names = {"-P", "--aws-profile", "--profile"}, paramLabel = "PROFILE",
            description = "AWS profile from the AWS config and credentials files.")
    String awsProfile;

    @Option(names = "--read-timeout", paramLabel = "SECONDS",
            description = "S3 read timeout in seconds (default 60).")
    Integer readTimeout;

    public String cloudProvider() {
        return cloudProvider;
    }
}
