package io.cumulus.storage.testkit;

import io.cumulus.storage.BatchDeleter;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.WriteOptions;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A {@link BlobStore} held in memory, for domain tests that need a store but not a provider. It
 * passes the same contract as the real providers: nothing visible before close, atomic if-absent
 * creates, listings in {@link BlobStore#KEY_ORDER}. Thread-safe.
 */
public final class InMemoryBlobStore implements BlobStore {

    private record Blob(byte[] data, Instant lastModified, Map<String, String> tags) {}

    private final ConcurrentNavigableMap<String, Blob> objects = new ConcurrentSkipListMap<>(KEY_ORDER);
    private final boolean containerExists;
    private final Clock clock;

    /** An empty store whose container exists. */
    public InMemoryBlobStore() {
        this(true, Clock.systemUTC());
    }

    /** An empty store whose clock stamps each write's last-modified time (for retention tests). */
    public InMemoryBlobStore(Clock clock) {
        this(true, clock);
    }

    private InMemoryBlobStore(boolean containerExists, Clock clock) {
        this.containerExists = containerExists;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A store whose container is missing: every call fails with {@link ContainerNotFoundException}. */
    public static InMemoryBlobStore withMissingContainer() {
        return new InMemoryBlobStore(false, Clock.systemUTC());
    }

    /** The tags the object was written with, or empty when there is no such object. */
    public Optional<Map<String, String>> tags(String key) {
        return Optional.ofNullable(objects.get(key)).map(Blob::tags);
    }

    @Override
    public InputStream openRead(String key) throws IOException {
        return new ByteArrayInputStream(get(key).data());
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        checkRange(offset, length);
        byte[] data = get(key).data();
        int from = (int) Math.min(offset, data.length);
        int to = (int) Math.min(data.length, from + Math.min(length, Integer.MAX_VALUE));
        return new ByteArrayInputStream(data, from, to - from);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        checkContainer();
        Blob blob = objects.get(key);
        return blob == null ? Optional.empty() : Optional.of(info(key, blob));
    }

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        checkContainer();
        checkKey(key);
        Objects.requireNonNull(options, "options");
        return new BlobOutputStream() {
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            private boolean done;

            @Override
            public void write(int b) throws IOException {
                checkOpen();
                buffer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                checkOpen();
                buffer.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (done) {
                    return;
                }
                done = true;
                checkContainer();
                Blob blob = new Blob(buffer.toByteArray(), clock.instant(), options.tags());
                if (options.ifAbsent()) {
                    if (objects.putIfAbsent(key, blob) != null) {
                        throw new FileAlreadyExistsException(key);
                    }
                } else {
                    objects.put(key, blob);
                }
            }

            @Override
            public void abort() {
                done = true;
            }

            @Override
            public long bytesWritten() {
                return buffer.size();
            }

            private void checkOpen() throws IOException {
                if (done) {
                    throw new IOException("writer of " + key + " is closed");
                }
            }
        };
    }

    @Override
    public BlobIterator list(String prefix) throws IOException {
        checkContainer();
        Iterator<Map.Entry<String, Blob>> entries = objects.tailMap(prefix, true).entrySet().iterator();
        return BlobIterator.from(() -> {
            if (!entries.hasNext()) {
                return null;
            }
            Map.Entry<String, Blob> entry = entries.next();
            // keys are sorted: the first one past the prefix ends the listing
            return entry.getKey().startsWith(prefix) ? info(entry.getKey(), entry.getValue()) : null;
        });
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        checkContainer();
        TreeSet<String> prefixes = new TreeSet<>(KEY_ORDER);
        for (String key : objects.tailMap(prefix, true).keySet()) {
            if (!key.startsWith(prefix)) {
                break;
            }
            int slash = key.indexOf('/', prefix.length());
            if (slash >= 0) {
                prefixes.add(key.substring(0, slash + 1));
            }
        }
        return new ArrayList<>(prefixes);
    }

    @Override
    public void delete(String key) throws IOException {
        checkContainer();
        objects.remove(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        BatchDeleter.oneByOne(this::delete).deleteAll(keys);
    }

    @Override
    public void checkAvailable() throws IOException {
        checkContainer();
    }

    @Override
    public String describe() {
        return "memory:";
    }

    @Override
    public void close() {
        // nothing to release: the objects stay for the test to inspect
    }

    private Blob get(String key) throws IOException {
        checkContainer();
        Blob blob = objects.get(key);
        if (blob == null) {
            throw new FileNotFoundException(key);
        }
        return blob;
    }

    private void checkContainer() throws ContainerNotFoundException {
        if (!containerExists) {
            throw new ContainerNotFoundException("the in-memory container does not exist");
        }
    }

    private static void checkKey(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.contains("//")) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
    }

    private static BlobInfo info(String key, Blob blob) {
        return new BlobInfo(key, blob.data().length, blob.lastModified(), null);
    }
}
