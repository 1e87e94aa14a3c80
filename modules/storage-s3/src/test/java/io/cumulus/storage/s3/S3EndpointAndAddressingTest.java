package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import io.cumulus.storage.s3.S3StoreConfig.Addressing;
import io.cumulus.testsupport.SystemProperties;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;

/**
 * Where requests go and how the bucket goes into them: an endpoint from {@code AWS_ENDPOINT_URL_S3} or
 * {@code AWS_ENDPOINT_URL} counts as {@code --endpoint-url}, and the AWS profile's
 * {@code s3 = addressing_style} decides as with barman-cloud. Each request is stopped before it is sent
 * and read, so nothing here needs a network.
 */
class S3EndpointAndAddressingTest {

    private static final String MINIO = "http://minio.example:9000";

    @TempDir
    Path temp;

    private static S3StoreConfig config() {
        return S3StoreConfig.of("bucket").withCredentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create("test-access", "test-secret")));
    }

    // ---------------------------------------------------------------- the endpoint

    @Test
    void anEndpointFromTheEnvironmentIsAddressedPathStyleAsEndpointUrlIs() throws IOException {
        for (String variable : new String[] {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
            SdkHttpRequest request = firstRequest(config().withRegion("us-east-1"), Map.of(variable, MINIO));
            assertEquals("minio.example:9000/bucket/probe", hostAndPath(request), variable);
        }
    }

    @Test
    void theSdksOrderDecidesBetweenTheVariablesAndEndpointUrlWinsOverBoth() throws IOException {
        assertEquals(Optional.of(URI.create("http://s3-only:9000")), S3BlobStores.configuredEndpoint(Map.of(
                "AWS_ENDPOINT_URL", "http://every-service:9000", "AWS_ENDPOINT_URL_S3", "http://s3-only:9000")));
        assertEquals(Optional.of(URI.create(MINIO)), S3BlobStores.configuredEndpoint(Map.of(
                "AWS_ENDPOINT_URL_S3", " ", "AWS_ENDPOINT_URL", MINIO)));
        assertEquals(Optional.empty(), S3BlobStores.configuredEndpoint(Map.of()));
        SdkHttpRequest request = firstRequest(config().withEndpoint(URI.create("http://given:9000")),
                Map.of("AWS_ENDPOINT_URL_S3", MINIO));
        assertEquals("given:9000/bucket/probe", hostAndPath(request));
    }

    @Test
    void anEndpointVariableThatIsNoUrlIsASettingToMendAndItsValueIsNotRepeated() throws IOException {
        Map<String, String> environment = Map.of("AWS_ENDPOINT_URL", "minio-user:secret-password@minio:9000");
        StoreConfigurationException e = assertThrows(StoreConfigurationException.class,
                () -> S3BlobStores.configuredEndpoint(environment));
        assertEquals("AWS_ENDPOINT_URL is not an absolute URL such as https://host:port: mend it or unset it",
                e.getMessage());
        try (BlobStore s3 = S3BlobStores.open(config().withRegion("us-east-1"), builder -> { }, environment)) {
            StoreConfigurationException first = assertThrows(StoreConfigurationException.class, s3::checkAvailable);
            assertFalse(first.getMessage().contains("secret-password"), first.getMessage());
        }
    }

    @Test
    void anEndpointFromTheProfileCountsTooAndNoInstanceMetadataIsAskedForTheRegion() throws IOException {
        Path awsConfig = Files.writeString(temp.resolve("config"), """
                [profile own]
                endpoint_url = http://profile.example:9000
                [profile with-services]
                endpoint_url = http://profile.example:9000
                services = on-premises
                [services on-premises]
                s3 =
                    endpoint_url = http://services.example:9000
                """);
        try (S3BlobStoreTest.SilentServer metadata = new S3BlobStoreTest.SilentServer();
                SystemProperties set = SystemProperties.set(Map.of("aws.configFile", awsConfig.toString(),
                        "aws.ec2MetadataServiceEndpoint", metadata.endpoint().toString()))) {
            assertEquals("profile.example:9000/bucket/probe",
                    hostAndPath(firstRequest(config().withProfile("own"), Map.of())));
            assertEquals("services.example:9000/bucket/probe",
                    hostAndPath(firstRequest(config().withProfile("with-services"), Map.of())));
            assertEquals("minio.example:9000/bucket/probe",
                    hostAndPath(firstRequest(config().withProfile("own"), Map.of("AWS_ENDPOINT_URL", MINIO))));
            assertEquals(0, metadata.connections(), "the instance metadata service was asked for a region");
        }
    }

    // ---------------------------------------------------------------- the addressing style

    @Test
    void theProfilesAddressingStyleDecidesAsBotocoreReadsIt() throws IOException {
        Path awsConfig = Files.writeString(temp.resolve("config"), """
                [profile path-style]
                s3 =
                    addressing_style = path
                [profile virtual-style]
                region = eu-west-1
                s3 =
                    addressing_style = virtual
                [profile auto-style]
                s3 =
                    addressing_style = auto
                [profile typo-style]
                s3 =
                    addressing_style = Path
                """);
        try (SystemProperties set = SystemProperties.set(Map.of("aws.configFile", awsConfig.toString()))) {
            // on AWS, path style only when asked (some proxies and old SDK users want it)
            assertEquals("s3.eu-west-1.amazonaws.com/bucket/probe", hostAndPath(firstRequest(
                    config().withProfile("path-style").withRegion("eu-west-1"), Map.of())));
            // with an endpoint, virtual hosts only when asked (a store with wildcard DNS)
            assertEquals("bucket.minio.example:9000/probe", hostAndPath(firstRequest(
                    config().withProfile("virtual-style").withEndpoint(URI.create(MINIO)), Map.of())));
            assertEquals("bucket.minio.example:9000/probe", hostAndPath(firstRequest(
                    config().withProfile("virtual-style"), Map.of("AWS_ENDPOINT_URL", MINIO))));
            // auto, and what botocore does not know (it compares case and all), leave it to the endpoint
            for (String profile : new String[] {"auto-style", "typo-style"}) {
                assertEquals("minio.example:9000/bucket/probe", hostAndPath(firstRequest(
                        config().withProfile(profile).withEndpoint(URI.create(MINIO)), Map.of())), profile);
                assertEquals("bucket.s3.eu-west-1.amazonaws.com/probe", hostAndPath(firstRequest(
                        config().withProfile(profile).withRegion("eu-west-1"), Map.of())), profile);
            }
            // an addressing the embedding code chose wins over the profile's
            assertEquals("minio.example:9000/bucket/probe", hostAndPath(firstRequest(config()
                    .withProfile("virtual-style").withEndpoint(URI.create(MINIO)).withAddressing(Addressing.PATH),
                    Map.of())));
        }
    }

    @Test
    void addressingStylesReadAsBotocoreReadsThem() {
        assertEquals(Addressing.PATH, Addressing.ofAddressingStyle("path"));
        assertEquals(Addressing.VIRTUAL, Addressing.ofAddressingStyle(" virtual "));
        assertEquals(Addressing.AUTO, Addressing.ofAddressingStyle("auto"));
        assertEquals(Addressing.AUTO, Addressing.ofAddressingStyle("PATH"));
    }

    // ---------------------------------------------------------------- helpers

    /** Thrown where a request would leave, after it was recorded. */
    // ---------------------------------------------------------------- credentials

    /**
     * Credentials that cannot be had are not an unreachable store: an access error (exit 4) at the first call,
     * without a request or a retry, saying what is missing; as boto3, a profile named by -P or AWS_PROFILE must
     * exist even when the environment holds keys.
     */
    @Test
    void missingCredentialsFailAtOnceAsAnAccessErrorNamingWhatIsMissing() throws Exception {
        Path credentials = Files.writeString(temp.resolve("credentials"),
                "[real]\naws_access_key_id = AKIAREAL\naws_secret_access_key = s\n");
        Map<String, String> files = Map.of("aws.sharedCredentialsFile", credentials.toString(),
                "aws.configFile", temp.resolve("no-config").toString(), "aws.disableEc2Metadata", "true");
        String missing = failure(S3StoreConfig.of("bucket").withProfile("nosuch"), files);
        assertTrue(missing.contains("the AWS profile 'nosuch' (-P/--aws-profile) is not in the AWS config and"
                + " credentials files (" + temp.resolve("no-config")), missing);
        Map<String, String> withKeys = new java.util.HashMap<>(files);
        withKeys.putAll(Map.of("aws.profile", "nosuch", "aws.accessKeyId", "AKIAENV", "aws.secretAccessKey", "s"));
        String profileVariable = failure(S3StoreConfig.of("bucket"), withKeys);
        assertTrue(profileVariable.contains("the AWS profile 'nosuch' (AWS_PROFILE) is not in"), profileVariable);
        Files.writeString(credentials, "[nokeys]\nregion = eu-west-1\n");
        String noKeys = failure(S3StoreConfig.of("bucket").withProfile("nokeys"), files);
        assertTrue(noKeys.contains("no usable AWS credentials in profile 'nokeys' (-P/--aws-profile)"), noKeys);
        if (System.getenv("AWS_ACCESS_KEY_ID") == null && System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == null
                && System.getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") == null
                && System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") == null) {
            String none = failure(S3StoreConfig.of("bucket"), files);
            assertTrue(none.startsWith("cannot access s3://bucket/probe: no AWS credentials found: set"
                    + " AWS_ACCESS_KEY_ID"), none);
        }
    }

    /** The message of the failure of a first call with {@code config} under {@code properties}; no request is sent. */
    private static String failure(S3StoreConfig config, Map<String, String> properties) throws Exception {
        List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionInterceptor stop = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                sent.add(context.httpRequest().getUri().toString());
                throw new Stopped();
            }
        };
        try (SystemProperties set = SystemProperties.set(properties);
             BlobStore s3 = S3BlobStores.open(config.withRegion("us-east-1").withEndpoint(URI.create(MINIO))
                     .withMaxAttempts(3), builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(stop)),
                     Map.of())) {
            long start = System.nanoTime();
            IOException e = assertThrows(java.nio.file.AccessDeniedException.class, () -> s3.stat("probe"));
            assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(3), "not retried");
            assertEquals(List.of(), sent);
            assertFalse(e.getMessage().contains("AKIA"), e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void keysRotatedInTheCredentialsFileReachAStoreAlreadyOpen() throws Exception {
        // the async uploader opens its store once and lives for hours: a rotation job's new keys
        Path credentials = temp.resolve("credentials");
        Files.writeString(credentials, "[rotated]\naws_access_key_id = AKIAFIRSTKEY\naws_secret_access_key = s1\n");
        List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionInterceptor stop = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                authorizations.add(context.httpRequest().firstMatchingHeader("Authorization").orElse(""));
                throw new Stopped();
            }
        };
        try (SystemProperties set = SystemProperties.set(Map.of("aws.sharedCredentialsFile", credentials.toString(),
                "aws.configFile", temp.resolve("no-config").toString()));
             BlobStore s3 = S3BlobStores.open(S3StoreConfig.of("bucket").withProfile("rotated").withRegion("us-east-1")
                     .withEndpoint(URI.create(MINIO)).withMaxAttempts(1),
                     builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(stop)), Map.of())) {
            assertThrows(Exception.class, () -> s3.stat("probe"));
            Files.writeString(credentials, "[rotated]\naws_access_key_id = AKIASECONDKEY\naws_secret_access_key = s2\n");
            // a later modification time than the first version's, on any file system's clock granularity
            Files.setLastModifiedTime(credentials, java.nio.file.attribute.FileTime.from(
                    java.time.Instant.now().plusSeconds(5)));
            // the SDK looks at the file's modification time at most once a second
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            do {
                Thread.sleep(200);
                assertThrows(Exception.class, () -> s3.stat("probe"));
            } while (!authorizations.get(authorizations.size() - 1).contains("Credential=AKIASECONDKEY/")
                    && System.nanoTime() < deadline);
        }
        assertTrue(authorizations.get(0).contains("Credential=AKIAFIRSTKEY/"), authorizations.get(0));
        String last = authorizations.get(authorizations.size() - 1);
        assertTrue(last.contains("Credential=AKIASECONDKEY/"), last);
    }

    private static final class Stopped extends RuntimeException {
        Stopped() {
            super("stopped before it was sent (test)");
        }
    }

    /** The first request a store opened so sends (a HEAD of "probe"), as it would go on the wire. */
    private static SdkHttpRequest firstRequest(S3StoreConfig config, Map<String, String> environment)
            throws IOException {
        AtomicReference<SdkHttpRequest> sent = new AtomicReference<>();
        ExecutionInterceptor stop = new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                sent.compareAndSet(null, context.httpRequest());
                throw new Stopped();
            }
        };
        try (BlobStore s3 = S3BlobStores.open(config.withMaxAttempts(1),
                builder -> builder.overrideConfiguration(o -> o.addExecutionInterceptor(stop)), environment)) {
            assertThrows(Exception.class, () -> s3.stat("probe"));
        }
        assertTrue(sent.get() != null, "no request was made");
        return sent.get();
    }

    private static String hostAndPath(SdkHttpRequest request) {
        return request.host() + (request.port() == 80 || request.port() == 443 ? "" : ":" + request.port())
                + request.encodedPath();
    }
}
