package io.cumulus.storage.file;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a {@code file://} store lives.
 *
 * @param root the directory that holds the objects: a local directory, or a directory inside an NFS
 *     mount. It must already exist: the store never creates it, so that a missing mount is an error
 *     rather than a silent write to the local disk underneath. That holds for a directory inside the
 *     mount; a mount point itself stays there, empty, when unmounted, and is caught only when
 *     /etc/fstab declares it (see {@code MountPoints}).
 */
public record FileStoreConfig(Path root) {
    public FileStoreConfig {
        Objects.requireNonNull(root, "root");
        root = root.toAbsolutePath().normalize();
    }
}
