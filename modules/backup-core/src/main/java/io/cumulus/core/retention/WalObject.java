package io.cumulus.core.retention;

import io.cumulus.core.wal.WalName;
import java.util.Objects;
import java.util.Optional;

/**
 * One object of the WAL archive as retention sees it: its key, and the WAL name its last path
 * component gives once one compression suffix is stripped (reference §6.4 step 5).
 *
 * @param key the object's key in the store
 * @param name the WAL file name, e.g. {@code 000000010000000000000004} or {@code
 *     000000010000000000000004.00000028.backup}
 */
public record WalObject(String key, WalName name) implements Comparable<WalObject> {

    public WalObject {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
    }

    /**
     * The WAL an object holds, or empty when its name is no WAL name with or without one known
     * compression suffix. Every suffix Cumulus writes is known, {@code .zst}, {@code .lz4} and
     * {@code .xz} included, which barman-cloud 3.4 does not know and so never deletes.
     */
    public static Optional<WalObject> of(String key) {
        return WalName.ofObjectName(key).map(name -> new WalObject(key, name));
    }

    @Override
    public int compareTo(WalObject other) {
        return key.compareTo(other.key);
    }
}
