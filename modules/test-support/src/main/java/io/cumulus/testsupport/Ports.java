package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback ports for servers that tests start, and for endpoints that must be unreachable. */
public final class Ports {

    private Ports() {
    }

    /**
     * A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the
     * caller binds it, so a server that fails to bind should retry with a new one.
     */
    public static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
