package io.cumulus.bench;

import io.cumulus.testsupport.S3ProxyServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * The S3 endpoint of the benchmark: one long-lived S3Proxy (test-support's {@link S3ProxyServer}:
 * S3Proxy 2.7.0, SigV4, filesystem backend) on a free 127.0.0.1 port over plain HTTP, and, when a
 * keystore is given, a second S3Proxy listener over HTTPS serving the <em>same</em> directory of
 * buckets (pgBackRest only speaks HTTPS to S3).
 *
 * <pre>
 * java -cp ... io.cumulus.bench.S3ProxyMain ENDPOINTS_FILE BUCKET[,BUCKET...] [KEYSTORE PASSWORD]
 * </pre>
 *
 * Writes {@code http=URL}, {@code https=URL}, {@code access=KEY}, {@code secret=KEY} and
 * {@code basedir=DIR} lines to ENDPOINTS_FILE (atomically, once everything listens), then waits
 * until it is stopped with SIGTERM/SIGINT, when it stops both listeners and deletes the buckets.
 */
public final class S3ProxyMain {

    private S3ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 && args.length != 4) {
            System.err.println("usage: S3ProxyMain ENDPOINTS_FILE BUCKET[,BUCKET...] [KEYSTORE PASSWORD]");
            System.exit(3);
        }
        Path endpointsFile = Path.of(args[0]);
        S3ProxyServer server = S3ProxyServer.start();
        BlobStoreContext httpsContext = null;
        S3Proxy https = null;
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            for (String bucket : args[1].split(",")) {
                server.createBucket(bucket);
            }
            List<String> lines = new ArrayList<>();
            lines.add("http=" + server.endpoint());
            if (args.length == 4) {
                Properties properties = new Properties();
                properties.setProperty("jclouds.filesystem.basedir", server.baseDirectory().toString());
                httpsContext = ContextBuilder.newBuilder("filesystem")
                        .credentials("unused", "unused")
                        .overrides(properties)
                        .build(BlobStoreContext.class);
                https = S3Proxy.builder()
                        .blobStore(httpsContext.getBlobStore())
                        .secureEndpoint(URI.create("https://127.0.0.1:0"))
                        .keyStore(args[2], args[3])
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, server.accessKey(), server.secretKey())
                        .build();
                https.start();
                Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
                while (!"STARTED".equals(https.getState())) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("HTTPS S3Proxy did not start; state " + https.getState());
                    }
                    Thread.sleep(10);
                }
                lines.add("https=https://127.0.0.1:" + https.getSecurePort());
            }
            lines.add("access=" + server.accessKey());
            lines.add("secret=" + server.secretKey());
            lines.add("basedir=" + server.baseDirectory());
            Path tmp = endpointsFile.resolveSibling(endpointsFile.getFileName() + ".tmp");
            Files.write(tmp, lines, StandardCharsets.UTF_8);
            Files.move(tmp, endpointsFile, StandardCopyOption.ATOMIC_MOVE);
            final S3Proxy httpsProxy = https;
            final BlobStoreContext httpsCtx = httpsContext;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    if (httpsProxy != null) {
                        httpsProxy.stop();
                        httpsCtx.close();
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    server.close();
                    stopped.countDown();
                }
            }));
            System.out.println(String.join("\n", lines));
            System.out.flush();
        } catch (Exception e) {
            if (https != null) {
                https.stop();
            }
            if (httpsContext != null) {
                httpsContext.close();
            }
            server.close();
            throw e;
        }
        stopped.await();
    }
}
