package io.cumulus.storage.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.Supplier;
import org.apache.http.HttpHost;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;
import software.amazon.awssdk.utils.Lazy;

/**
 * The HTTPS socket factory of a client whose endpoint is plain HTTP. Making one (TlsSetup's: the
 * engine's native library, the trusted authorities read) costs a one-shot archive call tens of
 * milliseconds, for connections such a client never opens; this one makes it only when a connection
 * asks for it.
 */
final class DeferredTlsSocketFactory implements LayeredConnectionSocketFactory {

    private final Lazy<LayeredConnectionSocketFactory> tls;

    /** A factory that calls {@code maker} once, for the first TLS connection. */
    DeferredTlsSocketFactory(Supplier<LayeredConnectionSocketFactory> maker) {
        this.tls = new Lazy<>(maker);
    }

    /** Whether the TLS factory has been made (for tests). */
    boolean started() {
        return tls.hasValue();
    }

    @Override
    public Socket createSocket(HttpContext context) throws IOException {
        return tls.getValue().createSocket(context);
    }

    @Override
    public Socket connectSocket(int connectTimeout, Socket socket, HttpHost host, InetSocketAddress remoteAddress,
            InetSocketAddress localAddress, HttpContext context) throws IOException {
        return tls.getValue().connectSocket(connectTimeout, socket, host, remoteAddress, localAddress, context);
    }

    @Override
    public Socket createLayeredSocket(Socket socket, String target, int port, HttpContext context) throws IOException {
        return tls.getValue().createLayeredSocket(socket, target, port, context);
    }
}
