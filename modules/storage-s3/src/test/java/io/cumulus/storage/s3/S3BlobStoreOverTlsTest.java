package io.cumulus.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreConfigurationException;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.testsupport.S3ProxyServer;
import io.cumulus.testsupport.SystemProperties;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import org.apache.http.protocol.BasicHttpContext;
import org.conscrypt.Conscrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract over TLS: S3Proxy serving HTTPS with a self-signed certificate, which the
 * client trusts through {@code AWS_CA_BUNDLE} as barman-cloud users give it, the connections made by
 * Conscrypt. Then what TLS adds: the engine each setting gets, the CA bundle's sources and mistakes,
 * and the certificates that must be refused whatever the engine.
 */
class S3BlobStoreOverTlsTest extends S3ProxyContractTest {

    @TempDir
    Path temp;

    @Override
    protected S3ProxyServer newServer() throws Exception {
        return S3ProxyServer.startHttps();
    }

    @Override
    protected BlobStore open(S3StoreConfig config) {
        return S3BlobStores.open(config, builder -> { }, trustingTheServer());
    }

    /** The environment of a host whose AWS_CA_BUNDLE names the server's certificate. */
    private Map<String, String> trustingTheServer() {
        return Map.of(TlsSetup.CA_BUNDLE_VARIABLE, server.certificatePem().toString());
    }

    private static Map<String, String> with(Map<String, String> environment, String name, String value) {
        Map<String, String> copy = new HashMap<>(environment);
        copy.put(name, value);
        return copy;
    }

    private BlobStore openIn(Map<String, String> environment) {
        return S3BlobStores.open(config(server, newBucket(server)), builder -> { }, environment);
    }

    // ---------------------------------------------------------------- the engine

    @Test
    void connectionsAreConscryptsByDefaultAndTheJdksWhenAsked() throws Exception {
        SSLSocket conscrypt = handshake(TlsSetup.setUp(trustingTheServer(), Optional.empty()).socketFactory());
        try {
            assertTrue(Conscrypt.isConscrypt(conscrypt), conscrypt.getClass().getName());
            assertEquals("TLSv1.3", conscrypt.getSession().getProtocol());
        } finally {
            conscrypt.close();
        }
        SSLSocket jdk = handshake(TlsSetup.setUp(with(trustingTheServer(), TlsSetup.ENGINE_VARIABLE, "jdk"),
                Optional.empty()).socketFactory());
        try {
            assertFalse(Conscrypt.isConscrypt(jdk), jdk.getClass().getName());
        } finally {
            jdk.close();
        }
    }

    /** A TLS connection to the server made by {@code factory}, as the HTTP client makes one. */
    private SSLSocket handshake(LayeredConnectionSocketFactory factory) throws IOException {
        URI endpoint = server.endpoint();
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), 10_000);
        Socket layered = factory.createLayeredSocket(plain, endpoint.getHost(), endpoint.getPort(), new BasicHttpContext());
        return assertInstanceOf(AbortableTlsSocket.class, layered).tls();
    }

    @Test
    void theJdksEngineCarriesWritesAndReadsToo() throws IOException {
        try (BlobStore s3 = openIn(with(trustingTheServer(), TlsSetup.ENGINE_VARIABLE, "JDK"))) {
            byte[] data = bytes(partSize() + 10, 60); // a multipart upload and a ranged read
            try (BlobOutputStream out = s3.openWrite("jdk/object", WriteOptions.DEFAULT)) {
                out.write(data);
            }
            try (InputStream in = s3.openRead("jdk/object", 5, 100)) {
                assertArrayEquals(java.util.Arrays.copyOfRange(data, 5, 105), in.readAllBytes());
            }
        }
    }

    @Test
    void anUnknownEngineIsASettingToMendNamedInTheError() throws IOException {
        try (BlobStore s3 = openIn(with(trustingTheServer(), TlsSetup.ENGINE_VARIABLE, "openssl"))) {
            StoreConfigurationException e = assertThrows(StoreConfigurationException.class, s3::checkAvailable);
            assertTrue(e.getMessage().contains("CUMULUS_TLS=openssl") && e.getMessage().contains("auto, conscrypt or jdk"),
                    e.getMessage());
        }
    }

    // ---------------------------------------------------------------- what is trusted

    @Test
    void aCertificateNoTrustedAuthoritySignedIsRefusedByEitherEngineAndNothingIsWritten() throws IOException {
        String bucket = newBucket(server);
        for (String engine : List.of("auto", "jdk")) {
            // no bundle: the JDK's default authorities, which never signed this throwaway certificate
            try (BlobStore s3 = S3BlobStores.open(config(server, bucket), builder -> { },
                    Map.of(TlsSetup.ENGINE_VARIABLE, engine))) {
                IOException e = assertThrows(IOException.class, () -> writeSmall(s3, "untrusted"));
                assertTrue(e.getMessage().contains("Trusted: the Java runtime's default certificate authorities;")
                        && e.getMessage().contains("give its PEM bundle in AWS_CA_BUNDLE"), engine + ": " + e.getMessage());
            }
        }
        try (BlobStore trusted = open(config(server, bucket))) {
            assertEquals(Optional.empty(), trusted.stat("untrusted"));
        }
    }

    @Test
    void aRefusedCertificateIsReportedWithTheBundleThatWasTrusted() throws Exception {
        Path other = otherAuthority();
        String bucket = newBucket(server);
        try (BlobStore s3 = S3BlobStores.open(config(server, bucket), builder -> { },
                Map.of(TlsSetup.CA_BUNDLE_VARIABLE, other.toString()))) {
            IOException e = assertThrows(IOException.class, () -> writeSmall(s3, "untrusted"));
            assertTrue(e.getMessage().contains("Trusted: the certificate authorities of AWS_CA_BUNDLE (" + other + ");")
                    && e.getMessage().contains("add that authority's PEM certificate to that bundle"), e.getMessage());
        }
        try (BlobStore trusted = open(config(server, bucket))) {
            assertEquals(Optional.empty(), trusted.stat("untrusted"));
        }
    }

    @Test
    void aJavaTrustStoreGivenForCumulusWinsOverAHostWideCaBundle() throws Exception {
        // AWS_CA_BUNDLE set for the whole host (a distribution's bundle, say), and -Djavax.net.ssl.trustStore
        // in CUMULUS_JAVA_OPTS: the latter can only have been meant for Cumulus
        Map<String, String> hostWide = Map.of(TlsSetup.CA_BUNDLE_VARIABLE, otherAuthority().toString());
        try (SystemProperties set = SystemProperties.set(Map.of(
                "javax.net.ssl.trustStore", server.trustStore().toString(),
                "javax.net.ssl.trustStorePassword", S3ProxyServer.TRUST_STORE_PASSWORD));
                BlobStore s3 = openIn(hostWide)) {
            writeSmall(s3, "by-java-trust-store");
            assertTrue(s3.stat("by-java-trust-store").isPresent());
        }
        try (BlobStore s3 = openIn(hostWide)) { // and without it, the bundle is what counts again
            assertThrows(IOException.class, () -> writeSmall(s3, "by-bundle"));
        }
    }

    /** A PEM bundle of one real authority (the first of the JDK's own), which never signed the server's certificate. */
    private Path otherAuthority() throws Exception {
        java.security.KeyStore cacerts = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"))) {
            cacerts.load(in, null);
        }
        String alias = cacerts.aliases().nextElement();
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(cacerts.getCertificate(alias).getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        return Files.writeString(temp.resolve("other-authority.pem"), pem);
    }

    @Test
    void aCertificateForAnotherHostIsRefusedByEitherEngine() throws IOException {
        // the certificate names the address 127.0.0.1 only; "localhost" reaches the same server
        URI byName = URI.create("https://localhost:" + server.endpoint().getPort());
        for (String engine : List.of("auto", "jdk")) {
            try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withEndpoint(byName), builder -> { },
                    with(trustingTheServer(), TlsSetup.ENGINE_VARIABLE, engine))) {
                IOException e = assertThrows(IOException.class, () -> writeSmall(s3, "other-host"));
                assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("localhost"),
                        engine + ": " + e.getMessage());
            }
        }
    }

    private void writeSmall(BlobStore s3, String key) throws IOException {
        try (BlobOutputStream out = s3.openWrite(key, WriteOptions.DEFAULT)) {
            out.write(bytes(100, 61));
        }
    }

    @Test
    void aProfilesCaBundleIsTrustedWhenTheVariableIsUnsetAndTheVariableWinsOverIt() throws IOException {
        Path config = Files.writeString(temp.resolve("aws-config"),
                "[profile tls]\nca_bundle = " + server.certificatePem() + "\n");
        try (SystemProperties set = SystemProperties.set(Map.of("aws.configFile", config.toString()))) {
            try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withProfile("tls"), builder -> { },
                    Map.of())) {
                writeSmall(s3, "by-profile");
                assertTrue(s3.stat("by-profile").isPresent());
            }
            Path missing = temp.resolve("no-such-bundle.pem");
            try (BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withProfile("tls"), builder -> { },
                    Map.of(TlsSetup.CA_BUNDLE_VARIABLE, missing.toString()))) {
                StoreConfigurationException e = assertThrows(StoreConfigurationException.class, s3::checkAvailable);
                assertTrue(e.getMessage().startsWith("AWS_CA_BUNDLE names " + missing + ", which does not exist"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aCaBundleWithoutCertificatesIsASettingToMendNamedInTheError() throws IOException {
        Path empty = Files.writeString(temp.resolve("empty.pem"), "# nothing here\n");
        try (BlobStore s3 = openIn(Map.of(TlsSetup.CA_BUNDLE_VARIABLE, empty.toString()))) {
            StoreConfigurationException e = assertThrows(StoreConfigurationException.class, s3::checkAvailable);
            assertTrue(e.getMessage().startsWith("AWS_CA_BUNDLE names " + empty) && e.getMessage().contains("PEM"),
                    e.getMessage());
        }
    }

    @Test
    void aBundleOfSeveralAuthoritiesWithCommentsBetweenThemIsReadWhole() throws IOException {
        // as certifi's cacert.pem and the distributions' bundles are written
        String pem = Files.readString(server.certificatePem(), StandardCharsets.US_ASCII);
        Path bundle = Files.writeString(temp.resolve("bundle.pem"),
                "# Issuer: first\n" + pem + "\n# Issuer: second\n# more words\n" + pem);
        assertEquals(2, TlsSetup.readBundle(bundle, "AWS_CA_BUNDLE").size());
    }

    // ---------------------------------------------------------------- how bodies reach the socket

    @Test
    void aBodyGoesToTheSocketInWideWritesNotIn8KiBSteps() throws Exception {
        // Over TLS each write to the socket becomes records of at most 16 KiB, so the records the client
        // sends show the size of its writes: 8 KiB with HttpClient's default buffer, 16 KiB with ours.
        try (TlsRecordRelay relay = new TlsRecordRelay(server.endpoint());
                BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withEndpoint(relay.endpoint()),
                        builder -> { }, trustingTheServer())) {
            byte[] data = bytes(1 << 20, 62);
            try (BlobOutputStream out = s3.openWrite("wide/object", WriteOptions.DEFAULT)) {
                out.write(data);
            }
            try (InputStream in = s3.openRead("wide/object")) {
                assertArrayEquals(data, in.readAllBytes());
            }
            assertTrue(relay.largestClientRecord() > 16 * 1024,
                    "largest record from the client: " + relay.largestClientRecord() + " bytes");
        }
    }

    @Test
    void anUploadTheStoreStopsReadingIsGivenUpWhateverTheEngine() throws Exception {
        // the relay passes the handshake and the first bytes of the request, then stops reading: the
        // client's writes block inside the TLS engine, which the abort must still end
        for (String engine : List.of("auto", "jdk")) {
            try (TlsRecordRelay relay = new TlsRecordRelay(server.endpoint(), 256 * 1024);
                    BlobStore s3 = S3BlobStores.open(config(server, newBucket(server)).withEndpoint(relay.endpoint())
                            .withReadTimeout(Duration.ofSeconds(1)).withMaxAttempts(2),
                            builder -> { }, with(trustingTheServer(), TlsSetup.ENGINE_VARIABLE, engine))) {
                byte[] data = bytes(16 * 1024 * 1024, 63);
                StoreUnavailableException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                        () -> assertThrows(StoreUnavailableException.class, () -> {
                            try (BlobOutputStream out = s3.openWrite("stalled/object", WriteOptions.DEFAULT)) {
                                out.write(data);
                            }
                        }));
                assertTrue(e.getMessage().contains("the store stopped reading the upload"), engine + ": " + e.getMessage());
            }
        }
    }

    /**
     * A TCP relay in front of the server that reads the TLS record headers the client sends (5 bytes:
     * type, version, length) and keeps the largest length of application data; it may stop reading
     * from the client after some bytes, as a store that stalls.
     */
    private static final class TlsRecordRelay implements AutoCloseable {
        private static final int APPLICATION_DATA = 23;
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final InetSocketAddress target;
        private final long stallAfter;
        private final AtomicInteger largest = new AtomicInteger();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();

        TlsRecordRelay(URI server) throws IOException {
            this(server, Long.MAX_VALUE);
        }

        /** A relay that stops reading from each client once it has passed {@code stallAfter} bytes of it. */
        TlsRecordRelay(URI server, long stallAfter) throws IOException {
            this.stallAfter = stallAfter;
            target = new InetSocketAddress(server.getHost(), server.getPort());
            daemon(() -> {
                while (!listener.isClosed()) {
                    Socket client = listener.accept();
                    Socket upstream = new Socket(target.getAddress(), target.getPort());
                    sockets.add(client);
                    sockets.add(upstream);
                    daemon(() -> clientToServer(client.getInputStream(), upstream.getOutputStream()));
                    daemon(() -> upstream.getInputStream().transferTo(client.getOutputStream()));
                }
            });
        }

        URI endpoint() {
            return URI.create("https://127.0.0.1:" + listener.getLocalPort());
        }

        int largestClientRecord() {
            return largest.get();
        }

        private void clientToServer(InputStream from, java.io.OutputStream to) throws IOException {
            DataInputStream in = new DataInputStream(from);
            byte[] header = new byte[5];
            long passed = 0;
            while (in.read(header, 0, 1) == 1) {
                in.readFully(header, 1, 4);
                int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
                byte[] body = in.readNBytes(length);
                if (header[0] == APPLICATION_DATA) {
                    largest.accumulateAndGet(length, Math::max);
                }
                to.write(header);
                to.write(body);
                to.flush();
                passed += header.length + body.length;
                while (passed >= stallAfter && !listener.isClosed()) {
                    sleep(); // reads no more: the client's socket buffers fill, then its writes block
                }
            }
        }

        private static void sleep() throws IOException {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
        }

        private interface Io {
            void run() throws IOException;
        }

        private static void daemon(Io io) {
            Thread thread = new Thread(() -> {
                try {
                    io.run();
                } catch (IOException e) {
                    // a side closed: the relay's connection ends with it
                }
            }, "tls-record-relay");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
