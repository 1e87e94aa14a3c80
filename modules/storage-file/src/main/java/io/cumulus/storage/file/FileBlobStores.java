package io.cumulus.storage.file;

import io.cumulus.storage.BlobStore;

/** Opens {@code file://} stores: a local directory or NFS mount, no cloud account needed. */
public final class FileBlobStores {

    private FileBlobStores() {}

    /**
     * Opens the store rooted at {@code config.root()}. Nothing is checked here: every call reports a
     * missing root as a {@link io.cumulus.storage.ContainerNotFoundException}, and {@link
     * BlobStore#checkAvailable()} is the explicit check.
     */
    public static BlobStore open(FileStoreConfig config) {
        return new FileBlobStore(config.root(), MountPoints.SYSTEM);
    }
}
