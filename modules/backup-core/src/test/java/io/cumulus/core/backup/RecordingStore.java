package io.cumulus.core.backup;

import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * An in-memory store that records what its writers did (committed, aborted, left open) and can
 * refuse writes to chosen keys after a number of bytes, as a store that fails mid-upload.
 */
final class RecordingStore implements BlobStore {

    final InMemoryBlobStore objects = new InMemoryBlobStore();
    final List<String> committed = new ArrayList<>();
    final List<String> aborted = new ArrayList<>();
    final List<String> opened = new ArrayList<>();
    private Predicate<String> failing = key -> false;
    private long failAfterBytes;

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
    public InputStream openRead(String key) throws IOException {
        return objects.openRead(key);
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        return objects.openRead(key, offset, length);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        return objects.stat(key);
    }

    @Override
    public BlobIterator list(String prefix) throws IOException {
        return objects.list(prefix);
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        return objects.listPrefixes(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        objects.delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        objects.deleteAll(keys);
    }

    @Override
    public void checkAvailable() throws IOException {
        objects.checkAvailable();
    }

    @Override
    public String describe() {
        return "recording:";
    }

    @Override
    public void close() {
    }
}
