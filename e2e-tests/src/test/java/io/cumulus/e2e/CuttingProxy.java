package io.cumulus.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a store that breaks one download the way a failing network does: once a
 * connection has carried {@code cutAfter} bytes from the store to the tool, both sides are reset
 * (RST, "Connection reset" / "Premature end of Content-Length delimited message body" to the
 * client), {@code cuts} times. With {@code downAfterCut}, the proxy then stops listening and every
 * later connection is refused: a store that went away and stays away. After {@link #freeze} it passes
 * nothing more either way and keeps every connection open: a store that stops answering.
 */
final class CuttingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final long cutAfter;
    private final AtomicInteger cutsLeft;
    private final boolean downAfterCut;
    private final AtomicInteger cutsDone = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile boolean frozen;

    CuttingProxy(URI targetEndpoint, long cutAfter, int cuts, boolean downAfterCut) {
        this.target = new InetSocketAddress(targetEndpoint.getHost(), targetEndpoint.getPort());
        this.cutAfter = cutAfter;
        this.cutsLeft = new AtomicInteger(cuts);
        this.downAfterCut = downAfterCut;
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor = new Thread(this::accept, "cutting-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The endpoint the tools are given instead of the store's. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** From now on, holds every byte either way until closed, as a store that hangs (or a host that was paused). */
    void freeze() {
        frozen = true;
    }

    /** How many connections were cut so far. */
    int cuts() {
        return cutsDone.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getHostString(), target.getPort());
                open.add(client);
                open.add(upstream);
                pump(client, upstream, false, client, upstream);
                pump(upstream, client, true, client, upstream);
            } catch (IOException e) {
                // closed, or the store itself refused: the client sees its connection end
            }
        }
    }

    private void pump(Socket from, Socket to, boolean downstream, Socket client, Socket upstream) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            long carried = 0;
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    while (frozen && !server.isClosed()) {
                        Thread.sleep(50);
                    }
                    if (downstream && carried + n > cutAfter && cutsLeft.getAndDecrement() > 0) {
                        int head = (int) (cutAfter - carried);
                        out.write(buffer, 0, Math.max(head, 0));
                        out.flush();
                        cut(client, upstream);
                        return;
                    }
                    out.write(buffer, 0, n);
                    carried += n;
                }
                to.shutdownOutput();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closeQuietly(client);
                closeQuietly(upstream);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }, "cutting-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private void cut(Socket client, Socket upstream) {
        cutsDone.incrementAndGet();
        try {
            client.setSoLinger(true, 0); // RST: a reset, not an orderly end of the body
        } catch (IOException e) {
            // closing is enough
        }
        closeQuietly(client);
        closeQuietly(upstream);
        if (downAfterCut) {
            close();
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        open.forEach(CuttingProxy::closeQuietly);
    }
}
