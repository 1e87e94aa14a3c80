package io.cumulus.core.backup;

import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.ForwardingBlobStore;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * An in-memory store that records what its writers did (committed, aborted, left open) and can
 * refuse writes to chosen keys after a number of bytes, as a store that fails mid-upload.
 */
final class RecordingStore extends ForwardingBlobStore {

    final InMemoryBlobStore objects;
    final List<String> committed = new ArrayList<>();
    final List<String> aborted = new ArrayList<>();
    final List<String> opened = new ArrayList<>();
    /** The size each writer was planned for ({@link WriteOptions#plannedSize()}), by key. */
    final Map<String, OptionalLong> plannedSizes = new LinkedHashMap<>();
    private Predicate<String> failing = key -> false;
    private long failAfterBytes;

    RecordingStore() {
        this(new InMemoryBlobStore());
    }

    private RecordingStore(InMemoryBlobStore objects) {
        super(objects);
        this.objects = objects;
    }

    /** Makes writes to keys matching {@code keys} fail once they pass {@code bytes}. */
    RecordingStore failWrites(Predicate<String> keys, long bytes) {
        failing = keys;
        failAfterBytes = bytes;
        return this;
    }

    /** Writers opened and neither committed nor aborted: an unfinished multipart upload on S3. */
    List<String> leftOpen() {
        List<String> open = new ArrayList<>(opened);
        committed.forEach(open::remove);
        aborted.forEach(open::remove);
        return open;
    }

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        BlobOutputStream out = objects.openWrite(key, options);
        boolean fails = failing.test(key);
        synchronized (this) {
            opened.add(key);
            plannedSizes.put(key, options.plannedSize());
        }
        return new BlobOutputStream() {
            private boolean done;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (fails && out.bytesWritten() + len > failAfterBytes) {
                    abort();
                    throw new IOException("simulated store failure writing " + key);
                }
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (done) {
                    return;
                }
                done = true;
                out.close();
                synchronized (RecordingStore.this) {
                    committed.add(key);
                }
            }

            @Override
            public void abort() throws IOException {
                if (done) {
                    return;
                }
                done = true;
                out.abort();
                synchronized (RecordingStore.this) {
                    aborted.add(key);
                }
            }

            @Override
            public long bytesWritten() {
                return out.bytesWritten();
            }
        };
    }

    @Override
    public String describe() {
        return "recording:";
    }

    @Override
    public void close() {
    }
}
