package io.cumulus.e2e;

import io.cumulus.testsupport.S3Inspector;
import io.cumulus.testsupport.S3ProxyServer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An s3:// store: a bucket and prefix on an in-process S3Proxy, reached by the tools through
 * {@code --endpoint-url} with credentials in their environment, and inspected through jclouds.
 */
final class S3ArchiveStore implements ArchiveStore {

    static final String REGION = "us-east-1";

    private final S3ProxyServer server;
    private final String bucket;
    private final String prefix;
    private final S3Inspector inspector;
    private final boolean ownsServer;

    private S3ArchiveStore(S3ProxyServer server, String bucket, String prefix, boolean ownsServer) {
        this.server = server;
        this.bucket = bucket;
        this.prefix = prefix;
        this.ownsServer = ownsServer;
        this.inspector = new S3Inspector(endpoint(), server.accessKey(), server.secretKey());
    }

    /** Starts a new S3Proxy with {@code bucket} created; closing the store stops it. */
    static S3ArchiveStore start(String bucket, String prefix) {
        return start(bucket, prefix, false);
    }

    /**
     * As {@link #start(String, String)}, the server over HTTPS with a self-signed certificate that the
     * tools trust through {@code AWS_CA_BUNDLE}, their TLS required to be Conscrypt's ({@code CUMULUS_TLS}).
     */
    static S3ArchiveStore startHttps(String bucket, String prefix) {
        return start(bucket, prefix, true);
    }

    private static S3ArchiveStore start(String bucket, String prefix, boolean https) {
        S3ProxyServer server;
        try {
            server = https ? S3ProxyServer.startHttps() : S3ProxyServer.start();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not start", e);
        }
        try {
            server.createBucket(bucket);
            return new S3ArchiveStore(server, bucket, prefix, true);
        } catch (RuntimeException e) {
            try {
                server.close();
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * A store at {@code otherBucket} (which need not exist yet: see {@link #createBucket()}) on the same
     * server, with the same prefix. Closing it leaves the server to this store.
     */
    S3ArchiveStore inBucket(String otherBucket) {
        return new S3ArchiveStore(server, otherBucket, prefix, false);
    }

    /** Creates this store's bucket on the server (empty). */
    void createBucket() {
        server.createBucket(bucket);
    }

    String endpoint() {
        return String.valueOf(server.endpoint());
    }

    String accessKey() {
        return server.accessKey();
    }

    String secretKey() {
        return server.secretKey();
    }

    S3Inspector inspector() {
        return inspector;
    }

    /** The URL of {@code otherPrefix} in {@code otherBucket} on the same endpoint. */
    static String url(String otherBucket, String otherPrefix) {
        return "s3://" + otherBucket + "/" + otherPrefix;
    }

    @Override
    public String url() {
        return url(bucket, prefix);
    }

    @Override
    public List<String> toolOptions() {
        return List.of("--endpoint-url", endpoint());
    }

    @Override
    public Map<String, String> toolEnv() {
        Map<String, String> env = credentialsEnv(server.accessKey(), server.secretKey());
        if (server.endpoint().getScheme().equals("https")) {
            env = new java.util.HashMap<>(env);
            env.put("AWS_CA_BUNDLE", server.certificatePem().toString());
            env.put("CUMULUS_TLS", "conscrypt");
        }
        return env;
    }

    /** The environment the Cumulus tools (AWS SDK v2) read credentials and region from. */
    static Map<String, String> credentialsEnv(String accessKey, String secretKey) {
        return Map.of("AWS_ACCESS_KEY_ID", accessKey, "AWS_SECRET_ACCESS_KEY", secretKey, "AWS_REGION", REGION);
    }

    @Override
    public List<String> keys(String relativePrefix) {
        String base = prefix + "/";
        return inspector.keys(bucket, base + relativePrefix).stream().map(key -> key.substring(base.length())).toList();
    }

    @Override
    public Optional<byte[]> read(String key) {
        return inspector.read(bucket, prefix + "/" + key);
    }

    /** Deletes {@code key} (relative to the prefix) behind the tools' back: a gap in the archive. */
    void delete(String key) {
        inspector.delete(bucket, prefix + "/" + key);
    }

    @Override
    public void close() {
        Cleanup.closeAll(inspector, ownsServer ? server : null);
    }

    @Override
    public String toString() {
        return "S3 store " + url() + " at " + endpoint();
    }
}
