package io.cumulus.e2e;

/**
 * The archive/restore flow through Google Cloud Storage's client in the packaged tools, against the
 * fake of the GCS JSON API (GcsArchiveStore): gs:// URL, STORAGE_EMULATOR_HOST in the environment.
 */
class WalArchiveRestoreGcsTest extends WalArchiveRestoreFlowTest {

    @Override
    protected ArchiveStore openStore() {
        return GcsArchiveStore.start("e2e-wal", "cluster/main");
    }
}
