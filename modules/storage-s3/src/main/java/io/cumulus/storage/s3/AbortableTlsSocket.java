package io.cumulus.storage.s3;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import software.amazon.awssdk.http.apache.internal.net.DelegateSslSocket;

/**
 * A TLS socket that can be closed while a write is blocked in it, as the abort of an upload the store
 * stopped reading needs ({@link WriteTimeout}). Conscrypt's close first sends close_notify, which waits
 * for the socket's write lock, held by the blocked write: the abort then waited as long as the write,
 * that is for ever. (The JDK's TLS gives the alert up when the socket lingers 0 s, as an abort sets it.)
 * A close that finds a write under way closes the TCP connection beneath first, which ends that write;
 * the alert, which could not have gone out anyway, is dropped. Other closes are the engine's own.
 */
final class AbortableTlsSocket extends DelegateSslSocket {

    private final Socket tcp;
    private final AtomicInteger writing = new AtomicInteger();

    /** {@code tls}, layered over {@code tcp}. */
    AbortableTlsSocket(SSLSocket tls, Socket tcp) {
        super(tls);
        this.tcp = tcp;
    }

    /** The engine's socket (for tests). */
    SSLSocket tls() {
        return sock;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
        return new FilterOutputStream(sock.getOutputStream()) {
            @Override
            public void write(int b) throws IOException {
                writing.incrementAndGet();
                try {
                    out.write(b);
                } finally {
                    writing.decrementAndGet();
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writing.incrementAndGet();
                try {
                    out.write(b, off, len);
                } finally {
                    writing.decrementAndGet();
                }
            }

            @Override
            public void flush() throws IOException {
                writing.incrementAndGet();
                try {
                    out.flush();
                } finally {
                    writing.decrementAndGet();
                }
            }
        };
    }

    @Override
    public void close() throws IOException {
        if (writing.get() > 0) {
            tcp.close();
        }
        sock.close();
    }
}
