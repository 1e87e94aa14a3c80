package io.cumulus.storage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * Aborts a request whose body the store has stopped taking for the read timeout: the socket timeout
 * bounds reads only, so a store that accepts a PUT's headers and then stops reading its body would
 * hold the call (an archive_command, the --async uploader, a backup) forever, where barman-cloud's
 * Python socket timeout bounds each send as well. The SDK's retries then run as for any broken
 * connection; the failure of the last attempt is a {@link StalledWriteException}. (Over TLS, the abort
 * ends the blocked write through {@link AbortableTlsSocket}.)
 *
 * <p>It bounds the time without progress, not the total: a slow link that keeps taking bytes is never
 * cut, however long a 16 MiB segment or a 1 GiB part takes on it. (The SDK's attempt timeout can only
 * bound the total, at a slowest rate someone would have to guess; guess too high and a slow link never
 * gets an object through, guess too low and a stall holds the call for many minutes.) Progress is seen
 * where the HTTP client reads the body to send it: it reads on only once the socket has taken what it
 * wrote before, in steps of at most a connection buffer ({@link ConnectionBuffers}, 64 KiB).
 *
 * <p>The clock starts at the first byte of the body read: connecting, and waiting for a
 * {@code 100 Continue}, have bounds of their own. Once the whole body was read, the client may still be
 * flushing its last buffer, and then waits for the answer under the socket timeout; the limit doubles
 * there, so that this never pre-empts that timeout. One daemon thread per client watches, started by
 * the first request with a body and waking at most once per read timeout; a plain thread rather than a
 * scheduled executor, whose first use costs a one-shot archive call some milliseconds more.
 */
final class WriteTimeout implements SdkHttpClient {

    private final SdkHttpClient http;
    private final long timeoutNanos;
    /** The requests with a body under way. */
    private final Set<Watched> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile Thread watchdog;
    private volatile boolean closed;

    private WriteTimeout(SdkHttpClient http, Duration timeout) {
        this.http = http;
        this.timeoutNanos = timeout.toNanos();
    }

    /** {@code http}, its requests' bodies bounded by {@code timeout} without progress. */
    static SdkHttpClient wrap(SdkHttpClient http, Duration timeout) {
        return new WriteTimeout(http, timeout);
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        if (request.contentStreamProvider().isEmpty()) {
            return http.prepareRequest(request);
        }
        Body body = new Body(request.contentStreamProvider().get());
        HttpExecuteRequest.Builder watched = HttpExecuteRequest.builder()
                .request(request.httpRequest())
                .contentStreamProvider(body);
        request.metricCollector().ifPresent(watched::metricCollector);
        return new Watched(http.prepareRequest(watched.build()), body);
    }

    @Override
    public String clientName() {
        return http.clientName();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(watchdog);
        http.close();
    }

    private void watch(Watched request) {
        inFlight.add(request);
        if (!started.get() && started.compareAndSet(false, true)) {
            Thread thread = new Thread(this::watchUntilClosed, "cumulus-s3-write-timeout");
            thread.setDaemon(true);
            watchdog = thread;
            thread.start();
        }
    }

    /** Aborts the requests whose bodies are overdue; sleeps until the next one could be. */
    private void watchUntilClosed() {
        while (!closed) {
            long now = System.nanoTime();
            long sleep = timeoutNanos; // a request that begins meanwhile is not due before then
            for (Watched request : inFlight) {
                long left = request.dueIn(now);
                if (left <= 0) {
                    request.stall();
                } else {
                    sleep = Math.min(sleep, left);
                }
            }
            LockSupport.parkNanos(this, sleep);
        }
    }

    /** The store took none of a request's body for the read timeout, and the request was aborted. */
    static final class StalledWriteException extends IOException {
        private static final long serialVersionUID = 1L;

        StalledWriteException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A request body that notes when the HTTP client last read from it, that is, when the socket took bytes. */
    private static final class Body implements ContentStreamProvider {
        private final ContentStreamProvider body;
        /** {@link System#nanoTime()} of the last read, once {@link #begun}. */
        private volatile long lastRead;
        private volatile boolean begun;
        /** Whether the body was read to its end. */
        private volatile boolean ended;

        Body(ContentStreamProvider body) {
            this.body = body;
        }

        @Override
        public InputStream newStream() {
            return new FilterInputStream(body.newStream()) {
                @Override
                public int read() throws IOException {
                    return moved(super.read());
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return moved(super.read(b, off, len));
                }
            };
        }

        private int moved(int result) {
            lastRead = System.nanoTime();
            begun = true;
            if (result < 0) {
                ended = true;
            }
            return result;
        }

        @Override
        public String name() {
            return body.name();
        }
    }

    /** One attempt of a request with a body, aborted by the watchdog when its body stops moving. */
    private final class Watched implements ExecutableHttpRequest {
        private final ExecutableHttpRequest request;
        private final Body body;
        private volatile boolean stalled;

        Watched(ExecutableHttpRequest request, Body body) {
            this.request = request;
            this.body = body;
        }

        @Override
        public HttpExecuteResponse call() throws IOException {
            watch(this);
            try {
                return request.call();
            } catch (IOException e) {
                if (stalled) {
                    throw new StalledWriteException("it took no byte of the request body for "
                            + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s", e);
                }
                throw e;
            } finally {
                inFlight.remove(this);
            }
        }

        /**
         * How long from {@code now} until the body is overdue. One not begun is never: the client is still
         * connecting, or waiting for a 100 Continue, which have timeouts of their own.
         */
        long dueIn(long now) {
            if (!body.begun) {
                return timeoutNanos;
            }
            long limit = body.ended ? 2 * timeoutNanos : timeoutNanos;
            return body.lastRead + limit - now;
        }

        void stall() {
            stalled = true;
            inFlight.remove(this);
            request.abort(); // closes the connection, which ends the blocked write with an IOException
        }

        @Override
        public void abort() {
            request.abort();
        }
    }
}
