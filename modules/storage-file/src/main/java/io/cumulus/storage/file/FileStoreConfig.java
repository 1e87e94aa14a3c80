package io.cumulus.storage.file;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a {@code file://} store lives.
 *
 * @param root the directory that holds the objects (a local directory or an NFS mount). It must
 *     already exist: the store never creates it, so that a missing mount is an error rather than a
 *     silent write to the local disk underneath.
 */
public record FileStoreConfig(Path root) {
    public FileStoreConfig {
        Objects.requireNonNull(root, "root");
        root = root.toAbsolutePath().normalize();
    }
}
