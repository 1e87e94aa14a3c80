package io.cumulus.storage.s3;

import io.cumulus.storage.ShownUrls;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Everything an S3 store is opened with; the CLI builds it from barman-cloud's options, and the
 * provider reads nothing else (credentials, region and profile files aside, which the AWS SDK resolves
 * the standard way). Start from {@link #of(String)} and change what differs with the {@code with}
 * methods; every limit is checked here, once.
 *
 * @param bucket the bucket (the host part of {@code s3://bucket/path})
 * @param endpoint an S3-compatible endpoint ({@code --endpoint-url}); empty for AWS, or for the one the SDK
 *     takes from {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL}, which counts as given here
 * @param region the region; empty to take it from the environment or profile, else {@code us-east-1}
 * @param profile the AWS profile ({@code -P}); empty for the default credential chain
 * @param readTimeout how long a request may wait for the next bytes ({@code --read-timeout})
 * @param addressing how the bucket goes into URLs; AUTO lets the AWS profile's {@code addressing_style}
 *     decide, and path style follows an endpoint if it does not
 * @param serverSideEncryption {@code AES256} or {@code aws:kms} ({@code -e}), sent on every write
 * @param kmsKeyId the KMS key for {@code aws:kms} ({@code --sse-kms-key-id})
 * @param partSize the first part size, and the largest object sent in one PUT
 * @param maxParts the store's part limit; parts grow so that a stream of any length stays under it
 * @param uploadConcurrency parts uploaded at once by one writer; memory is (this + 1) × part size
 * @param listPageSize keys per ListObjectsV2 page
 * @param deleteBatchSize keys per DeleteObjects request
 * @param maxAttempts attempts per request (the SDK's standard retry mode), first one included
 * @param credentialsProvider fixed credentials for tests or embedding; empty for the SDK's chain
 */
public record S3StoreConfig(
        String bucket,
        Optional<URI> endpoint,
        Optional<String> region,
        Optional<String> profile,
        Duration readTimeout,
        Addressing addressing,
        Optional<String> serverSideEncryption,
        Optional<String> kmsKeyId,
        int partSize,
        int maxParts,
        int uploadConcurrency,
        int listPageSize,
        int deleteBatchSize,
        int maxAttempts,
        Optional<AwsCredentialsProvider> credentialsProvider) {

    /** How the bucket name goes into request URLs. */
    public enum Addressing {
        /** Path style ({@code endpoint/bucket/key}) with a custom endpoint, virtual hosts on AWS. */
        AUTO,
        /** Always {@code endpoint/bucket/key}: what most S3-compatible stores want. */
        PATH,
        /** Always {@code bucket.endpoint/key}. */
        VIRTUAL;

        /**
         * An AWS profile's {@code addressing_style} as botocore reads it: {@code path}, {@code virtual},
         * and any other value, {@code auto} included, for AUTO (botocore does not check it either).
         */
        public static Addressing ofAddressingStyle(String style) {
            return switch (style.trim()) {
                case "path" -> PATH;
                case "virtual" -> VIRTUAL;
                default -> AUTO;
            };
        }
    }

    /** S3's smallest part (except the last). */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;
    /** S3's largest part. */
    public static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;
    /** 16 MiB: a WAL segment goes up in one PUT, as barman-cloud 3.12+ also ensures (issue #1018). */
    public static final int DEFAULT_PART_SIZE = 16 * 1024 * 1024;
    /** S3's limit on parts per object. */
    public static final int MAX_PARTS = 10_000;
    public static final int DEFAULT_UPLOAD_CONCURRENCY = 4;
    /** S3's largest ListObjectsV2 page. */
    public static final int MAX_LIST_PAGE_SIZE = 1000;
    /** S3's largest DeleteObjects request. */
    public static final int MAX_DELETE_BATCH_SIZE = 1000;
    /** barman-cloud's {@code --read-timeout} default. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final String SSE_S3 = "AES256";
    public static final String SSE_KMS = "aws:kms";

    public S3StoreConfig {
        Objects.requireNonNull(bucket, "bucket");
        if (bucket.isEmpty() || bucket.contains("/")) {
            throw new IllegalArgumentException("invalid bucket name '" + bucket + "'");
        }
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(addressing, "addressing");
        Objects.requireNonNull(serverSideEncryption, "serverSideEncryption");
        Objects.requireNonNull(kmsKeyId, "kmsKeyId");
        Objects.requireNonNull(credentialsProvider, "credentialsProvider");
        endpoint.ifPresent(uri -> {
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("endpoint must be an absolute URL such as https://host:port, not "
                        + ShownUrls.withoutQuery(ShownUrls.withoutUserInfo(uri)));
            }
        });
        if (readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("read timeout must be positive, not " + readTimeout);
        }
        serverSideEncryption.ifPresent(sse -> {
            if (!sse.equals(SSE_S3) && !sse.equals(SSE_KMS)) {
                throw new IllegalArgumentException("server-side encryption must be " + SSE_S3 + " or " + SSE_KMS
                        + ", not '" + sse + "'");
            }
        });
        if (kmsKeyId.isPresent() && !serverSideEncryption.equals(Optional.of(SSE_KMS))) {
            throw new IllegalArgumentException("a KMS key id needs server-side encryption " + SSE_KMS);
        }
        if (partSize < MIN_PART_SIZE) { // an int is below S3's 5 GiB largest part anyway
            throw new IllegalArgumentException("part size must be at least 5 MiB, not " + partSize);
        }
        checkBetween("max parts", maxParts, 1, MAX_PARTS);
        checkBetween("upload concurrency", uploadConcurrency, 1, 1024);
        checkBetween("list page size", listPageSize, 1, MAX_LIST_PAGE_SIZE);
        checkBetween("delete batch size", deleteBatchSize, 1, MAX_DELETE_BATCH_SIZE);
        checkBetween("max attempts", maxAttempts, 1, 100);
    }

    private static void checkBetween(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
        }
    }

    /** The defaults for {@code bucket}: AWS, credentials and region from the environment. */
    public static S3StoreConfig of(String bucket) {
        return new S3StoreConfig(bucket, Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_READ_TIMEOUT,
                Addressing.AUTO, Optional.empty(), Optional.empty(), DEFAULT_PART_SIZE, MAX_PARTS,
                DEFAULT_UPLOAD_CONCURRENCY, MAX_LIST_PAGE_SIZE, MAX_DELETE_BATCH_SIZE, DEFAULT_MAX_ATTEMPTS,
                Optional.empty());
    }

    /**
     * Whether requests put the bucket in the path rather than the host name, as far as this config says:
     * when it leaves {@link Addressing#AUTO}, the store follows the AWS profile's {@code addressing_style}.
     */
    public boolean pathStyle() {
        return addressing == Addressing.PATH || (addressing == Addressing.AUTO && endpoint.isPresent());
    }

    public S3StoreConfig withEndpoint(URI value) {
        return new S3StoreConfig(bucket, Optional.of(value), region, profile, readTimeout, addressing,
                serverSideEncryption, kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize,
                maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withRegion(String value) {
        return new S3StoreConfig(bucket, endpoint, Optional.of(value), profile, readTimeout, addressing,
                serverSideEncryption, kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize,
                maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withProfile(String value) {
        return new S3StoreConfig(bucket, endpoint, region, Optional.of(value), readTimeout, addressing,
                serverSideEncryption, kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize,
                maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withReadTimeout(Duration value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, value, addressing, serverSideEncryption, kmsKeyId,
                partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withAddressing(Addressing value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, value, serverSideEncryption, kmsKeyId,
                partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts, credentialsProvider);
    }

    /** Server-side encryption {@code AES256}, or {@code aws:kms} with an optional key id. */
    public S3StoreConfig withServerSideEncryption(String sse, Optional<String> kmsKey) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, Optional.of(sse), kmsKey,
                partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withPartSize(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, value, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts,
                credentialsProvider);
    }

    public S3StoreConfig withMaxParts(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, value, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts,
                credentialsProvider);
    }

    public S3StoreConfig withUploadConcurrency(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, maxParts, value, listPageSize, deleteBatchSize, maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withListPageSize(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, maxParts, uploadConcurrency, value, deleteBatchSize, maxAttempts,
                credentialsProvider);
    }

    public S3StoreConfig withDeleteBatchSize(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, value, maxAttempts, credentialsProvider);
    }

    public S3StoreConfig withMaxAttempts(int value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, value,
                credentialsProvider);
    }

    public S3StoreConfig withCredentialsProvider(AwsCredentialsProvider value) {
        return new S3StoreConfig(bucket, endpoint, region, profile, readTimeout, addressing, serverSideEncryption,
                kmsKeyId, partSize, maxParts, uploadConcurrency, listPageSize, deleteBatchSize, maxAttempts,
                Optional.of(value));
    }

    /**
     * Names the credentials provider's type only (some print the access key id), and the endpoint
     * without its user info (a password).
     */
    @Override
    public String toString() {
        return "S3StoreConfig[bucket=" + bucket + ", endpoint="
                + endpoint.map(uri -> ShownUrls.withoutQuery(ShownUrls.withoutUserInfo(uri)))
                + ", region=" + region + ", profile="
                + profile + ", readTimeout=" + readTimeout + ", addressing=" + addressing + ", serverSideEncryption="
                + serverSideEncryption + ", kmsKeyId=" + kmsKeyId + ", partSize=" + partSize + ", maxParts=" + maxParts
                + ", uploadConcurrency=" + uploadConcurrency + ", listPageSize=" + listPageSize + ", deleteBatchSize="
                + deleteBatchSize + ", maxAttempts=" + maxAttempts + ", credentialsProvider="
                + credentialsProvider.map(p -> p.getClass().getSimpleName()) + "]";
    }
}
