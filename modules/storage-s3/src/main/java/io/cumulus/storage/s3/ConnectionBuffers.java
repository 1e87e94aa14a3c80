package io.cumulus.storage.s3;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import org.apache.http.config.ConnectionConfig;
import org.apache.http.conn.HttpClientConnectionManager;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache.internal.impl.ConnectionManagerAwareHttpClient;

/**
 * Gives the SDK's Apache connections 64 KiB buffers instead of HttpClient's 8 KiB. The SDK writes a
 * request body 4 KiB at a time into the connection's buffer, which goes to the socket whenever it fills:
 * with 8 KiB, a 16 MiB segment takes 2,048 socket writes (and as many TLS records over HTTPS), each
 * one a pass through the kernel's TCP stack on both ends; with 64 KiB, 256. Responses are read in the
 * same larger steps. On this project's machine that cut an async uploader's CPU by about 6 % and a
 * synchronous HTTPS call by 20–25 ms, in alternating runs (docs/benchmarks.md, finding 26).
 *
 * <p>The SDK builds the connection manager itself and offers no setting for its buffers, so this reaches
 * it through the one private field of {@link ApacheHttpClient} that holds the Apache client. Should a
 * later SDK move that field, the client keeps HttpClient's default buffers and works as before, only
 * with more system calls; {@code S3BlobStoreOverTlsTest.aBodyGoesToTheSocketInWideWritesNotIn8KiBSteps},
 * which reads the sizes of the TLS records the client sends, fails then, so an upgrade of the SDK notices.
 */
final class ConnectionBuffers {

    /** The buffer of each connection, each way. At most 2 x 64 KiB for each of the client's connections. */
    static final int SIZE = 64 * 1024;

    private ConnectionBuffers() {
    }

    /** {@code client}, its connections given {@link #SIZE} buffers if it is the SDK's Apache client. */
    static SdkHttpClient widen(SdkHttpClient client) {
        connectionManager(client).ifPresent(manager -> manager.setDefaultConnectionConfig(ConnectionConfig.custom()
                .setBufferSize(SIZE)
                // writes up to this size are gathered in the buffer rather than sent as they come
                .setFragmentSizeHint(SIZE)
                .build()));
        return client;
    }

    /** The pool of the Apache client inside {@code client}, if the SDK still keeps it where it did (2.35). */
    private static Optional<PoolingHttpClientConnectionManager> connectionManager(SdkHttpClient client) {
        if (!(client instanceof ApacheHttpClient)) {
            return Optional.empty();
        }
        try {
            // a VarHandle, not Field.get: reflection would spin accessor classes at run time (finding 28)
            VarHandle field = MethodHandles.privateLookupIn(ApacheHttpClient.class, MethodHandles.lookup())
                    .findVarHandle(ApacheHttpClient.class, "httpClient", ConnectionManagerAwareHttpClient.class);
            HttpClientConnectionManager manager = ((ConnectionManagerAwareHttpClient) field.get(client))
                    .getHttpClientConnectionManager();
            return manager instanceof PoolingHttpClientConnectionManager pool ? Optional.of(pool) : Optional.empty();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
