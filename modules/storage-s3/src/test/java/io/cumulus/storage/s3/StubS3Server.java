package io.cumulus.storage.s3;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP server whose every answer a test writes, for what S3Proxy cannot show: a store that
 * honours or rejects {@code If-None-Match}, stops reading a request body, or sends a listing S3 never
 * would. Requests are handled on threads of their own, so that one held back does not hold the others;
 * closing the server interrupts them.
 * The JDK's server answers {@code Expect: 100-continue} itself, so a body follows the headers at once.
 */
final class StubS3Server implements AutoCloseable {

    /** Answers one request. */
    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "stub-s3");
        thread.setDaemon(true);
        return thread;
    });

    private StubS3Server(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            try (exchange) {
                handler.handle(exchange);
            } catch (Exception e) {
                // the client sees the connection close, which is what a test of a failing store wants
            }
        });
        server.setExecutor(threads);
        server.start();
    }

    static StubS3Server start(Handler handler) throws IOException {
        return new StubS3Server(handler);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Answers {@code status} with an S3 error document naming {@code code}. */
    static void error(HttpExchange exchange, int status, String code) throws IOException {
        xml(exchange, status, "<Error><Code>" + code + "</Code><Message>" + code + " (stub)</Message>"
                + "<RequestId>stub</RequestId></Error>");
    }

    /** Answers {@code status} with {@code body} as XML. */
    static void xml(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/xml");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Answers {@code status} with no body (HEAD, or a PUT that succeeded), with an ETag. */
    static void empty(HttpExchange exchange, int status, String etag) throws IOException {
        if (etag != null) {
            exchange.getResponseHeaders().set("ETag", "\"" + etag + "\"");
        }
        exchange.sendResponseHeaders(status, -1);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
