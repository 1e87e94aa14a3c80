package io.cumulus.storage;

import java.io.Closeable;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A flat namespace of immutable objects addressed by key: an S3 bucket, an Azure container, a GCS
 * bucket or a local directory. This interface means to stay small; policy (is a missing object an
 * error here?) belongs to the caller, not to the provider.
 *
 * <p>Keys are {@code /}-separated, never start with {@code /} and never contain empty segments.
 * Every method reports failure as an {@link IOException}; the subtypes callers may act on are
 * {@link FileNotFoundException} (the object is absent), {@link java.nio.file.FileAlreadyExistsException}
 * (a conditional create found an object), {@link java.nio.file.AccessDeniedException} (credentials
 * refused), {@link ContainerNotFoundException} (the bucket, container or root directory is missing)
 * and {@link StoreUnavailableException} (the store could not be reached; worth retrying). Messages
 * never contain credentials.
 */
public interface BlobStore extends Closeable {

    /**
     * The order of every listing: keys compared as UTF-8 bytes, as S3 does. That is code point order,
     * which differs from {@link String#compareTo} for characters beyond the Basic Multilingual Plane.
     */
    Comparator<String> KEY_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    /**
     * Opens the whole object for streaming reading.
     *
     * @throws FileNotFoundException if no object has this key
     */
    InputStream openRead(String key) throws IOException;

    /**
     * Opens {@code length} bytes of the object starting at {@code offset}. A range reaching past the
     * end of the object yields the bytes up to the end.
     *
     * @throws FileNotFoundException if no object has this key
     */
    InputStream openRead(String key, long offset, long length) throws IOException;

    /** The object's size and dates, or empty when no object has this key. */
    Optional<BlobInfo> stat(String key) throws IOException;

    /**
     * Opens a writer for a new object. Nothing is visible under {@code key} until {@link
     * BlobOutputStream#close()} returns normally; a failed close, or {@link BlobOutputStream#abort()},
     * leaves no object (and no unfinished multipart upload) behind. Large objects are uploaded in
     * parts, in parallel, with memory bounded by the provider's part size times its concurrency.
     *
     * <p>With {@link WriteOptions#ifAbsent()}, close fails with {@link
     * java.nio.file.FileAlreadyExistsException} when an object with this key exists, and the existing
     * object is left untouched. Without it, an existing object is replaced atomically.
     */
    BlobOutputStream openWrite(String key, WriteOptions options) throws IOException;

    /**
     * The most a writer of this store holds in its buffers at once while writing an object of {@code size}
     * bytes announced with {@link WriteOptions#withExpectedSize} (or of at most that size): the one request's
     * body, or the parts in flight and the one being filled. For a caller that bounds many writes at once by
     * memory (the --async uploader). By default the whole object.
     */
    default long writeBufferNeed(long size) {
        return size;
    }

    /**
     * Lists every object whose key starts with {@code prefix}, lazily, page by page, in ascending
     * order of key ({@link #KEY_ORDER}). An empty prefix lists the whole store.
     */
    BlobIterator list(String prefix) throws IOException;

    /**
     * Lists one level below {@code prefix} (which is empty or ends with {@code /}): the distinct
     * "directory" prefixes, each ending with {@code /}, in ascending order. Objects directly at that
     * level are not returned.
     */
    List<String> listPrefixes(String prefix) throws IOException;

    /** Deletes one object. Deleting an absent object succeeds. */
    void delete(String key) throws IOException;

    /**
     * Deletes many objects in batches of the store's size (S3 1000, Azure 256, GCS 100), retrying the
     * keys of a failed batch one by one. Absent objects count as deleted.
     *
     * @throws BatchDeleteException naming exactly the keys that are still there
     */
    void deleteAll(Collection<String> keys) throws IOException;

    /**
     * Checks that the store answers and that the bucket, container or directory exists.
     *
     * @throws StoreUnavailableException when the store cannot be reached
     * @throws ContainerNotFoundException when it answers but the container is missing
     */
    void checkAvailable() throws IOException;

    /** A description for messages, such as {@code s3://bucket}; never contains credentials. */
    String describe();

    /**
     * Where {@code key} (an object or a prefix) is, for messages: {@code s3://bucket/key}, followed by the
     * store's endpoint where {@link #describe()} names one ({@code s3://bucket/key at http://127.0.0.1:9000},
     * not a URL glued onto the endpoint's); never contains credentials.
     */
    default String describeKey(String key) {
        String root = describe();
        return root.endsWith("/") ? root + key : root + "/" + key;
    }

    @Override
    void close() throws IOException;
}
