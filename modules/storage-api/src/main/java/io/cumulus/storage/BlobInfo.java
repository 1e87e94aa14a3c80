package io.cumulus.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * What a store knows of one object.
 *
 * @param key the object's key
 * @param size its length in bytes
 * @param lastModified when it was last written, as the store reports it
 * @param etag the store's entity tag or content hash, or {@code null} where the store has none
 */
public record BlobInfo(String key, long size, Instant lastModified, String etag) {
    public BlobInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastModified, "lastModified");
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size + " for " + key);
        }
    }

    /** The last path component of the key. */
    public String name() {
        int slash = key.lastIndexOf('/');
        return slash < 0 ? key : key.substring(slash + 1);
    }
}
