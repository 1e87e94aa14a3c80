package io.cumulus.storage.s3;

import io.cumulus.storage.StoreConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;
import org.conscrypt.Conscrypt;
import software.amazon.awssdk.http.SystemPropertyTlsKeyManagersProvider;
import software.amazon.awssdk.http.apache.internal.conn.SdkTlsSocketFactory;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.profiles.ProfileFileSystemSetting;

/**
 * How an S3 client talks TLS: which engine encrypts, and which certificate authorities it trusts.
 *
 * <p><b>Engine.</b> A one-shot call over HTTPS spends most of its time in TLS when the JDK does it: the
 * handshake's elliptic-curve arithmetic and the AES-GCM of a 16 MiB body run as Java code that the
 * call's short-lived JIT never makes fast (docs/benchmarks.md, findings 11 and 23). Conscrypt does
 * both in BoringSSL, native code. It is used for S3 connections only (its provider is not installed
 * JVM-wide), where its native library loads; {@code CUMULUS_TLS=jdk} chooses the JDK's TLS (for a
 * FIPS-validated JDK, say), {@code CUMULUS_TLS=conscrypt} requires Conscrypt and fails if it cannot load.
 *
 * <p><b>Trust.</b> A trust store given as {@code -Djavax.net.ssl.trustStore} (in {@code CUMULUS_JAVA_OPTS},
 * so meant for Cumulus) first; else as boto3 (and so barman-cloud): the PEM bundle named by
 * {@code AWS_CA_BUNDLE}, else by the profile's {@code ca_bundle}, replaces the default authorities; without
 * one, the runtime's {@code cacerts}. Host names are checked as the SDK checks them, whatever the engine.
 */
final class TlsSetup {

    /** The environment variable that chooses the engine: {@code auto} (the default), {@code conscrypt}, {@code jdk}. */
    static final String ENGINE_VARIABLE = "CUMULUS_TLS";
    /** boto3's variable for a bundle of certificate authorities, which barman-cloud users already set. */
    static final String CA_BUNDLE_VARIABLE = "AWS_CA_BUNDLE";
    /** The same, as a property of an AWS profile. */
    static final String CA_BUNDLE_PROPERTY = "ca_bundle";

    /** Which TLS implementation encrypts S3 connections. */
    enum Engine {
        /** Conscrypt where its native library loads, else the JDK's. */
        AUTO,
        /** Conscrypt, or a failure saying why it cannot load. */
        CONSCRYPT,
        /** The JDK's own (SunJSSE). */
        JDK;

        static Engine parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new StoreConfigurationException(ENGINE_VARIABLE + "=" + value
                        + " is not a TLS engine: set it to auto, conscrypt or jdk, or unset it");
            }
        }
    }

    private TlsSetup() {
    }

    /**
     * Which certificate authorities a client trusts, and what to do about a certificate it refused
     * when that certificate is from a private authority (both for the one-line error).
     */
    record Trust(String trusted, String remedy) {
        /** The runtime's own authorities: before {@link #setUp} has run, over plain HTTP, or with nothing set. */
        static final Trust DEFAULT = new Trust("the Java runtime's default certificate authorities",
                "give its PEM bundle in AWS_CA_BUNDLE (or the profile's ca_bundle)");
    }

    /** What {@link #setUp} made: the socket factory for {@code https} connections, and what it trusts. */
    record Tls(LayeredConnectionSocketFactory socketFactory, Trust trust) {
    }

    /** The Java property that names a trust store; given in {@code CUMULUS_JAVA_OPTS}, it is meant for Cumulus. */
    static final String TRUST_STORE_PROPERTY = "javax.net.ssl.trustStore";

    /**
     * The socket factory for {@code https} connections, with the engine and trust that {@code environment}
     * (and, for a CA bundle, the AWS profile {@code profile}, else the default one) asks for. A trust
     * store given as the Java property {@code javax.net.ssl.trustStore} comes first: it can only have
     * been set for Cumulus, while {@code AWS_CA_BUNDLE} is often set for a whole host.
     */
    static Tls setUp(Map<String, String> environment, Optional<String> profile) {
        Engine engine = Engine.parse(environment.get(ENGINE_VARIABLE));
        String javaTrustStore = System.getProperty(TRUST_STORE_PROPERTY, "");
        Optional<Bundle> bundle = javaTrustStore.isEmpty() ? caBundle(environment, profile) : Optional.empty();
        List<X509Certificate> authorities = bundle.map(b -> readBundle(b.path(), b.origin())).orElse(List.of());
        Trust trust = bundle.map(b -> new Trust("the certificate authorities of " + b.origin() + " (" + b.path() + ")",
                        "add that authority's PEM certificate to that bundle"))
                .orElse(javaTrustStore.isEmpty() ? Trust.DEFAULT
                        : new Trust("the Java trust store " + TRUST_STORE_PROPERTY + "=" + javaTrustStore,
                                "import that authority's certificate into that trust store"));
        // the SDK's own factory, as its client makes it, with only the SSLContext changed, and sockets that
        // an abort can close while a write is blocked in them
        return new Tls(new SdkTlsSocketFactory(context(engine, authorities),
                SSLConnectionSocketFactory.getDefaultHostnameVerifier()) {
            @Override
            public Socket createLayeredSocket(Socket tcp, String target, int port, HttpContext context)
                    throws IOException {
                Socket tls = super.createLayeredSocket(tcp, target, port, context);
                return tls instanceof SSLSocket ssl ? new AbortableTlsSocket(ssl, tcp) : tls;
            }
        }, trust);
    }

    /** A CA bundle, and the setting that named it (for messages). */
    record Bundle(Path path, String origin) {
    }

    /** {@code AWS_CA_BUNDLE}, else the profile's {@code ca_bundle}, as boto3 looks for them. */
    static Optional<Bundle> caBundle(Map<String, String> environment, Optional<String> profile) {
        String variable = environment.get(CA_BUNDLE_VARIABLE);
        if (variable != null && !variable.isEmpty()) {
            return Optional.of(new Bundle(Path.of(variable), CA_BUNDLE_VARIABLE));
        }
        String name = profile.orElseGet(ProfileFileSystemSetting.AWS_PROFILE::getStringValueOrThrow);
        return ProfileFile.defaultProfileFile().profile(name)
                .flatMap(p -> p.property(CA_BUNDLE_PROPERTY))
                .filter(value -> !value.isEmpty())
                .map(value -> new Bundle(Path.of(value), "ca_bundle of AWS profile '" + name + "'"));
    }

    /** The certificates of a PEM bundle, or a failure naming {@code origin}, the path and what to give instead. */
    static List<X509Certificate> readBundle(Path path, String origin) {
        String fix = ": give a PEM file of the certificate authorities to trust, or unset it";
        List<X509Certificate> certificates = new ArrayList<>();
        try (InputStream in = Files.newInputStream(path)) {
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                if (certificate instanceof X509Certificate x509) {
                    certificates.add(x509);
                }
            }
        } catch (NoSuchFileException e) {
            throw new StoreConfigurationException(origin + " names " + path + ", which does not exist" + fix);
        } catch (IOException | CertificateException e) {
            throw new StoreConfigurationException(origin + " names " + path + ", which cannot be read as PEM"
                    + " certificates (" + e.getMessage() + ")" + fix, e);
        }
        if (certificates.isEmpty()) {
            throw new StoreConfigurationException(origin + " names " + path + ", which holds no certificate" + fix);
        }
        return certificates;
    }

    /** An SSLContext of {@code engine}'s, trusting {@code authorities} (none: the JDK's default trust store). */
    static SSLContext context(Engine engine, List<X509Certificate> authorities) {
        try {
            Provider provider = engine == Engine.JDK ? null : conscrypt(engine);
            SSLContext context = provider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", provider);
            // client certificates from javax.net.ssl.keyStore, as the SDK's client takes them
            context.init(SystemPropertyTlsKeyManagersProvider.create().keyManagers(), trustManagers(authorities), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Conscrypt's provider, or null (AUTO) when its native library does not load here. */
    private static Provider conscrypt(Engine engine) {
        try {
            Conscrypt.checkAvailability();
            return Conscrypt.newProvider();
        } catch (LinkageError | RuntimeException e) {
            if (engine == Engine.CONSCRYPT) {
                throw new StoreConfigurationException(ENGINE_VARIABLE + "=conscrypt, but Conscrypt does not load on this"
                        + " host (" + e + "): unset " + ENGINE_VARIABLE + " to use the JDK's TLS", e);
            }
            return null;
        }
    }

    /**
     * The JDK's trust managers (the JDK's TrustManagerFactory even under Conscrypt, whose provider is not
     * installed): over {@code authorities} only, or over the default trust store when there are none.
     */
    private static TrustManager[] trustManagers(List<X509Certificate> authorities)
            throws GeneralSecurityException, IOException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (authorities.isEmpty()) {
            factory.init((KeyStore) null);
        } else {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            factory.init(store);
        }
        return factory.getTrustManagers();
    }
}
