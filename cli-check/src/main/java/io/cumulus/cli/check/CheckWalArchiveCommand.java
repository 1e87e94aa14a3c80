package io.cumulus.cli.check;

import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.check.ArchiveEmptiness;
import io.cumulus.core.check.WalArchiveIndex;
import io.cumulus.storage.ContainerNotFoundException;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cumulus-check-wal-archive}: barman-cloud-check-wal-archive's twin (reference §1.12, §8).
 * Before a new cluster archives into a server's prefix, fails when the prefix already holds WAL that
 * would clash with it. Unlike barman-cloud 3.4 it sees every compression suffix ({@code .zst},
 * {@code .lz4}, {@code .xz} included) and every object however many there are.
 */
@Command(name = "cumulus-check-wal-archive", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Check that the WAL archive of SERVER_NAME is empty (or, with --timeline, holds no WAL of"
                + " that timeline or a later one), before a new cluster starts archiving into it."
                + " Exit 0: safe, 1: WAL found, 2: store unreachable.")
public final class CheckWalArchiveCommand extends ToolCommand {

    @Parameters(index = "0", paramLabel = "DESTINATION_URL", description = "s3://BUCKET/PATH or file:///DIRECTORY")
    String destinationUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the bucket.")
    String serverName;

    @Option(names = "--timeline", paramLabel = "N",
            description = "The new cluster's timeline: WAL of older timelines is allowed, of N and later is not.")
    Long timeline;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers (exit 2: unreachable); a missing bucket is exit 0 with a"
                    + " warning, as in barman-cloud 3.4.")
    boolean test;

    @Mixin
    StorageOptions storage;

    @Override
    protected int execute() throws Exception {
        if (timeline != null && timeline < 1) {
            throw new InvalidInputException("--timeline must be a positive integer, not " + timeline);
        }
        if (test) {
            try {
                return testStore(destinationUrl, serverName, storage, new io.cumulus.cli.EncryptionOptions());
            } catch (ContainerNotFoundException e) {
                // barman-cloud 3.4 returns right after the connectivity test, and a missing bucket passes the
                // full check too; but cumulus-wal-archive creates no bucket and would fail there: say so
                log.warning("the store answers, but " + e.getMessage() + " (cumulus-wal-archive fails until then)");
                return ExitCodes.OK;
            }
        }
        try (StoreLocation location = StoreOpener.open(destinationUrl, serverName, storage)) {
            String where = location.store().describeKey(location.layout().walsPrefix());
            try {
                location.store().checkAvailable();
            } catch (ContainerNotFoundException e) {
                // barman-cloud 3.4 passes too; 3.16.1 creates the bucket, which a check should not do
                log.info(e.getMessage() + ": nothing is archived there yet");
                return ExitCodes.OK;
            }
            WalArchiveIndex index = WalArchiveIndex.scan(location.store(), location.layout(),
                    BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE);
            ArchiveEmptiness.check(index, timeline == null ? OptionalLong.empty() : OptionalLong.of(timeline), where);
            log.info("WAL archive " + where + " is ready for a new cluster"
                    + (timeline == null ? "" : " on timeline " + timeline));
            return ExitCodes.OK;
        }
    }

    public static void main(String[] args) {
        System.exit(run(new CheckWalArchiveCommand(), args));
    }
}
