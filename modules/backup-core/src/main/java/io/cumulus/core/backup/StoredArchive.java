package io.cumulus.core.backup;

import java.util.Objects;

/**
 * One archive part as it was committed.
 *
 * @param key the object's key
 * @param storedBytes its size in the store, after compression
 */
public record StoredArchive(String key, long storedBytes) {
    public StoredArchive {
        Objects.requireNonNull(key, "key");
    }
}
