package io.cumulus.cli.walarchive;

import io.cumulus.cli.AzureBlockOptions;
import io.cumulus.cli.BackgroundProcess;
import io.cumulus.cli.WalCompressionOptions;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.StoreUrl;
import io.cumulus.cli.TagOptions;
import io.cumulus.cli.Tags;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.wal.ArchiveSpool;
import io.cumulus.core.wal.AsyncUploader;
import io.cumulus.core.wal.WalArchiver;
import io.cumulus.core.wal.WalName;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cumulus-wal-archive}: PostgreSQL's archive_command, barman-cloud-wal-archive's twin. */
@Command(name = "cumulus-wal-archive", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = {"Archive one WAL file into object storage, at barman-cloud's key. Use as",
            "archive_command = 'cumulus-wal-archive [OPTIONS] DESTINATION_URL SERVER_NAME %%p'"})
public final class WalArchiveCommand extends ToolCommand {

    @Parameters(index = "0", paramLabel = "DESTINATION_URL",
            description = "s3://BUCKET/PATH, https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, gs://BUCKET/PATH"
                    + " (with --cloud-provider) or file:///DIRECTORY")
    String destinationUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the archive.")
    String serverName;

    @Parameters(index = "2", arity = "0..1", paramLabel = "WAL_PATH",
            description = "The WAL file to archive (%%p); optional with --test.")
    Path walPath;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers and the bucket exists (exit 2: unreachable, 1: no bucket).")
    boolean test;

    @Mixin
    StorageOptions storage;

    @Mixin
    EncryptionOptions encryption;

    @Mixin
    WalCompressionOptions compression;

    @Mixin
    TagOptions tags;

    @Mixin
    AzureBlockOptions azureBlocks;

    @Option(names = "--history-tags", arity = "0..*", paramLabel = "KEY,VALUE",
            description = "Tags of .history files instead of --tags (barman-cloud 3.4's form; the last counts).")
    List<String> historyTags = new ArrayList<>();

    @Option(names = "--history-tag", paramLabel = "KEY,VALUE",
            description = "A tag of .history files instead of --tag; repeatable.")
    List<String> historyTag = new ArrayList<>();

    @Option(names = "--async", description = "Archive asynchronously through --spool-dir: a background uploader"
            + " ships every .ready file in parallel, ahead of PostgreSQL's calls.")
    boolean async;

    @Option(names = "--spool-dir", paramLabel = "DIR",
            description = "The spool of --async (local; clusters on one host may share it); created if missing.")
    Path spoolDir;

    @Option(names = "--max-parallel", paramLabel = "N", defaultValue = "4",
            description = "Files the --async uploader stores at once (default ${DEFAULT-VALUE}).")
    int maxParallel;

    @Option(names = "--async-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long an --async call waits for its file to be stored (default ${DEFAULT-VALUE}).")
    long asyncTimeout;

    @Option(names = "--async-uploader", hidden = true, description = "Run as the --async uploader.")
    boolean asyncUploader;

    @Option(names = "--spool-key", hidden = true, description = "The uploader's spool key (given by the foreground).")
    String spoolKey;

    @Option(names = "--async-idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long the uploader waits for new .ready files before it exits (default"
                    + " ${DEFAULT-VALUE}): a burst of WAL within that time finds it running.")
    long asyncIdleTimeout;

    /** The arguments as given, so the foreground can start the uploader with the same options. */
    private String[] arguments = new String[0];

    /** archive_command's call; the uploader lives long and logs from many threads. */
    @Override
    protected boolean perSegmentCall() {
        return !asyncUploader;
    }

    @Override
    protected int execute() throws Exception {
        if (maxParallel < 1 || asyncTimeout < 1) {
            throw new InvalidInputException("--max-parallel and --async-timeout must be at least 1");
        }
        if (asyncIdleTimeout < 0) {
            throw new InvalidInputException("--async-idle-timeout must be zero or more seconds, not " + asyncIdleTimeout);
        }
        StoreOpener.validate(storage, Optional.of(azureBlocks));
        // -t first: it takes the archive_command's options as they are, --async and --spool-dir included
        if (test) {
            return testStore(destinationUrl, serverName, storage, encryption);
        }
        if (async || asyncUploader) {
            return executeAsync();
        }
        if (walPath == null) {
            throw new InvalidInputException("WAL_PATH is missing: archive_command must end with %p");
        }
        WalName.parse(walPath.getFileName().toString());
        return archiveNow();
    }

    /** Archives {@link #walPath} in this process. */
    private int archiveNow() throws Exception {
        WalArchiver.Options options = archiveOptions();
        try (StoreLocation location = StoreOpener.open(destinationUrl, serverName, storage, encryption, azureBlocks)) {
            WalArchiver.Outcome outcome = new WalArchiver(location.store(), location.layout(), options).archive(walPath);
            if (outcome == WalArchiver.Outcome.ALREADY_ARCHIVED) {
                log.warning("WAL file " + walPath.getFileName() + " is already archived with the same content;"
                        + " nothing written");
            } else {
                log.info("archived " + walPath.getFileName() + " to " + location.store().describe());
            }
            return ExitCodes.OK;
        }
    }

    private WalArchiver.Options archiveOptions() {
        return new WalArchiver.Options(compression.compression(), compression.level(),
                tags.tags(spec.commandLine().getParseResult()), Tags.parse("--history-tag",
                        TagOptions.lastOccurrence(spec.commandLine().getParseResult(), "--history-tags", historyTags),
                        historyTag));
    }

    private int executeAsync() throws Exception {
        if (spoolDir == null) {
            throw new InvalidInputException("--async needs --spool-dir DIR, a local directory for its marks");
        }
        if (walPath == null) {
            throw new InvalidInputException("WAL_PATH is missing: archive_command must end with %p");
        }
        WalName wal = WalName.parse(walPath.getFileName().toString());
        List<String> options = argumentsButWalPath();
        Path dataDirectory = ArchiveSpool.dataDirectoryOf(walPath);
        ArchiveSpool spool = new ArchiveSpool(spoolDir,
                spoolKey != null ? spoolKey : ArchiveSpool.keyOf(options, dataDirectory));
        if (asyncUploader) {
            return runUploader(spool.create(), dataDirectory);
        }
        // What the uploader would reject at its start is rejected here, where PostgreSQL's log shows
        // it (an uploader that cannot start leaves no mark, and this call would wait its timeout out).
        archiveOptions();
        StoreUrl.parse(destinationUrl, storage.cloudProvider());
        AsyncArchiving archiving = new AsyncArchiving(spool, log, uploaderCommand(spool), this::archiveNow);
        try {
            spool.create();
            spool.recordArguments(options, dataDirectory);
            spool.makeCurrent();
            spool.markCalled();
        } catch (IOException unwritable) {
            return archiving.archiveInThisCall(wal.name(), unwritable);
        }
        if (archiving.stored(wal.name(), walPath)) {
            return ExitCodes.OK;
        }
        if (!AsyncArchiving.markedReady(walPath)) {
            // PostgreSQL marks every file .ready before it calls: this is a call by hand (docs/check.md's repair of
            // a gap, on a segment already .done or a copy elsewhere), which no uploader would ever take on.
            log.info(wal + " has no archive_status/" + wal + ".ready beside it, so no uploader would ship it:"
                    + " archiving it in this call");
            return archiveNow();
        }
        return archiving.awaitStored(wal.name(), walPath, Duration.ofSeconds(asyncTimeout));
    }

    private int runUploader(ArchiveSpool spool, Path dataDirectory) throws Exception {
        Optional<FileLock> lock = spool.tryLockUploader();
        if (lock.isEmpty()) {
            log.info("another uploader is running; exiting");
            return ExitCodes.OK;
        }
        WalArchiver.Options options;
        StoreLocation opened;
        try {
            // the calls that wait on this key's marks are those of one data directory: its own pg_wal's files only
            Optional<Path> served = spool.dataDirectory();
            if (served.isPresent() && !served.get().equals(dataDirectory)) {
                throw new OperationFailedException("spool key " + spool.key() + " serves the data directory "
                        + served.get() + ", not " + dataDirectory + " of " + walPath + "; start the uploader from an"
                        + " archive_command call of that data directory");
            }
            options = archiveOptions();
            opened = StoreOpener.open(destinationUrl, serverName, storage, encryption, azureBlocks);
        } catch (Exception e) {
            // no file is taken on: without this mark the calls would wait out --async-timeout
            spool.markUploaderFailed(ExitCodes.forFailure(e), "the uploader could not start: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()));
            lock.get().channel().close();
            throw e;
        }
        try {
            spool.removeUnusedKeys();
        } catch (IOException | RuntimeException e) {
            log.warning("could not look for unused spool keys in " + spool.spoolDirectory() + ": " + e.getMessage());
        }
        try (StoreLocation location = opened) {
            WalArchiver archiver = new WalArchiver(location.store(), location.layout(), options);
            Path pgWal = walPath.toAbsolutePath().getParent();
            int count = new AsyncUploader(archiver, spool, pgWal, maxParallel, Duration.ofSeconds(asyncIdleTimeout),
                    new AsyncUploader.Listener() {
                        @Override
                        public void stored(String name, WalArchiver.Outcome outcome) {
                            log.info((outcome == WalArchiver.Outcome.STORED ? "archived " : "already archived ") + name);
                        }

                        @Override
                        public ArchiveSpool.Failure failureOf(Exception failure) {
                            return new ArchiveSpool.Failure(ExitCodes.forFailure(failure),
                                    io.cumulus.cli.Failures.describe(failure));
                        }

                        @Override
                        public void failed(String name, ArchiveSpool.Failure failure) {
                            log.error("could not archive " + name + ": " + failure.reason());
                        }

                        @Override
                        public void spoolUnwritable(IOException failure, Duration pause) {
                            log.warning("the spool takes no mark (" + failure.getMessage() + "): taking no new work for "
                                    + pause.toSeconds() + " s, PostgreSQL's calls archive their own segments meanwhile;"
                                    + " free space in " + spool.spoolDirectory());
                        }

                        @Override
                        public void uncalled(Duration sinceLastCall) {
                            log.warning("no archive_command call of spool key " + spool.key() + " for "
                                    + sinceLastCall.toSeconds() + " s while " + pgWal + " has .ready files: archive_command"
                                    + " no longer uses this key (changed to another command, destination or --spool-dir);"
                                    + " stopping, the files are left to the archive_command in use");
                        }
                    }).run();
            log.info("uploader idle after " + count + " file(s); exiting");
            return ExitCodes.OK;
        } finally {
            lock.get().channel().close();
        }
    }

    /**
     * The uploader runs this same tool with {@code --async-uploader} and the caller's options, the WAL
     * path made absolute (PostgreSQL passes it relative to the data directory).
     */
    private List<String> uploaderCommand(ArchiveSpool spool) {
        List<String> command = new ArrayList<>(BackgroundProcess.selfCommand(WalArchiveCommand.class));
        command.add("--async-uploader");
        command.add("--spool-key=" + spool.key());
        // the WAL path where the caller had it, made absolute: appended after the caller's last option, it was
        // one more value of a trailing --tags/--history-tags, and the uploader never started
        command.addAll(argumentsReplacing(arguments, walPath, walPath.toAbsolutePath().toString()));
        return command;
    }

    /** The arguments as given without the WAL path, wherever it is: the spool's key and the uploader's options. */
    private List<String> argumentsButWalPath() {
        return argumentsWithout(arguments, walPath);
    }

    /** This command, remembering its arguments as given (the spool key and the uploader need them). */
    static WalArchiveCommand withArguments(String... args) {
        WalArchiveCommand command = new WalArchiveCommand();
        command.arguments = args.clone();
        return command;
    }

    public static void main(String[] args) {
        System.exit(run(() -> withArguments(args), args));
    }
}
