package io.cumulus.storage.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.apache.http.HttpHost;
import org.apache.http.conn.socket.LayeredConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.protocol.HttpContext;

/**
 * The HTTPS socket factory of a client whose endpoint is plain HTTP. The SDK's own is made with the
 * client and loads the JDK's trust store, tens of milliseconds of a one-shot archive call, for
 * connections such a client never opens; this one makes the JDK's default TLS factory only when a
 * connection asks for it.
 */
final class DeferredTlsSocketFactory implements LayeredConnectionSocketFactory {

    private volatile LayeredConnectionSocketFactory tls;

    private LayeredConnectionSocketFactory tls() {
        LayeredConnectionSocketFactory factory = tls;
        if (factory == null) {
            synchronized (this) {
                if (tls == null) {
                    tls = SSLConnectionSocketFactory.getSystemSocketFactory();
                }
                factory = tls;
            }
        }
        return factory;
    }

    /** Whether the TLS factory has been made (for tests). */
    boolean started() {
        return tls != null;
    }

    @Override
    public Socket createSocket(HttpContext context) throws IOException {
        return tls().createSocket(context);
    }

    @Override
    public Socket connectSocket(int connectTimeout, Socket socket, HttpHost host, InetSocketAddress remoteAddress,
            InetSocketAddress localAddress, HttpContext context) throws IOException {
        return tls().connectSocket(connectTimeout, socket, host, remoteAddress, localAddress, context);
    }

    @Override
    public Socket createLayeredSocket(Socket socket, String target, int port, HttpContext context) throws IOException {
        return tls().createLayeredSocket(socket, target, port, context);
    }
}
