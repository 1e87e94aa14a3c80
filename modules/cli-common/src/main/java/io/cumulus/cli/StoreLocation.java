package io.cumulus.cli;

import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import java.io.IOException;

/**
 * An opened store and the layout of one server inside it: what a tool works on.
 *
 * @param store the bucket, container or directory
 * @param layout where the server's objects are inside it
 */
public record StoreLocation(BlobStore store, ServerLayout layout) implements AutoCloseable {
    @Override
    public void close() throws IOException {
        store.close();
    }
}
