package io.cumulus.testsupport;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * An S3-compatible server for tests: S3Proxy in this JVM on a free 127.0.0.1 port, keeping objects
 * in a temporary directory (jclouds' {@code filesystem} backend) and checking AWS Signature V2 or V4
 * against a fixed test identity. Closing it stops the server and deletes the directory.
 */
public final class S3ProxyServer implements AutoCloseable {

    /** The access key the server accepts. */
    public static final String ACCESS_KEY = "cumulus-test-access";
    /** The secret key the server accepts. A test value, not a secret. */
    public static final String SECRET_KEY = "cumulus-test-secret-0123456789";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path baseDirectory;
    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private final URI endpoint;

    private S3ProxyServer(Path baseDirectory, BlobStoreContext context, S3Proxy proxy, URI endpoint) {
        this.baseDirectory = baseDirectory;
        this.context = context;
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    /**
     * Starts a server with no buckets that, like S3Proxy itself, answers 501 NotImplemented to a
     * request carrying an {@code x-amz-} header it does not know (object tagging, flexible checksums).
     */
    public static S3ProxyServer start() throws Exception {
        return start(false);
    }

    /**
     * Starts a server with no buckets that ignores the {@code x-amz-} headers it does not know, to
     * exercise requests whose extra headers S3Proxy cannot honour (tags, checksums on DeleteObjects).
     */
    public static S3ProxyServer startIgnoringUnknownHeaders() throws Exception {
        return start(true);
    }

    private static S3ProxyServer start(boolean ignoreUnknownHeaders) throws Exception {
        Path baseDirectory = Files.createTempDirectory("cumulus-s3proxy-");
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDirectory.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
                .credentials("unused", "unused")
                .overrides(properties)
                .build(BlobStoreContext.class);
        S3Proxy proxy = null;
        try {
            proxy = S3Proxy.builder()
                    .blobStore(context.getBlobStore())
                    .endpoint(URI.create("http://127.0.0.1:0")) // port 0: the system picks a free one
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .ignoreUnknownHeaders(ignoreUnknownHeaders)
                    .build();
            proxy.start();
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start within " + START_TIMEOUT
                            + "; state " + proxy.getState());
                }
                Thread.sleep(10);
            }
            return new S3ProxyServer(baseDirectory, context, proxy,
                    URI.create("http://127.0.0.1:" + proxy.getPort()));
        } catch (Exception e) {
            try {
                if (proxy != null) {
                    proxy.stop();
                }
                context.close();
                PostgresUser.deleteRecursively(baseDirectory);
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Where clients send requests, such as {@code http://127.0.0.1:41234}. */
    public URI endpoint() {
        return endpoint;
    }

    public String accessKey() {
        return ACCESS_KEY;
    }

    public String secretKey() {
        return SECRET_KEY;
    }

    /** The directory holding the buckets, one subdirectory each. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    /** Creates an empty bucket. */
    public void createBucket(String name) {
        context.getBlobStore().createContainerInLocation(null, name);
    }

    /** Deletes a bucket and everything in it. */
    public void deleteBucket(String name) {
        context.getBlobStore().deleteContainer(name);
    }

    /** Stops the server and deletes its directory; failures surface unchecked, as this is test cleanup. */
    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        } finally {
            try {
                context.close();
            } finally {
                PostgresUser.deleteRecursively(baseDirectory);
            }
        }
    }
}
