package io.cumulus.cli.backup;

import io.cumulus.cli.ConnectionOptions;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.Log;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.TagOptions;
import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.backup.ArchiveSizing;
import io.cumulus.core.backup.BackupOutcome;
import io.cumulus.core.backup.BackupSettings;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupName;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.util.SizeParser;
import io.cumulus.postgres.ConnectionSettings;
import io.cumulus.postgres.PostgresServer;
import io.cumulus.postgres.ServerFacts;
import io.cumulus.storage.MultipartOutputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cumulus-backup}: a base backup of a running cluster into object storage, barman-cloud-backup's twin. */
@Command(name = "cumulus-backup", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Take a base backup of a running PostgreSQL cluster (run on its host) and stream it into"
                + " object storage exactly as barman-cloud-backup lays it out.")
public final class BackupCommand extends ToolCommand {

    /** Python's INFO level: progress lines are shown at it whatever -v says, unless -q. */
    private static final int PROGRESS_LEVEL = 20;

    /** How long a signal waits for the backup to abort its uploads and store a FAILED backup.info. */
    private static final Duration CLEANUP_ON_SIGNAL = Duration.ofSeconds(30);

    /** Heap the tool needs besides the upload buffers: tar, codec and connection buffers, the manifest. */
    private static final long HEAP_BESIDES_BUFFERS = 32L << 20;

    @Parameters(index = "0", paramLabel = "DESTINATION_URL", description = "s3://BUCKET/PATH, https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, gs://BUCKET/PATH"
                    + " (with --cloud-provider) or file:///DIRECTORY")
    String destinationUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the bucket.")
    String serverName;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers and the bucket exists (exit 2: unreachable, 1: no bucket).")
    boolean test;

    @Mixin
    StorageOptions storage;

    @Mixin
    EncryptionOptions encryption;

    @Mixin
    BackupCompressionOptions compression;

    @Mixin
    ConnectionOptions connectionOptions;

    @Option(names = "--immediate-checkpoint",
            description = "Start with an immediate checkpoint instead of waiting for a spread one.")
    boolean immediateCheckpoint;

    @Option(names = "--archive-wait-timeout", paramLabel = "SECONDS", defaultValue = "3600",
            description = "How long to wait at the end for PostgreSQL to archive the WAL the backup needs before the"
                    + " backup is marked FAILED (default ${DEFAULT-VALUE}; 0: as long as PostgreSQL waits, as barman-cloud).")
    long archiveWaitTimeout;

    @Option(names = {"-J", "--jobs"}, paramLabel = "N", defaultValue = "2",
            description = "Parts of an archive uploaded at once (default ${DEFAULT-VALUE}). Memory: (N + 1) x part size.")
    int jobs;

    @Option(names = {"-S", "--max-archive-size"}, paramLabel = "SIZE", defaultValue = "100GB",
            description = "Start a new archive part once one passes SIZE after compression (default ${DEFAULT-VALUE},"
                    + " at most 1TB; GB = 1024^3 bytes).")
    String maxArchiveSize;

    @Option(names = "--min-chunk-size", paramLabel = "SIZE",
            description = "Smallest upload part (default: 2 x max archive size / 10000, at least 5MB on S3).")
    String minChunkSize;

    @Option(names = "--max-bandwidth", paramLabel = "SIZE",
            description = "Upload at most SIZE bytes per second, e.g. 50MB (default: unlimited).")
    String maxBandwidth;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME",
            description = "A name for the backup, usable instead of its id (not a backup id, not latest/last/oldest/"
                    + "first/last-failed/latest-full/last-full/auto).")
    String name;

    @Mixin
    TagOptions tags;

    /** Its launcher's -Xmx ({@code bin/}{@code cumulus-*}: default 1g). */
    @Override
    protected String heapVariable() {
        return "CUMULUS_HEAP";
    }

    @Override
    protected int execute() throws Exception {
        BackupSettings settings = settings();
        UploadTuning tuning = new UploadTuning(settings.maxArchiveSize(), size("--min-chunk-size", minChunkSize)
                .orElse(0), jobs);
        ConnectionSettings connection = connectionOptions.settings();
        if (archiveWaitTimeout < 0) {
            throw new InvalidInputException("--archive-wait-timeout must be zero or more seconds");
        }
        if (test) {
            return testStore(destinationUrl, serverName, storage, encryption);
        }
        Optional<MultipartOutputStream.Settings> parts = StoreOpener.uploadParts(destinationUrl, storage, tuning);
        checkHeap(parts, settings.maxArchiveSize());
        try (StoreLocation location = StoreOpener.open(destinationUrl, serverName, storage, encryption, tuning)) {
            location.store().checkAvailable();
            connection.notices().forEach(log::info);
            try (PostgresServer server = PostgresServer.connect(connection)) {
                server.checkBackupPossible();
                ServerFacts facts = server.facts();
                PostgresBackupSource source = new PostgresBackupSource(server, facts, immediateCheckpoint,
                        java.time.Duration.ofSeconds(archiveWaitTimeout), log::warning);
                List<Path> notStored = source.includedFilesNotStored();
                if (!notStored.isEmpty()) {
                    log.warning(includedFilesWarning(notStored));
                }
                Map<Path, Path> behindLinks = source.configFilesBehindLinks();
                if (!behindLinks.isEmpty()) {
                    log.warning(linkedConfigFilesWarning(behindLinks));
                }
                // before the id is claimed: the claim is released only once the backup runs (a signal or a
                // failure in between leaves it), and summing the tablespaces' sizes takes seconds on a large cluster
                java.util.OptionalLong estimatedSize = source.estimatedSize();
                BackupId id = BaseBackup.newId(location.store(), location.layout(), Clock.systemDefaultZone(),
                        settings.tags());
                log.info("backup " + id + " of " + server.describe() + (facts.inRecovery() ? " (a standby)" : "")
                        + " to " + where(id)
                        + parts.map(p -> ", " + describeParts(p, settings.maxArchiveSize()) + ", up to "
                                + ProgressReporter.bytes(uploadBuffers(p, settings.maxArchiveSize()))
                                + " of upload buffers").orElse(""));
                BackupOutcome outcome;
                try (ProgressReporter progress = new ProgressReporter(spec.commandLine().getErr(),
                        new Log(spec.commandLine().getErr(), PROGRESS_LEVEL), log, progressMode(), estimatedSize)) {
                    outcome = new StoppableBackup(new BaseBackup(location.store(), location.layout(), settings,
                            progress), id, where(id), CLEANUP_ON_SIGNAL, log).run(source);
                }
                if (summarised()) {
                    out().println(summary(outcome, where(id)));
                    out().flush();
                }
                return ExitCodes.OK;
            }
        }
    }

    @Override
    protected int fail(Throwable failure) {
        if (failure instanceof StoppableBackup.Reported) {
            return ExitCodes.forFailure(failure.getCause());
        }
        return super.fail(failure);
    }

    private BackupSettings settings() {
        long archiveSize = size("-S/--max-archive-size", maxArchiveSize).orElseThrow();
        if (archiveSize > ArchiveSizing.MAX_ARCHIVE_SIZE) {
            log.warning("max archive size " + maxArchiveSize + " is above the 1TB limit: using 1TB");
            archiveSize = ArchiveSizing.MAX_ARCHIVE_SIZE;
        }
        BackupSettings settings = BackupSettings.defaults()
                .withCompression(compression.compression(), compression.level())
                .withMaxArchiveSize(archiveSize)
                .withTags(tags.tags(spec.commandLine().getParseResult()))
                .withWorkers(checkedJobs());
        if (name != null) {
            try {
                settings = settings.withBackupName(new BackupName(name));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException(e.getMessage());
            }
        }
        OptionalLong bandwidth = size("--max-bandwidth", maxBandwidth);
        if (bandwidth.isPresent()) {
            settings = settings.withMaxBandwidth(bandwidth.getAsLong());
        }
        Compression chosen = settings.compression();
        if (chosen == Compression.ZSTD || chosen == Compression.XZ) {
            log.info(chosen.name().toLowerCase(Locale.ROOT) + " archives can be restored by cumulus-restore,"
                    + " not by barman-cloud-restore");
        } else if (chosen == Compression.LZ4) {
            log.info("lz4 archives can be restored by cumulus-restore and by barman-cloud-restore 3.18 or later,"
                    + " not by earlier barman-cloud versions");
        }
        return settings;
    }

    /**
     * barman-cloud-backup's warning of the configuration files pulled in from outside the data
     * directory ("The usage of include directives is not supported for files that reside outside
     * PGDATA. Please manually backup the following files: ..."), in one line. Where a restored server
     * looks for them depends on the include line, which the file names do not tell: a relative one
     * follows the postgresql.conf, which the backup stores at the data directory's root even when it
     * lived elsewhere ({@code include_dir = 'conf.d'} of /etc/postgresql/15/main becomes RECOVERY_DIR/conf.d).
     */
    static String includedFilesWarning(List<Path> files) {
        return "configuration files pulled in by include directives live outside the data directory and are not"
                + " in the backup: " + files.stream().map(Path::toString).collect(Collectors.joining(", "))
                + "; back them up by hand: a server restored from this backup reads them where its include lines"
                + " point: an absolute path as it is, a relative one from the directory of the postgresql.conf it"
                + " starts with (the restored data directory, for the copy the backup holds)";
    }

    /**
     * The configuration files reached through a symbolic link, each with that link (the file itself, or
     * a directory on its way), in one line: the walk stores a link as a link and never follows it, so
     * the backup holds the link at most, and barman-cloud-backup says nothing of them.
     */
    static String linkedConfigFilesWarning(Map<Path, Path> filesAndLinks) {
        return "configuration files reached through a symbolic link are not in the backup, which holds a link"
                + " as a link and never follows it: " + filesAndLinks.entrySet().stream()
                        .map(e -> e.getKey() + (e.getKey().equals(e.getValue()) ? " (a symbolic link)"
                                : " (through the symbolic link " + e.getValue() + ")"))
                        .collect(Collectors.joining(", "))
                + "; keep a copy of them with your configuration management, as for files outside the data"
                + " directory: a server restored from this backup needs them at these paths";
    }

    private int checkedJobs() {
        if (jobs < 1) {
            throw new InvalidInputException("-J/--jobs must be at least 1, not " + jobs);
        }
        return jobs;
    }

    private static OptionalLong size(String option, String text) {
        if (text == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(SizeParser.parse(text));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("invalid " + option + ": " + e.getMessage());
        }
    }

    /**
     * Fails before anything starts when the upload buffers would not fit in the heap: better than
     * running out of memory hours into a backup. The bound is {@code -J + 1} of the largest part an
     * archive of {@code -S} can reach: an archive's parts keep their first size up to there (see
     * {@link #largestPart}), so with the defaults 20.5 MiB, not the 82 MiB they would grow to
     * unplanned.
     */
    private void checkHeap(Optional<MultipartOutputStream.Settings> parts, long maxArchiveSize) {
        if (parts.isEmpty()) {
            return;
        }
        long buffers = uploadBuffers(parts.get(), maxArchiveSize);
        long heap = Runtime.getRuntime().maxMemory();
        if (buffers + HEAP_BESIDES_BUFFERS > heap) {
            throw new InvalidInputException("-J " + jobs + " with " + describeParts(parts.get(), maxArchiveSize)
                    + " (for archives of up to " + ProgressReporter.bytes(ArchiveSizing.largestArchive(maxArchiveSize))
                    + ") needs " + ProgressReporter.bytes(buffers) + " of upload buffers and "
                    + ProgressReporter.bytes(HEAP_BESIDES_BUFFERS) + " besides, more than the "
                    + ProgressReporter.bytes(heap) + " heap allows: raise CUMULUS_HEAP (e.g. CUMULUS_HEAP=2g), or"
                    + " lower -J, -S or --min-chunk-size");
        }
    }

    /**
     * The largest part of an archive of up to {@code -S} (and the member that passes it), the size
     * {@link BaseBackup} plans its archives' uploads for: the first part size, unless the store's part
     * limit cannot hold such an archive in parts of that size.
     */
    static long largestPart(MultipartOutputStream.Settings parts, long maxArchiveSize) {
        long largestArchive = ArchiveSizing.largestArchive(maxArchiveSize);
        return parts.withPlannedSize(largestArchive).largestPartSize(largestArchive);
    }

    /** "parts of 20.5 MiB", and how large they grow if they do within an archive of {@code -S}. */
    private static String describeParts(MultipartOutputStream.Settings parts, long maxArchiveSize) {
        long largest = largestPart(parts, maxArchiveSize);
        return "parts of " + ProgressReporter.bytes(parts.partSize())
                + (largest > parts.partSize() ? " growing to " + ProgressReporter.bytes(largest) : "");
    }

    /** The most an archive's upload holds: the part being filled and {@code -J} in flight, at their largest. */
    static long uploadBuffers(MultipartOutputStream.Settings parts, long maxArchiveSize) {
        return (parts.partsInFlight() + 1L) * largestPart(parts, maxArchiveSize);
    }

    private boolean quiet() {
        return !log.enabled(Log.Level.WARNING);
    }

    /**
     * Whether the run ends with its one-line summary: with {@code -v}, or on a terminal unless {@code -q}.
     * Otherwise a successful backup prints nothing, as barman-cloud-backup, so that cron sends no mail.
     */
    private boolean summarised() {
        return log.enabled(Log.Level.INFO) || !quiet() && System.console() != null;
    }

    /** The live line on a terminal (unless {@code -q}); elsewhere, log lines with {@code -v} only. */
    private ProgressReporter.Mode progressMode() {
        if (quiet()) {
            return ProgressReporter.Mode.QUIET;
        }
        if (System.console() != null) {
            return ProgressReporter.Mode.TERMINAL;
        }
        return log.enabled(Log.Level.INFO) ? ProgressReporter.Mode.LOG : ProgressReporter.Mode.QUIET;
    }

    /** The backup's directory under the destination URL, for messages: {@code s3://bucket/path/server/base/<id>/}. */
    private String where(BackupId id) {
        String url = destinationUrl.endsWith("/") ? destinationUrl.substring(0, destinationUrl.length() - 1)
                : destinationUrl;
        return url + "/" + serverName + "/base/" + id + "/";
    }

    private static String summary(BackupOutcome outcome, String where) {
        double seconds = Math.max(0.001, outcome.elapsed().toMillis() / 1000.0);
        int archives = outcome.archives().size();
        String name = outcome.info().backupName() == null ? "" : " (" + outcome.info().backupName() + ")";
        return "backup " + outcome.id() + name + " DONE at " + where + ": " + ProgressReporter.bytes(outcome.bytesCopied())
                + " copied into " + archives + (archives == 1 ? " archive" : " archives") + " of "
                + ProgressReporter.bytes(outcome.storedBytes()) + " in "
                + ProgressReporter.duration(outcome.elapsed()) + " ("
                + ProgressReporter.bytes((long) (outcome.bytesCopied() / seconds)) + "/s), WAL "
                + outcome.info().beginWal() + " to " + outcome.info().endWal();
    }

    public static void main(String[] args) {
        System.exit(run(new BackupCommand(), args));
    }
}
