package io.cumulus.e2e;

import io.cumulus.storage.testkit.FakeGcsServer;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gs:// store the packaged tools reach over HTTP: a bucket on the fake of the GCS JSON API in
 * build-support/fake-gcs.py ({@link FakeGcsServer}: python3, on a free loopback port), named to the tools by {@code
 * STORAGE_EMULATOR_HOST} as the Google libraries take it. A fake, not an emulator: it answers only the
 * calls google-cloud-storage makes for the tools, so that the packaged tools' whole GCS stack runs
 * where no emulator can be installed. Inspected through the same JSON API.
 */
final class GcsArchiveStore implements ArchiveStore {

    private static final Pattern NAME = Pattern.compile("\"name\": \"([^\"]*)\"");
    private static final Pattern NEXT_PAGE = Pattern.compile("\"nextPageToken\": \"([^\"]*)\"");

    private final FakeGcsServer fake;
    private final String bucket;
    private final String prefix;

    private GcsArchiveStore(FakeGcsServer fake, String bucket, String prefix) {
        this.fake = fake;
        this.bucket = bucket;
        this.prefix = prefix;
    }

    /** Starts the fake, where every bucket exists; closing the store stops it. */
    static GcsArchiveStore start(String bucket, String prefix) {
        return new GcsArchiveStore(FakeGcsServer.start(false), bucket, prefix);
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
        return Map.of("STORAGE_EMULATOR_HOST", fake.endpoint().getAuthority());
    }

    private String objectPath(String key) {
        return "/storage/v1/b/" + bucket + "/o/" + URLEncoder.encode(prefix + "/" + key, StandardCharsets.UTF_8);
    }

    @Override
    public List<String> keys(String relativePrefix) {
        String base = prefix + "/";
        List<String> keys = new ArrayList<>();
        String pageToken = null;
        do {
            String listing = new String(fake.get("/storage/v1/b/" + bucket + "/o?prefix="
                    + URLEncoder.encode(base + relativePrefix, StandardCharsets.UTF_8)
                    + (pageToken == null ? "" : "&pageToken=" + URLEncoder.encode(pageToken, StandardCharsets.UTF_8)))
                    .body(), StandardCharsets.UTF_8);
            Matcher m = NAME.matcher(listing);
            while (m.find()) {
                keys.add(m.group(1).substring(base.length()));
            }
            Matcher next = NEXT_PAGE.matcher(listing);
            pageToken = next.find() ? next.group(1) : null;
        } while (pageToken != null);
        return keys.stream().sorted().toList();
    }

    @Override
    public Optional<byte[]> read(String key) {
        HttpResponse<byte[]> response = fake.get(objectPath(key) + "?alt=media");
        return response.statusCode() == 404 ? Optional.empty() : Optional.of(response.body());
    }

    /** The object's metadata as the JSON API shows it (where barman-cloud's tags go on GCS). */
    String metadataJson(String key) {
        String object = new String(fake.get(objectPath(key)).body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"metadata\": (\\{[^}]*\\}|null)").matcher(object);
        return m.find() ? m.group(1) : "";
    }

    /** How many compose requests the fake has served: parts composed into objects. */
    int composeCalls() {
        return fake.calls("compose");
    }

    @Override
    public void close() {
        fake.close();
    }

    @Override
    public String toString() {
        return "GCS store " + url() + " on " + fake;
    }
}
