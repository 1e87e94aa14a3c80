package io.cumulus.cli.backup;

import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.restore.BackupCatalog;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What cumulus-backup-list, -show, -delete and -keep share: {@code SOURCE_URL SERVER_NAME}, the
 * storage options and {@code -t}. Each tool opens the store once and checks it is there before it
 * reads the catalog, so a missing bucket is exit 1 and an unreachable store exit 2.
 */
abstract class CatalogCommand extends ToolCommand {

    /**
     * {@code --format}: barman-cloud's two output formats, read as barman-cloud reads them: exactly
     * {@code console} is the console output, anything else JSON ({@code --format Console} too).
     */
    static boolean json(String format) {
        return !"console".equals(format);
    }

    @Parameters(index = "0", paramLabel = "SOURCE_URL", description = "s3://BUCKET/PATH or file:///DIRECTORY")
    String sourceUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the bucket.")
    String serverName;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers and the bucket exists (exit 2: unreachable, 1: no bucket).")
    boolean test;

    @Mixin
    StorageOptions storage;

    @Override
    protected final int execute() throws Exception {
        checkInput();
        if (test) {
            return testStore(sourceUrl, serverName, storage, encryption());
        }
        try (StoreLocation location = StoreOpener.open(sourceUrl, serverName, storage, encryption())) {
            location.store().checkAvailable();
            int code = run(location);
            out().flush();
            return code;
        }
    }

    /** Checks the arguments before the store is opened: invalid input is exit 3 without a network call. */
    void checkInput() {
    }

    /** The server-side encryption of the objects the tool writes: none, for the tools that only read. */
    EncryptionOptions encryption() {
        return new EncryptionOptions();
    }

    /**
     * argparse's required mutually exclusive group of the options named {@code longNames}: one of them
     * must be given, and only one, though it may be repeated (argparse keeps the last value), exit 3.
     */
    void exactlyOneOf(String... longNames) {
        java.util.List<String> group = java.util.List.of(longNames);
        String first = null;
        for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
            if (group.contains(option.longestName())) {
                String shown = String.join("/", option.names());
                if (first == null) {
                    first = shown;
                } else if (!first.equals(shown)) {
                    throw new InvalidInputException("argument " + shown + ": not allowed with argument " + first);
                }
            }
        }
        if (first == null) {
            throw new InvalidInputException("one of the arguments " + group.stream()
                    .map(name -> String.join("/", spec.optionsMap().get(name).names()))
                    .collect(java.util.stream.Collectors.joining(" ")) + " is required");
        }
    }

    /** Runs the tool against the open store; returns its exit code. */
    abstract int run(StoreLocation location) throws IOException;

    /**
     * The backup {@code wanted} names: an id is read directly; a name or shortcut is looked up among
     * the readable backups, an unreadable backup.info elsewhere in the catalog being only a warning.
     */
    BackupCatalog.Entry resolve(StoreLocation location, String wanted) throws IOException {
        return new BackupCatalog(location.store(), location.layout()).resolve(wanted, log::warning);
    }

    /** barman's warning for each backup whose backup.info cannot be read, which is then left out. */
    void warnUnreadable(java.util.Map<BackupId, String> unreadable) {
        unreadable.forEach((id, why) -> log.warning(BackupCatalog.unreadableWarning(id, why)));
    }

    static int ok() {
        return ExitCodes.OK;
    }
}
