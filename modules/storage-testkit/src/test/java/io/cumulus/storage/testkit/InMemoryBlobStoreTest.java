package io.cumulus.storage.testkit;

import io.cumulus.storage.BlobStore;

class InMemoryBlobStoreTest extends BlobStoreContractTest {

    @Override
    protected BlobStore createStore() {
        return new InMemoryBlobStore();
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return InMemoryBlobStore.withMissingContainer();
    }
}
