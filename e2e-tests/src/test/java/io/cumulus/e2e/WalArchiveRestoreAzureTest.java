package io.cumulus.e2e;

/**
 * The archive/restore flow against Azure Blob Storage on Azurite: barman-cloud's emulator URL and
 * AZURE_STORAGE_CONNECTION_STRING in the commands' environment.
 */
class WalArchiveRestoreAzureTest extends WalArchiveRestoreFlowTest {

    @Override
    protected ArchiveStore openStore() {
        return AzureArchiveStore.start("e2e-wal", "cluster/main");
    }
}
