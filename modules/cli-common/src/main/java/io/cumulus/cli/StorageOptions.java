package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.storage.ShownUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.OptionalInt;
import picocli.CommandLine.Option;

/**
 * The storage options every tool takes (reference §1.1): provider, endpoint, profile, timeouts, and
 * the Azure credential. Provider-specific options are ignored by the other providers, as in barman-cloud.
 */
public final class StorageOptions {

    @Option(names = "--cloud-provider", paramLabel = "PROVIDER",
            description = "aws-s3 (default), azure-blob-storage or google-cloud-storage. Ignored for file:// URLs.")
    String cloudProvider;

    // text, read by endpointUrl(): picocli's own URI conversion would echo a malformed URL, password and all
    @Option(names = "--endpoint-url", paramLabel = "URL",
            description = "S3 endpoint, for S3-compatible stores (default: AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL)."
                    + " Path-style addressing is used with it, unless the AWS profile sets s3 addressing_style.")
    String endpointUrl;

    @Option(names = {"-P", "--aws-profile", "--profile"}, paramLabel = "PROFILE",
            description = "AWS profile from the AWS config and credentials files.")
    String awsProfile;

    @Option(names = "--read-timeout", paramLabel = "SECONDS",
            description = "Read timeout in seconds (default 60).")
    Integer readTimeout;

    @Option(names = {"--azure-credential", "--credential"}, paramLabel = "CREDENTIAL",
            description = "Azure: azure-cli, managed-identity or default (DefaultAzureCredential). Without it:"
                    + " AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY, then the"
                    + " default chain.")
    String azureCredential;

    /** Set by a tool, never on the command line: see {@link #limitAttempts}. */
    private Integer maxAttempts;

    public String cloudProvider() {
        return cloudProvider;
    }

    /**
     * {@code --endpoint-url} (S3).
     *
     * @throws InvalidInputException when it is not a URL; the message shows it without its user info
     */
    public Optional<URI> endpointUrl() {
        if (endpointUrl == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new URI(endpointUrl));
        } catch (URISyntaxException e) {
            throw new InvalidInputException("invalid --endpoint-url '" + ShownUrls.withoutUserInfo(endpointUrl) + "': "
                    + e.getReason());
        }
    }

    /** {@code --aws-profile}. */
    public Optional<String> awsProfile() {
        return Optional.ofNullable(awsProfile);
    }

    /**
     * Has each request to the store opened with these options made at most {@code attempts} times, the first
     * included, instead of the provider's default (4). A call that must give up within one {@code --read-timeout}
     * when the store accepts connections but never answers asks for 1: four attempts would hold it four times
     * as long.
     */
    public void limitAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts per request must be 1 or more, not " + attempts);
        }
        maxAttempts = attempts;
    }

    /** The attempts per request a tool set ({@link #limitAttempts}); empty for the provider's default. */
    public OptionalInt maxAttempts() {
        return maxAttempts == null ? OptionalInt.empty() : OptionalInt.of(maxAttempts);
    }

    /** {@code --read-timeout}, validated. */
    public Optional<java.time.Duration> readTimeout() {
        if (readTimeout == null) {
            return Optional.empty();
        }
        if (readTimeout <= 0) {
            throw new InvalidInputException("--read-timeout must be a positive number of seconds, not " + readTimeout);
        }
        return Optional.of(java.time.Duration.ofSeconds(readTimeout));
    }

    /**
     * {@code --azure-credential}, checked whatever the provider, as barman-cloud's argparse checks its choices.
     *
     * @throws InvalidInputException for a value other than azure-cli, managed-identity or default
     */
    public Optional<String> azureCredential() {
        if (azureCredential != null && !java.util.List.of("azure-cli", "managed-identity", "default")
                .contains(azureCredential)) {
            throw new InvalidInputException("invalid --azure-credential/--credential '" + azureCredential
                    + "': expected azure-cli, managed-identity or default");
        }
        return Optional.ofNullable(azureCredential);
    }
}
