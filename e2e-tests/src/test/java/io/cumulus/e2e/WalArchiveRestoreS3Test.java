package io.cumulus.e2e;

/** The archive/restore flow against an s3:// store on S3Proxy, credentials in the commands' environment. */
class WalArchiveRestoreS3Test extends WalArchiveRestoreFlowTest {

    @Override
    protected ArchiveStore openStore() {
        return S3ArchiveStore.start("e2e-wal", "cluster/main");
    }
}
