package io.cumulus.testsupport;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
 * against a fixed test identity. Closing it stops the server and deletes the directory. Over HTTPS
 * ({@link #startHttps()}) its certificate is a throwaway self-signed one for 127.0.0.1, which clients
 * trust through {@link #certificatePem()} or {@link #trustStore()}.
 */
public final class S3ProxyServer implements AutoCloseable {

    /** The access key the server accepts. */
    public static final String ACCESS_KEY = "cumulus-test-access";
    /** The secret key the server accepts. A test value, not a secret. */
    public static final String SECRET_KEY = "cumulus-test-secret-0123456789";

    /** The password of {@link #trustStore()} (and of the server's key store). A test value. */
    public static final String TRUST_STORE_PASSWORD = "cumulus-test-tls";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Path baseDirectory;
    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private final URI endpoint;
    /** The server's certificate and key stores, when it serves HTTPS; else null. */
    private final Path tlsDirectory;

    private S3ProxyServer(Path baseDirectory, BlobStoreContext context, S3Proxy proxy, URI endpoint, Path tlsDirectory) {
        this.baseDirectory = baseDirectory;
        this.context = context;
        this.proxy = proxy;
        this.endpoint = endpoint;
        this.tlsDirectory = tlsDirectory;
    }

    /**
     * Starts a server with no buckets that, like S3Proxy itself, answers 501 NotImplemented to a
     * request carrying an {@code x-amz-} header it does not know (object tagging, flexible checksums).
     */
    public static S3ProxyServer start() throws Exception {
        return start(false, false);
    }

    /**
     * Starts a server as {@link #start()} does, serving HTTPS only, with a self-signed certificate for
     * the IP address 127.0.0.1 (not for "localhost"), made with the JDK's keytool.
     */
    public static S3ProxyServer startHttps() throws Exception {
        return start(false, true);
    }

    /**
     * Starts a server with no buckets that ignores the {@code x-amz-} headers it does not know, to
     * exercise requests whose extra headers S3Proxy cannot honour (tags, checksums on DeleteObjects).
     */
    public static S3ProxyServer startIgnoringUnknownHeaders() throws Exception {
        return start(true, false);
    }

    private static S3ProxyServer start(boolean ignoreUnknownHeaders, boolean https) throws Exception {
        Path tlsDirectory = https ? selfSignedCertificate() : null;
        Path baseDirectory = Files.createTempDirectory("cumulus-s3proxy-");
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", baseDirectory.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
                .credentials("unused", "unused")
                .overrides(properties)
                .build(BlobStoreContext.class);
        S3Proxy proxy = null;
        try {
            S3Proxy.Builder builder = S3Proxy.builder()
                    .blobStore(context.getBlobStore())
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .ignoreUnknownHeaders(ignoreUnknownHeaders);
            if (https) {
                builder.secureEndpoint(URI.create("https://127.0.0.1:0"))
                        .keyStore(tlsDirectory.resolve("server.p12").toString(), TRUST_STORE_PASSWORD);
            } else {
                builder.endpoint(URI.create("http://127.0.0.1:0")); // port 0: the system picks a free one
            }
            proxy = builder.build();
            proxy.start();
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (!"STARTED".equals(proxy.getState())) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("S3Proxy did not start within " + START_TIMEOUT
                            + "; state " + proxy.getState());
                }
                Thread.sleep(10);
            }
            return new S3ProxyServer(baseDirectory, context, proxy, https
                    ? URI.create("https://127.0.0.1:" + proxy.getSecurePort())
                    : URI.create("http://127.0.0.1:" + proxy.getPort()), tlsDirectory);
        } catch (Exception e) {
            try {
                if (proxy != null) {
                    proxy.stop();
                }
                context.close();
                PostgresUser.deleteRecursively(baseDirectory);
                if (tlsDirectory != null) {
                    PostgresUser.deleteRecursively(tlsDirectory);
                }
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * A directory holding a new key pair and self-signed certificate for 127.0.0.1 (server.p12), the
     * certificate in PEM (certificate.pem) and a trust store of it alone (trust.p12).
     */
    private static Path selfSignedCertificate() throws IOException, InterruptedException {
        Path directory = Files.createTempDirectory("cumulus-s3proxy-tls-");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        String store = directory.resolve("server.p12").toString();
        keytool(keytool, "-genkeypair", "-alias", "s3proxy", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", store,
                "-storepass", TRUST_STORE_PASSWORD, "-keypass", TRUST_STORE_PASSWORD);
        keytool(keytool, "-exportcert", "-rfc", "-alias", "s3proxy", "-keystore", store, "-storepass", TRUST_STORE_PASSWORD,
                "-file", directory.resolve("certificate.pem").toString());
        keytool(keytool, "-importcert", "-noprompt", "-alias", "s3proxy", "-file", directory.resolve("certificate.pem").toString(),
                "-storetype", "PKCS12", "-keystore", directory.resolve("trust.p12").toString(),
                "-storepass", TRUST_STORE_PASSWORD);
        // the tools may run as the postgres user (archive_command): the certificate is for everyone
        // to read, the key for this process only
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(directory.resolve("certificate.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(directory.resolve("trust.p12"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(Path.of(store), PosixFilePermissions.fromString("rw-------"));
        return directory;
    }

    private static void keytool(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** The server's certificate in PEM, for a CA bundle ({@code AWS_CA_BUNDLE}); only over HTTPS. */
    public Path certificatePem() {
        return tls().resolve("certificate.pem");
    }

    /** A PKCS12 trust store holding the server's certificate alone ({@link #TRUST_STORE_PASSWORD}); only over HTTPS. */
    public Path trustStore() {
        return tls().resolve("trust.p12");
    }

    private Path tls() {
        if (tlsDirectory == null) {
            throw new IllegalStateException("this S3Proxy serves plain HTTP: start it with startHttps()");
        }
        return tlsDirectory;
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
                if (tlsDirectory != null) {
                    PostgresUser.deleteRecursively(tlsDirectory);
                }
            }
        }
    }
}
