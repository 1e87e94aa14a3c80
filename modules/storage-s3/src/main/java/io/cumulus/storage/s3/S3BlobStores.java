package io.cumulus.storage.s3;

import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import io.cumulus.storage.s3.S3StoreConfig.Addressing;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkSystemSetting;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.profiles.Profile;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileLocation;
import software.amazon.awssdk.profiles.ProfileFileSupplier;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.utils.Lazy;

/** Opens S3 stores: builds the one SDK client a store uses, with its timeouts, retries and checksums. */
public final class S3BlobStores {

    /** For S3-compatible stores that have no notion of region, and AWS users who configured none. */
    static final Region FALLBACK_REGION = Region.US_EAST_1;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Where the SDK takes an endpoint from when none is given, in its order (SDK 2.35): S3's own setting
     * first, each as a Java property, then as an environment variable; then the profile's.
     */
    private static final List<String> ENDPOINT_SETTINGS = List.of("aws.endpointUrlS3", "AWS_ENDPOINT_URL_S3",
            "aws.endpointUrl", "AWS_ENDPOINT_URL");
    private static final String ENDPOINT_PROPERTY = "endpoint_url";
    private static final String SERVICES_PROPERTY = "services";
    /** The profile property that chooses the addressing style: {@code s3 =}, then {@code addressing_style = path}. */
    static final String ADDRESSING_STYLE_PROPERTY = "s3.addressing_style";

    private S3BlobStores() {}

    /**
     * Opens a store on {@code config.bucket()}. No request is sent: {@link BlobStore#checkAvailable()}
     * is the explicit check. The SDK client is built in the background; a failure to build it comes
     * from the store's first call (a {@link io.cumulus.storage.StoreConfigurationException} for a
     * setting of this host that is wrong, such as an {@code AWS_CA_BUNDLE} that does not exist or an
     * {@code AWS_ENDPOINT_URL} that is no URL). The caller closes the store, which closes its client.
     */
    public static BlobStore open(S3StoreConfig config) {
        return open(config, builder -> { });
    }

    /**
     * As {@link #open(S3StoreConfig)}, letting tests add to the client (an interceptor that records
     * requests); {@code customizer} runs on the thread that builds it.
     */
    static BlobStore open(S3StoreConfig config, Consumer<S3ClientBuilder> customizer) {
        return open(config, customizer, System.getenv());
    }

    /**
     * As {@link #open(S3StoreConfig, Consumer)}, with the environment that TLS settings and the endpoint
     * are read from ({@code CUMULUS_TLS}, {@code AWS_CA_BUNDLE}, {@code AWS_ENDPOINT_URL_S3}...): the
     * process's, or a test's.
     */
    static BlobStore open(S3StoreConfig config, Consumer<S3ClientBuilder> customizer, Map<String, String> environment) {
        FirstRequestWarmUp.start();
        // An endpoint from the environment (or, below, the profile) is one the SDK would use anyway; made
        // explicit, it counts as --endpoint-url does: path style, no instance metadata asked for a region,
        // plain HTTP as such, and the store's messages name it.
        Optional<URI> configured = Optional.empty();
        StoreConfigurationException badEndpoint = null;
        if (config.endpoint().isEmpty()) {
            try {
                configured = configuredEndpoint(environment);
            } catch (StoreConfigurationException e) {
                badEndpoint = e; // reported by the first call, as other settings of this host are
            }
        }
        return build(configured.map(config::withEndpoint).orElse(config), Optional.ofNullable(badEndpoint), customizer,
                environment);
    }

    /** 409 ConditionalRequestConflict: a conditional write S3 was completing for the same key meanwhile. */
    static boolean conditionalWriteConflict(Throwable failure) {
        return failure instanceof AwsServiceException e && e.statusCode() == 409 && e.awsErrorDetails() != null
                && "ConditionalRequestConflict".equals(e.awsErrorDetails().errorCode());
    }

    private static BlobStore build(S3StoreConfig config, Optional<StoreConfigurationException> badSetting,
            Consumer<S3ClientBuilder> customizer, Map<String, String> environment) {
        S3ClientBuilder builder = S3Client.builder()
                .credentialsProvider(credentials(config))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(config.maxAttempts())
                        // S3's answer to a conditional write racing another on the same key: retry, and
                        // the retry meets the winner's object (412) or writes
                        .retryOnException(S3BlobStores::conditionalWriteConflict)
                        .build()))
                // DeleteObjects needs a checksum; S3-compatible stores want Content-MD5, not the CRC32
                // that SDK 2.30+ sends instead (barman issues 1138, 1124)
                .addPlugin(LegacyMd5Plugin.create())
                // writes carry a signed Content-MD5, so the body is not hashed again over HTTP
                .putAuthScheme(Md5BoundSigning.create());
        // SDK 2.30+ adds CRC32 checksums to every upload, which many S3-compatible stores reject
        // (barman issue 1064). Only when required, unless the user set the SDK's own variable.
        if (SdkSystemSetting.AWS_REQUEST_CHECKSUM_CALCULATION.getStringValue().isEmpty()) {
            builder.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
        }
        if (SdkSystemSetting.AWS_RESPONSE_CHECKSUM_VALIDATION.getStringValue().isEmpty()) {
            builder.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        // Building the client is most of what opening costs a one-shot call (~100 ms of class loading
        // and set-up). It is built on another thread, and the store's first request waits for it, so
        // that the caller begins at once: an archive call reads and hashes its 16 MB meanwhile.
        AtomicReference<TlsSetup.Trust> trust = new AtomicReference<>(TlsSetup.Trust.DEFAULT);
        FutureTask<S3Client> client = new FutureTask<>(() -> {
            if (badSetting.isPresent()) {
                throw badSetting.get();
            }
            // where requests go, and how; the profile, read here, costs the caller's thread nothing
            Supplier<ProfileFile> profiles = new Lazy<>(ProfileFile::defaultProfileFile)::getValue;
            S3StoreConfig target = config.endpoint().isPresent() ? config
                    : profileEndpoint(config, profiles).map(config::withEndpoint).orElse(config);
            target.endpoint().ifPresent(builder::endpointOverride);
            builder.region(region(target, profiles));
            if (target.endpoint().isEmpty() && target.region().isEmpty()) {
                // a bucket in another region than the one guessed: follow S3's redirect, as boto3 does
                builder.crossRegionAccessEnabled(true);
            }
            builder.forcePathStyle(target.withAddressing(addressing(target, profiles)).pathStyle());
            boolean plainHttp = target.endpoint().filter(uri -> "http".equalsIgnoreCase(uri.getScheme())).isPresent();
            ApacheHttpClient.Builder http = ApacheHttpClient.builder()
                    .socketTimeout(config.readTimeout())
                    .connectionTimeout(CONNECT_TIMEOUT)
                    .maxConnections(Math.max(50, 2 * config.uploadConcurrency()));
            // TLS connections get the engine and trust of TlsSetup; a plain-HTTP client makes them only
            // if a connection asks for TLS, which saves a one-shot call tens of milliseconds.
            Supplier<LayeredConnectionSocketFactory> tls = () -> {
                TlsSetup.Tls setUp = TlsSetup.setUp(environment, config.profile());
                trust.set(setUp.trust());
                return setUp.socketFactory();
            };
            http.socketFactory(plainHttp ? new DeferredTlsSocketFactory(tls) : tls.get());
            // 64 KiB connection buffers: a 16 MiB body in 256 socket writes rather than 2,048; and a body
            // the store stops reading is given up after the read timeout, as a response would be
            builder.httpClientBuilder(defaults -> WriteTimeout.wrap(
                    ConnectionBuffers.widen(http.buildWithDefaults(defaults)), config.readTimeout()));
            customizer.accept(builder);
            return builder.build();
        });
        Thread building = new Thread(client, "cumulus-s3-client");
        building.setDaemon(true);
        building.start();
        return new S3BlobStore(client, uploadExecutor(config.bucket()), config, trust::get);
    }

    /**
     * The SDK's chain, or with a profile that profile, as boto3's {@code Session(profile_name=...)}.
     * The AWS files are read again when they change (the SDK's reloading supplier; its default reads
     * them once): the async uploader lives for hours, and keys that a job rotates in
     * {@code ~/.aws/credentials}, as short-lived session keys are, must reach it before the old ones
     * expire, or every upload fails until the uploader is restarted.
     */
    private static AwsCredentialsProvider credentials(S3StoreConfig config) {
        if (config.credentialsProvider().isPresent()) {
            return config.credentialsProvider().get();
        }
        ProfileFileSupplier files = ProfileFileSupplier.defaultSupplier();
        AwsCredentialsProvider chain = config.profile()
                .<AwsCredentialsProvider>map(p -> ProfileCredentialsProvider.builder().profileFile(files)
                        .profileName(p).build())
                .orElseGet(() -> DefaultCredentialsProvider.builder().profileFile(files).build());
        return new Explained(chain, config.profile(), files);
    }

    /**
     * Credentials that cannot be had: a named profile that the AWS files do not hold, no credentials
     * anywhere, a {@code credential_process} that fails. Not an unreachable store: retrying cannot help, so
     * {@link S3BlobStore#translate} makes it an error of its own (exit 4 at once, as barman-cloud's boto3).
     */
    static final class CredentialsUnavailable extends RuntimeException {
        CredentialsUnavailable(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /**
     * The SDK's provider, whose failures become {@link CredentialsUnavailable} with a message saying what
     * is missing and how to mend it (the SDK's own text may print the AWS files' sections, so it is not
     * repeated). A profile named by {@code -P} or {@code AWS_PROFILE} must be in the AWS files, as boto3's
     * session requires ("The config profile (x) could not be found"), even when the environment holds keys,
     * which the SDK's chain would otherwise use.
     */
    record Explained(AwsCredentialsProvider delegate, Optional<String> option, ProfileFileSupplier files)
            implements AwsCredentialsProvider {
        @Override
        public software.amazon.awssdk.auth.credentials.AwsCredentials resolveCredentials() {
            // AWS_PROFILE as set (the SDK's setting answers "default" when it is not)
            Optional<String> named = option.or(() -> Optional.ofNullable(System.getProperty(
                    ProfileFileSystemSetting.AWS_PROFILE.property())).or(() -> Optional.ofNullable(
                            System.getenv(ProfileFileSystemSetting.AWS_PROFILE.environmentVariable())))
                    .filter(name -> !name.isEmpty()));
            String where = "the AWS config and credentials files (" + ProfileFileLocation.configurationFilePath() + ", "
                    + ProfileFileLocation.credentialsFilePath() + "; AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
                    + " name others)";
            String source = option.isPresent() ? "-P/--aws-profile" : "AWS_PROFILE";
            if (named.isPresent() && files.get().profile(named.get()).isEmpty()) {
                throw unavailable("the AWS profile '" + named.get() + "' (" + source + ") is not in " + where
                        + ": add it there, or name a profile they hold", null);
            }
            try {
                return delegate.resolveCredentials();
            } catch (SdkClientException e) {
                if (named.isPresent() && causedByIo(e)) {
                    throw e; // a profile that asks a service (STS, SSO) for its keys, which cannot be reached
                }
                throw unavailable(named.map(name -> "no usable AWS credentials in profile '" + name + "' (" + source
                        + ") of " + where + ": it needs aws_access_key_id and aws_secret_access_key, a"
                        + " credential_process that succeeds, or a role or SSO settings that work")
                        .orElse("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or"
                                + " name a profile of " + where + " with -P/--aws-profile or AWS_PROFILE"), e);
            }
        }

        private static boolean causedByIo(Throwable e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof java.io.IOException) {
                    return true;
                }
            }
            return false;
        }

        private static SdkClientException unavailable(String message, Throwable cause) {
            return SdkClientException.builder().message(message)
                    .cause(new CredentialsUnavailable(message, cause)).build();
        }
    }

    /**
     * The endpoint the SDK would take from the environment or Java properties when none is given, or
     * empty. (After them, it looks in the profile: {@link #profileEndpoint}.)
     */
    static Optional<URI> configuredEndpoint(Map<String, String> environment) {
        for (String setting : ENDPOINT_SETTINGS) {
            String value = setting.startsWith("aws.") ? System.getProperty(setting) : environment.get(setting);
            if (value != null && !value.isBlank()) {
                return Optional.of(endpoint(value, setting));
            }
        }
        return Optional.empty();
    }

    /**
     * The endpoint the SDK would take from the AWS profile when neither an option nor the environment
     * gives one: S3's {@code endpoint_url} in the profile's {@code services} section, else the profile's
     * own {@code endpoint_url}.
     */
    static Optional<URI> profileEndpoint(S3StoreConfig config, Supplier<ProfileFile> profiles) {
        String name = profileName(config);
        Optional<Profile> profile = profiles.get().profile(name);
        Optional<String> services = profile.flatMap(p -> p.property(SERVICES_PROPERTY));
        Optional<String> ofS3 = services.flatMap(section -> profiles.get().getSection(SERVICES_PROPERTY, section))
                .flatMap(section -> section.property("s3." + ENDPOINT_PROPERTY));
        if (ofS3.isPresent() && !ofS3.get().isBlank()) {
            return Optional.of(endpoint(ofS3.get(), "s3 endpoint_url of services section '" + services.get() + "'"));
        }
        return profile.flatMap(p -> p.property(ENDPOINT_PROPERTY)).filter(value -> !value.isBlank())
                .map(value -> endpoint(value, ENDPOINT_PROPERTY + " of AWS profile '" + name + "'"));
    }

    /** {@code value}, the endpoint that {@code setting} gives, which must be an absolute URL. */
    private static URI endpoint(String value, String setting) {
        try {
            URI endpoint = new URI(value.trim());
            if (endpoint.getScheme() != null && endpoint.getHost() != null) {
                return endpoint;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        // the value itself may carry credentials (http://user:secret@host): not repeated
        throw new StoreConfigurationException(setting + " is not an absolute URL such as https://host:port:"
                + " mend it or unset it");
    }

    private static String profileName(S3StoreConfig config) {
        return config.profile().orElseGet(ProfileFileSystemSetting.AWS_PROFILE::getStringValueOrThrow);
    }

    /**
     * How the bucket goes into URLs: as the config says, unless AUTO, when the profile's
     * {@code s3 = addressing_style} decides, as with barman-cloud (boto3), whose only way to path style
     * it is; the SDK does not read it.
     */
    static Addressing addressing(S3StoreConfig config, Supplier<ProfileFile> profiles) {
        if (config.addressing() != Addressing.AUTO) {
            return config.addressing();
        }
        return profiles.get().profile(profileName(config))
                .flatMap(profile -> profile.property(ADDRESSING_STYLE_PROPERTY))
                .map(Addressing::ofAddressingStyle)
                .orElse(Addressing.AUTO);
    }

    private static Region region(S3StoreConfig config, Supplier<ProfileFile> profiles) {
        if (config.region().isPresent()) {
            return Region.of(config.region().get());
        }
        AwsRegionProvider chain;
        if (config.endpoint().isPresent()) {
            // a private endpoint is not on EC2's metadata service; asking it would only add delay
            chain = new AwsRegionProviderChain(new SystemSettingsRegionProvider(),
                    new AwsProfileRegionProvider(profiles, config.profile().orElse(null)));
        } else {
            chain = DefaultAwsRegionProviderChain.builder().profileName(config.profile().orElse(null)).build();
        }
        try {
            return chain.getRegion();
        } catch (SdkClientException e) {
            return FALLBACK_REGION;
        }
    }

    /** Threads for part uploads; each writer bounds its own parts in flight, so the pool need not. */
    private static ExecutorService uploadExecutor(String bucket) {
        AtomicInteger counter = new AtomicInteger();
        ThreadFactory threads = task -> {
            Thread thread = new Thread(task, "cumulus-s3-upload-" + bucket + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newCachedThreadPool(threads);
    }
}
