package io.cumulus.core.restore;

import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Objects;

/**
 * One object of the store read to its end, a read that breaks because the store stopped answering
 * ({@link StoreUnavailableException}: a connection reset, a body cut short) picked up where it
 * stopped with a ranged read, at most {@link #RESUMES} times in a row without progress: a
 * base backup's archive is gigabytes, and starting it over, or the whole restore, for one dropped
 * connection is what the DBA would otherwise do by hand. Each resume first checks that the object
 * is the one whose first bytes were read (same size and ETag), so two versions are never mixed.
 */
final class ResumingRead extends InputStream {

    /** Resumes in a row that read nothing before the read fails for good. */
    static final int RESUMES = 3;

    private final BlobStore store;
    private final String key;
    private final BlobInfo object;
    private final RestoreListener listener;
    private final Duration pause;
    private InputStream in;
    private long position;
    private long positionAtLastResume = -1;
    private int resumes;

    private ResumingRead(BlobStore store, String key, BlobInfo object, RestoreListener listener, Duration pause,
            InputStream in) {
        this.store = store;
        this.key = key;
        this.object = object;
        this.listener = listener;
        this.pause = pause;
        this.in = in;
    }

    /**
     * Opens {@code key}, with a pause of {@code pause} times the attempt before each resume.
     *
     * @throws FileNotFoundException when there is no such object
     */
    static ResumingRead open(BlobStore store, String key, RestoreListener listener, Duration pause)
            throws IOException {
        BlobInfo object = store.stat(key).orElseThrow(() -> new FileNotFoundException(store.describe() + ": " + key));
        return new ResumingRead(store, key, object, listener, pause, store.openRead(key));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n;
        do {
            n = read(one, 0, 1);
        } while (n == 0);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        while (true) {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    position += n;
                } else if (n < 0 && position < object.size()) {
                    // a body shorter than the object: the same as a connection that broke
                    throw new StoreUnavailableException(store.describe() + ": " + key + " ended after " + position
                            + " of " + object.size() + " bytes", null);
                }
                return n;
            } catch (StoreUnavailableException e) {
                resume(e);
            }
        }
    }

    /** Opens the rest of the object at {@link #position}, or fails for good with {@code failure}. */
    private void resume(StoreUnavailableException failure) throws IOException {
        IOException last = failure;
        while (true) {
            if (position > positionAtLastResume) {
                resumes = 0; // the last resume made progress: a new break gets a fresh set
            }
            if (resumes == RESUMES) {
                throw new StoreUnavailableException("the store stopped answering while reading " + key + " (at byte "
                        + position + " of " + object.size() + ", " + RESUMES + " resumes failed): "
                        + last.getMessage(), last);
            }
            resumes++;
            positionAtLastResume = position;
            closeQuietly(last);
            listener.warning("reading " + key + " broke at byte " + position + " of " + object.size() + " ("
                    + last.getMessage() + "); resuming from there (" + resumes + " of " + RESUMES + ")");
            try {
                Thread.sleep(pause.multipliedBy(resumes).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading " + key);
            }
            try {
                BlobInfo now = store.stat(key).orElseThrow(() -> new FileNotFoundException(store.describe() + ": "
                        + key + " was deleted while being read"));
                if (now.size() != object.size() || !Objects.equals(now.etag(), object.etag())) {
                    throw new IOException(store.describe() + ": " + key + " was replaced while being read (size "
                            + object.size() + ", now " + now.size() + "); nothing of the new object was used");
                }
                in = store.openRead(key, position, object.size() - position);
                return;
            } catch (StoreUnavailableException e) {
                last = e;
            }
        }
    }

    private void closeQuietly(IOException failure) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
