package io.cumulus.cli.walrestore;

import io.cumulus.cli.BackgroundProcess;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.Failures;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.io.Retry;
import io.cumulus.core.wal.FollowedTimeline;
import io.cumulus.core.wal.PgControl;
import io.cumulus.core.wal.RestoreSpool;
import io.cumulus.core.wal.WalName;
import io.cumulus.core.wal.WalNotFoundException;
import io.cumulus.core.wal.WalPrefetcher;
import io.cumulus.core.wal.WalRestorer;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cumulus-wal-restore}: PostgreSQL's restore_command, barman-cloud-wal-restore's twin. */
@Command(name = "cumulus-wal-restore", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = {"Fetch one WAL file from object storage. Use as",
            "restore_command = 'cumulus-wal-restore [OPTIONS] SOURCE_URL SERVER_NAME %%f %%p'"})
public final class WalRestoreCommand extends ToolCommand {

    @Parameters(index = "0", paramLabel = "SOURCE_URL", description = "s3://BUCKET/PATH, https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, gs://BUCKET/PATH"
                    + " (with --cloud-provider) or file:///DIRECTORY")
    String sourceUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the archive.")
    String serverName;

    @Parameters(index = "2", arity = "0..1", paramLabel = "WAL_NAME", description = "The WAL file wanted (%%f).")
    String walName;

    @Parameters(index = "3", arity = "0..1", paramLabel = "WAL_DEST", description = "Where to write it (%%p).")
    Path walDest;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers and the bucket exists (exit 2: unreachable, 1: no bucket).")
    boolean test;

    @Option(names = "--no-partial", description = "Never serve a .partial segment.")
    boolean noPartial;

    @Option(names = "--retry-timeout", paramLabel = "SECONDS",
            description = "How long to keep retrying while the store is unavailable (default 60; 0 on a standby,"
                    + " which retries by itself).")
    Long retryTimeout;

    /**
     * The default --retry-timeout in archive recovery and when run by hand: long enough that a store outage
     * of a minute never makes recovery end early.
     */
    static final Duration RETRY_TIMEOUT = Duration.ofSeconds(60);

    /**
     * The default --retry-timeout on a standby: none. A standby that restore_command fails turns to streaming
     * replication, and asks the archive again wal_retrieve_retry_interval later; retrying here would only keep
     * it from its primary (two calls of 60 s, a history file then the segment, after each primary restart).
     */
    static final Duration STANDBY_RETRY_TIMEOUT = Duration.ZERO;

    @Option(names = "--prefetch", paramLabel = "N", defaultValue = "0",
            description = "Fetch the next N segments in parallel into --spool-dir, and serve later requests"
                    + " from there (default ${DEFAULT-VALUE}: off).")
    int prefetch;

    @Option(names = "--spool-dir", paramLabel = "DIR",
            description = "Where --prefetch keeps segments (local, one per recovery); created if missing.")
    Path spoolDir;

    @Option(names = "--prefetch-worker", hidden = true, description = "Run as the --prefetch worker.")
    boolean prefetchWorker;

    @Option(names = "--segment-size", hidden = true, description = "WAL segment size, for the worker.")
    long segmentSize;

    @Option(names = "--spool-key", hidden = true, description = "The worker's spool key (given by the foreground).")
    String spoolKey;

    /**
     * Set by the launcher (bin/cumulus-wal-restore), which maps the private codes of {@link ExitCodes#forLauncher}
     * back (99 into 1, 97 into 0...) and takes any other status for a failure of Java or of its launcher.sh.
     */
    static final String LAUNCHER_MAPS_EXIT = "CUMULUS_LAUNCHER_MAPS_EXIT";

    /** How long the prefetch worker waits for recovery to ask for more before it ends. */
    private static final Duration WORKER_IDLE = Duration.ofSeconds(30);

    @Mixin
    StorageOptions storage;

    /** The arguments as given, so the foreground can start the prefetch worker with the same options. */
    private String[] arguments = new String[0];

    /** Starts the prefetch worker; tests replace it to see what would be started. */
    WorkerStarter workers = BackgroundProcess::startDetached;

    /** Where PostgreSQL's signal files are: the working directory, where PostgreSQL runs restore_command. */
    Path dataDirectory = Path.of("");

    /** How the prefetch worker is started: {@link BackgroundProcess#startDetached}, but for tests. */
    @FunctionalInterface
    interface WorkerStarter {
        void start(List<String> command, Path log) throws IOException;
    }

    /** restore_command's call; the prefetch worker lives long and logs from many threads. */
    @Override
    protected boolean perSegmentCall() {
        return !prefetchWorker;
    }

    @Override
    protected int execute() throws Exception {
        if (test) {
            return testStore(sourceUrl, serverName, storage, new EncryptionOptions());
        }
        if (walName == null || walDest == null) {
            throw new InvalidInputException("WAL_NAME and WAL_DEST are missing: restore_command must end with %f %p");
        }
        if (retryTimeout != null && retryTimeout < 0) {
            throw new InvalidInputException("--retry-timeout must be zero or more seconds");
        }
        WalName wal = WalName.parse(walName);
        PgControl cluster = PgControl.read(dataDirectory);
        FollowedTimeline followed = FollowedTimeline.in(dataDirectory, cluster);
        RestoreSpool spool = null;
        if (prefetch < 0 || prefetch > 1024) {
            throw new InvalidInputException("--prefetch must be between 0 and 1024");
        }
        if (prefetch > 0) {
            if (spoolDir == null) {
                throw new InvalidInputException("--prefetch needs --spool-dir DIR, a local directory for the segments");
            }
            spool = new RestoreSpool(spoolDir, spoolKey != null ? spoolKey
                    : RestoreSpool.keyOf(optionsOf(arguments, walName, walDest), spoolEnvironment(cluster)));
            if (prefetchWorker) {
                return runPrefetchWorker(spool.open(), wal, cluster, followed);
            }
            if (wal.kind() == WalName.Kind.SEGMENT) {
                // A copy spooled before PostgreSQL restored the history file of a timeline that left this
                // segment's inside it (a standby that learned of a promotion) was chosen without it: the
                // launcher leaves it here, and it is chosen again from the store. pg_wal is read for that only
                // when the spool holds the segment: the restorer reads it again for the store's copies.
                boolean atTheFork = spool.contains(wal.name()) && followed.forkIn(wal).isPresent();
                // The launcher serves what the spool holds when it can link it into place; here when it
                // could not (another file system, options after %f %p), or the spool does not hold it.
                try {
                    if (atTheFork) {
                        spool.discard(wal.name());
                    } else if (spool.take(wal.name(), walDest)) {
                        log.info("restored " + wal + " from the prefetch spool");
                        ensurePrefetching(spool);
                        return ExitCodes.OK;
                    }
                    spool.create().recordRequest(wal.name());
                } catch (IOException e) {
                    // Prefetching only saves time: its spool failing is no reason to fail recovery.
                    log.warning("prefetch spool " + spool.directory() + " unusable (" + Failures.describe(e)
                            + "): fetching " + wal + " from the store without prefetching");
                    spool = null;
                }
            }
        }
        Duration retryFor = retryTimeout(recoveryMode(dataDirectory));
        Retry retry = new Retry(retryFor, (cause, pause) ->
                log.warning(cause.getMessage() + "; retrying in " + pause.toMillis() + " ms"));
        if (retryFor.isZero()) {
            // "fail at once": against a store that accepts connections but never answers, the client's own
            // 4 attempts would hold a standby off streaming for 4 x --read-timeout (4 minutes) per call
            storage.limitAttempts(1);
        }
        try (StoreLocation location = StoreOpener.open(sourceUrl, serverName, storage)) {
            WalRestorer restorer = new WalRestorer(location.store(), location.layout(), log::warning, cluster, followed);
            String key = retry.run(() -> restorer.restore(wal, walDest, !noPartial));
            log.info("restored " + wal + " from " + key);
        }
        if (spool != null && wal.kind() == WalName.Kind.SEGMENT) {
            ensurePrefetching(spool);
        }
        return ExitCodes.OK;
    }

    /**
     * The arguments that make the spool key: all but the WAL name and destination (the last occurrence of
     * each), wherever they are, since options may follow {@code %f %p}. For the usual order, where they are
     * the last two, these are all the arguments but the last two, which is what the launcher hashes.
     */
    static List<String> optionsOf(String[] arguments, String walName, Path walDest) {
        return argumentsWithout(arguments, Path.of(walName), walDest);
    }

    /**
     * The environment the spool key is computed from: this process's, with {@link RestoreSpool#SCOPE} as the
     * launcher set it for this working directory, else as {@link RestoreSpool#scopeOf} gives it for
     * {@link #dataDirectory} (a call the launcher did not start, a test's data directory).
     */
    private java.util.Map<String, String> spoolEnvironment(PgControl cluster) {
        java.util.Map<String, String> environment = new java.util.HashMap<>(System.getenv());
        if (environment.get(RestoreSpool.SCOPE) == null || !dataDirectory.toString().isEmpty()) {
            environment.put(RestoreSpool.SCOPE, RestoreSpool.scopeOf(dataDirectory, cluster));
        }
        return environment;
    }

    /**
     * Starts the prefetch worker, which follows recovery from {@link #walName} on, unless one runs. Called
     * once {@link #walDest} holds the segment: a failure here is logged, never the call's failure.
     */
    private void ensurePrefetching(RestoreSpool spool) {
        try {
            // another set-up's worker may have removed the directory since this call created it
            spool.create();
            if (spool.prefetcherRunning()) {
                return;
            }
            List<String> command = new ArrayList<>(BackgroundProcess.selfCommand(WalRestoreCommand.class));
            command.add("--prefetch-worker");
            command.add("--segment-size=" + Files.size(walDest));
            command.add("--spool-key=" + spool.key());
            command.addAll(List.of(arguments));
            workers.start(command, spool.prefetcherLog());
        } catch (IOException | RuntimeException e) {
            log.warning("restored " + walName + ", but could not start prefetching: " + Failures.describe(e));
        }
    }

    private int runPrefetchWorker(RestoreSpool spool, WalName after, PgControl cluster, FollowedTimeline followed)
            throws Exception {
        Optional<FileLock> lock = spool.tryLockPrefetcher();
        if (lock.isEmpty()) {
            return ExitCodes.OK;
        }
        try (StoreLocation location = StoreOpener.open(sourceUrl, serverName, storage)) {
            spool.clearFetchingMarks();
            WalRestorer restorer = new WalRestorer(location.store(), location.layout(), log::warning, cluster, followed);
            new WalPrefetcher(restorer, spool, prefetch, Math.min(prefetch, 8), new WalPrefetcher.Listener() {
                @Override
                public void fetched(String wal) {
                    log.info("prefetched " + wal);
                }

                @Override
                public void failed(String wal, Exception failure) {
                    log.warning("could not prefetch " + wal + ": " + failure.getMessage());
                }
            }).follow(after, segmentSize, WORKER_IDLE);
            log.info("recovery asked for nothing new for " + WORKER_IDLE.toSeconds() + " s: prefetching stops");
            return ExitCodes.OK;
        } finally {
            lock.get().channel().close();
        }
    }

    /** How long to retry an unavailable store: as --retry-timeout says, else as suits this {@code mode}. */
    Duration retryTimeout(RecoveryMode mode) {
        if (retryTimeout != null) {
            return Duration.ofSeconds(retryTimeout);
        }
        return mode == RecoveryMode.STANDBY ? STANDBY_RETRY_TIMEOUT : RETRY_TIMEOUT;
    }

    /**
     * During archive recovery (recovery.signal in the working directory, which PostgreSQL sets to the
     * data directory), only a real "not in the archive" may look like the end of the archive: any other
     * failure stops recovery, so that a store outage or a corrupt object never makes PostgreSQL promote
     * early. A standby (standby.signal) keeps barman-cloud's codes, since it retries by itself.
     */
    @Override
    protected int fail(Throwable failure) {
        if (failure instanceof WalNotFoundException) {
            // PostgreSQL asks for files that do not exist as a matter of course (the next timeline's
            // history, the segment after the last): an answer, not an error.
            log.info(failure.getMessage());
            return ExitCodes.FAILED;
        }
        int code = super.fail(failure);
        // Invalid input too: a restore_command that can never restore a file (an option it does not take, a
        // setting of this host such as a CA bundle) would otherwise end recovery at what pg_wal holds, and promote.
        if (recoveryMode(dataDirectory) == RecoveryMode.ARCHIVE) {
            log.error(STOPPING_RECOVERY);
            return ExitCodes.ABORT_RECOVERY;
        }
        return code;
    }

    private static final String STOPPING_RECOVERY = "stopping recovery (exit code " + ExitCodes.ABORT_RECOVERY + ")"
            + " rather than let PostgreSQL take this failure for the end of the archive; fix the cause and start the"
            + " server again";

    /** Which recovery runs restore_command, as PostgreSQL's signal files in the data directory say. */
    enum RecoveryMode {
        /** recovery.signal and no standby.signal: recovery ends, and the server promotes, where the archive ends. */
        ARCHIVE,
        /** standby.signal: recovery never ends by itself; PostgreSQL retries the archive and streaming. */
        STANDBY,
        /** neither: restore_command run by hand. */
        NONE
    }

    /**
     * Set by the launcher to {@code archive}, {@code standby} or {@code none} ({@link RecoveryMode}): the shell
     * reads the signal files by the path's bytes, which Java cannot do where it decodes file names as ASCII (a
     * data directory named {@code données} under LC_CTYPE=C).
     */
    static final String RECOVERY_MODE = "CUMULUS_RECOVERY_MODE";

    /** PostgreSQL runs restore_command in the data directory: its signal files say which recovery this is. */
    static RecoveryMode recoveryMode(Path dataDirectory) {
        String told = System.getenv(RECOVERY_MODE);
        if (told != null && dataDirectory.toString().isEmpty()) {
            for (RecoveryMode mode : RecoveryMode.values()) {
                if (mode.name().equalsIgnoreCase(told)) {
                    return mode;
                }
            }
        }
        if (Files.exists(dataDirectory.resolve("standby.signal"))) {
            return RecoveryMode.STANDBY;
        }
        return Files.exists(dataDirectory.resolve("recovery.signal")) ? RecoveryMode.ARCHIVE : RecoveryMode.NONE;
    }

    /** This command, remembering its arguments as given (the prefetch worker needs them). */
    static WalRestoreCommand withArguments(String... args) {
        WalRestoreCommand command = new WalRestoreCommand();
        command.arguments = args.clone();
        return command;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = run(() -> withArguments(args), args);
            if (code == ExitCodes.INVALID_INPUT && recoveryMode(Path.of("")) == RecoveryMode.ARCHIVE) {
                // refused before the tool ran (an unknown or ambiguous option): restore_command itself is wrong
                System.err.println("cumulus-wal-restore: " + STOPPING_RECOVERY);
                code = ExitCodes.ABORT_RECOVERY;
            }
        } catch (Throwable broken) {
            // A broken installation (a jar missing or replaced underneath) ends in an uncaught error, whose
            // exit code 1 PostgreSQL would take for "not in the archive" and promote early.
            System.err.println("cumulus-wal-restore: " + broken);
            code = recoveryMode(Path.of("")) == RecoveryMode.ARCHIVE ? ExitCodes.ABORT_RECOVERY : ExitCodes.ERROR;
        }
        // The launcher takes a 1 for a JVM that failed before main(), which exits 1 too, a 3 for a JVM that ran
        // out of memory under -XX:+ExitOnOutOfMemoryError, and a 0 or 2 for a launcher.sh that returned without
        // starting Java or that a shell could not read: every answer of the tool goes under a private code.
        if (System.getenv(LAUNCHER_MAPS_EXIT) != null) {
            code = ExitCodes.forLauncher(code);
        }
        System.exit(code);
    }
}
