package io.cumulus.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gs:// store the packaged tools reach over HTTP: a bucket on the fake of the GCS JSON API in
 * src/test/resources/fake-gcs.py (python3, on a free loopback port), named to the tools by {@code
 * STORAGE_EMULATOR_HOST} as the Google libraries take it. A fake, not an emulator: it answers only the
 * calls google-cloud-storage makes for the tools, so that the packaged tools' whole GCS stack runs
 * where no emulator can be installed. Inspected through the same JSON API.
 */
final class GcsArchiveStore implements ArchiveStore {

    private static final Pattern NAME = Pattern.compile("\"name\": \"([^\"]*)\"");

    private final Process process;
    private final Path script;
    private final int port;
    private final String bucket;
    private final String prefix;
    private final HttpClient http = HttpClient.newHttpClient();

    private GcsArchiveStore(Process process, Path script, int port, String bucket, String prefix) {
        this.process = process;
        this.script = script;
        this.port = port;
        this.bucket = bucket;
        this.prefix = prefix;
    }

    /** Starts the fake; closing the store stops it (by its PID). */
    static GcsArchiveStore start(String bucket, String prefix) {
        try {
            Path script = Files.createTempFile("fake-gcs-", ".py");
            try (var in = GcsArchiveStore.class.getResourceAsStream("/fake-gcs.py")) {
                Files.write(script, in.readAllBytes());
            }
            Process process = new ProcessBuilder("python3", script.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (line == null) {
                process.destroyForcibly();
                throw new IllegalStateException("fake-gcs.py did not start");
            }
            return new GcsArchiveStore(process, script, Integer.parseInt(line.trim()), bucket, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String url() {
        return "gs://" + bucket + "/" + prefix;
    }

    @Override
    public List<String> toolOptions() {
        return List.of("--cloud-provider", "google-cloud-storage");
    }

    @Override
    public Map<String, String> toolEnv() {
        return Map.of("STORAGE_EMULATOR_HOST", "127.0.0.1:" + port);
    }

    private String objectUrl(String key) {
        return "http://127.0.0.1:" + port + "/storage/v1/b/" + bucket + "/o/"
                + URLEncoder.encode(prefix + "/" + key, StandardCharsets.UTF_8);
    }

    private HttpResponse<byte[]> get(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<String> keys(String relativePrefix) {
        String base = prefix + "/";
        String listing = new String(get("http://127.0.0.1:" + port + "/storage/v1/b/" + bucket + "/o?prefix="
                + URLEncoder.encode(base + relativePrefix, StandardCharsets.UTF_8)).body(), StandardCharsets.UTF_8);
        List<String> keys = new ArrayList<>();
        Matcher m = NAME.matcher(listing);
        while (m.find()) {
            keys.add(m.group(1).substring(base.length()));
        }
        return keys.stream().sorted().toList();
    }

    @Override
    public Optional<byte[]> read(String key) {
        HttpResponse<byte[]> response = get(objectUrl(key) + "?alt=media");
        return response.statusCode() == 404 ? Optional.empty() : Optional.of(response.body());
    }

    /** The object's metadata as the JSON API shows it (where barman-cloud's tags go on GCS). */
    String metadataJson(String key) {
        String object = new String(get(objectUrl(key)).body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"metadata\": (\\{[^}]*\\}|null)").matcher(object);
        return m.find() ? m.group(1) : "";
    }

    /** How many compose requests the fake has served: parts composed into objects. */
    int composeCalls() {
        Matcher m = Pattern.compile("\"compose\": (\\d+)").matcher(new String(get("http://127.0.0.1:" + port
                + "/_stats").body(), StandardCharsets.UTF_8));
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Files.deleteIfExists(script);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "GCS store " + url() + " on the fake JSON API at 127.0.0.1:" + port;
    }
}
