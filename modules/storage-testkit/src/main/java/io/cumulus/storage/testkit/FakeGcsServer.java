package io.cumulus.storage.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * build-support/fake-gcs.py, the fake of the GCS JSON API, run for a test: a python3 process on a free
 * loopback port, stopped (by its PID) on close. See the script for what it answers, and how GCS would.
 */
public final class FakeGcsServer implements AutoCloseable {

    private final Process process;
    private final URI endpoint;
    private final HttpClient http = HttpClient.newHttpClient();

    private FakeGcsServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** Whether the fake can run here: python3 on the PATH. */
    public static boolean available() {
        try {
            return new ProcessBuilder("python3", "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Starts the fake.
     *
     * @param strictBuckets only buckets created through the API exist (and others answer GCS's "bucket
     *     does not exist"), rather than every bucket
     */
    public static FakeGcsServer start(boolean strictBuckets) {
        List<String> command = new ArrayList<>(List.of("python3", script().toString()));
        if (strictBuckets) {
            command.add("--strict-buckets");
        }
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (line == null) {
                process.destroyForcibly();
                throw new IllegalStateException(script() + " did not start");
            }
            return new FakeGcsServer(process, URI.create("http://127.0.0.1:" + Integer.parseInt(line.trim())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The script, in the checkout's build-support/ (cumulus.root, or the working directory or one above). */
    static Path script() {
        List<Path> candidates = new ArrayList<>();
        String root = System.getProperty("cumulus.root");
        if (root != null && !root.isBlank()) {
            candidates.add(Path.of(root));
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            candidates.add(dir);
        }
        return candidates.stream().map(dir -> dir.resolve("build-support/fake-gcs.py")).filter(Files::isRegularFile)
                .findFirst().orElseThrow(() -> new IllegalStateException("build-support/fake-gcs.py not found above "
                        + Path.of("").toAbsolutePath() + " (set -Dcumulus.root to the checkout)"));
    }

    /** Where the fake listens, as STORAGE_EMULATOR_HOST names it: {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return endpoint;
    }

    /**
     * Makes the next {@code times} calls of {@code method} whose path contains {@code path} fail with
     * {@code status}, or with the connection reset without an answer when {@code status} is 0. With
     * {@code after}, each call is done first and only its answer fails: the client cannot tell it happened.
     */
    public void fail(String method, String path, int status, boolean after, int times) {
        String json = String.format("[{\"method\": \"%s\", \"path\": \"%s\", \"status\": %s, \"after\": %s,"
                + " \"times\": %d}]", method, path, status == 0 ? "\"reset\"" : Integer.toString(status), after, times);
        send(HttpRequest.newBuilder(endpoint.resolve("/_faults")).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * How many calls of {@code kind} (upload, compose, list, batch, delete; composeWithKmsKey: the
     * composes that named a KMS key) the fake has served.
     */
    public int calls(String kind) {
        Matcher m = Pattern.compile("\"" + kind + "\": (\\d+)").matcher(new String(get("/_stats").body(),
                StandardCharsets.UTF_8));
        if (!m.find()) {
            throw new IllegalArgumentException("the fake counts no calls of kind " + kind);
        }
        return Integer.parseInt(m.group(1));
    }

    /** A GET of {@code pathAndQuery} (already encoded), to look at the fake through the JSON API. */
    public HttpResponse<byte[]> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(endpoint + pathAndQuery)));
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "the fake GCS JSON API at " + endpoint;
    }
}
