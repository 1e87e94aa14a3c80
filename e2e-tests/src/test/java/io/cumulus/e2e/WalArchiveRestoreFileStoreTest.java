package io.cumulus.e2e;

/** The archive/restore flow against a file:// store in a local directory. */
class WalArchiveRestoreFileStoreTest extends WalArchiveRestoreFlowTest {

    @Override
    protected ArchiveStore openStore() {
        return new FileArchiveStore();
    }
}
