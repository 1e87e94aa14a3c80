package io.cumulus.cli.check;

import io.cumulus.cli.ConnectionOptions;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.Failures;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.TagOptions;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.check.BackupFreshness;
import io.cumulus.core.check.CheckResult;
import io.cumulus.core.check.Durations;
import io.cumulus.core.check.RetentionPolicyCheck;
import io.cumulus.core.check.StoreProbe;
import io.cumulus.core.check.SystemIdentifierCheck;
import io.cumulus.core.check.WalContinuityCheck;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.postgres.ArchivingChecks;
import io.cumulus.postgres.ArchivingStatus;
import io.cumulus.postgres.ConnectionSettings;
import io.cumulus.postgres.PostgresServer;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cumulus-check}: in the spirit of {@code barman check}, one verdict per link of the chain
 * from the running cluster to the bucket — PostgreSQL's archiving settings and archiver, the store
 * and the credentials' rights, the catalog's freshness, the continuity of the WAL archive and,
 * optionally, a retention policy. Read-only apart from one probe object under a scratch prefix.
 */
@Command(name = "cumulus-check", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Check that PostgreSQL archives into DESTINATION_URL as SERVER_NAME, that the store accepts"
                + " these credentials, and that the backups and the WAL archive allow a recovery. One line per"
                + " check; exit 0 when all are OK, 1 otherwise (--nagios: 0 OK, 2 CRITICAL, 3 UNKNOWN).")
public final class CheckCommand extends ToolCommand {

    /** The default --max-archive-lag. */
    static final String DEFAULT_MAX_ARCHIVE_LAG = "15m";
    /** The default --max-backup-age. */
    static final String DEFAULT_MAX_BACKUP_AGE = "7d";

    private static final int NAGIOS_UNKNOWN = 3;

    /** How each output is chosen. */
    enum Format { TEXT, JSON }

    @Parameters(index = "0", paramLabel = "DESTINATION_URL", description = "s3://BUCKET/PATH or file:///DIRECTORY")
    String destinationUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the bucket.")
    String serverName;

    @Mixin
    StorageOptions storage;

    @Mixin
    ConnectionOptions connection;

    // the probe is written as the backups are, so that a bucket policy requiring encryption accepts it
    @Mixin
    EncryptionOptions encryption;

    @Mixin
    TagOptions tags;

    @Option(names = "--max-archive-lag", paramLabel = "DURATION", defaultValue = DEFAULT_MAX_ARCHIVE_LAG,
            description = "Longest a completed segment may wait to be archived (default ${DEFAULT-VALUE};"
                    + " units s, m, h, d, w).")
    String maxArchiveLag;

    @Option(names = "--max-backup-age", paramLabel = "DURATION", defaultValue = DEFAULT_MAX_BACKUP_AGE,
            description = "Oldest the newest DONE backup may be, from its end (default ${DEFAULT-VALUE}).")
    String maxBackupAge;

    @Option(names = "--min-backups", paramLabel = "N", defaultValue = "1",
            description = "Fewest DONE backups (default ${DEFAULT-VALUE}).")
    int minBackups;

    @Option(names = "--retention-policy", paramLabel = "POLICY",
            description = "Also check the catalog meets 'REDUNDANCY n' or 'RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS'.")
    String retentionPolicy;

    @Option(names = "--nagios", description = "One Nagios plugin line with performance data; exit 0 OK, 2 CRITICAL,"
            + " 3 UNKNOWN.")
    boolean nagios;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json.")
    Format format;

    @Override
    protected int execute() throws Exception {
        try {
            return check();
        } catch (Exception | Error e) {
            if (!nagios) {
                throw e;
            }
            out().println("CUMULUS UNKNOWN - " + serverName + ": " + Failures.describe(e).replace('|', '/'));
            out().flush();
            return NAGIOS_UNKNOWN;
        }
    }

    private int check() throws Exception {
        Duration maxLag = Durations.parse("--max-archive-lag", maxArchiveLag);
        Duration maxAge = Durations.parse("--max-backup-age", maxBackupAge);
        if (minBackups < 0) {
            throw new InvalidInputException("--min-backups must be 0 or more, not " + minBackups);
        }
        Optional<RetentionPolicyCheck> policy = Optional.ofNullable(retentionPolicy).map(RetentionPolicyCheck::parse);
        ConnectionSettings settings = connection.settings();
        WriteOptions probe = WriteOptions.DEFAULT.withTags(tags.tags(spec.commandLine().getParseResult()));
        encryption.sseKmsKeyId(); // invalid input, not a failed check

        List<CheckResult> results = new ArrayList<>();
        // PostgreSQL first: a WAL file it archives after this read and before the listing is then in the listing
        Optional<ArchivingStatus> status = postgres(settings, maxLag, results);
        Optional<Duration> backupAge = Optional.empty();
        OptionalLong done = OptionalLong.empty();
        try (StoreLocation location = StoreOpener.open(destinationUrl, serverName, storage, encryption)) {
            BlobStore store = location.store();
            String where = store.describeKey(location.layout().serverPrefix());
            if (storeReachable(store, where, results)) {
                results.add(StoreProbe.run(store, StoreProbe.probeKey(location.layout()), probe));
                Optional<String> system = status.flatMap(ArchivingStatus::systemIdentifier);
                Optional<Catalog> catalog = catalog(store, location.layout(), system, results);
                if (catalog.isPresent()) {
                    BackupFreshness freshness = catalog.get().freshness();
                    // only this cluster's backups restore it: the others are counted apart
                    List<BackupInfo> backups = freshness.ofThisSystem().stream().map(CatalogBackup::info).toList();
                    OffsetDateTime now = OffsetDateTime.now();
                    backupAge = freshness.newestAge(now);
                    done = OptionalLong.of(freshness.restorableDone());
                    status.ifPresent(s -> results.add(SystemIdentifierCheck.check(catalog.get().backups(), system)));
                    results.add(freshness.age(now, maxAge));
                    results.add(freshness.count(minBackups));
                    CheckResult continuity = continuity(location, freshness.ofThisSystem(), status);
                    if (continuity.message().equals(WalContinuityCheck.NO_BACKUP) && catalog.get().backups().stream()
                            .anyMatch(b -> b.status() == BackupStatus.DONE)) {
                        // after a pg_upgrade: the DONE backups there are, are another system's
                        continuity = CheckResult.failed(continuity.name(), "no DONE backup of this database system"
                                + " (those in the store are of another: see the system identifier line), so no WAL"
                                + " range a recovery would need", continuity.fix());
                    }
                    results.add(continuity);
                    // a recovery window is counted on this machine's wall clock, as cumulus-backup-delete counts it
                    ZonedDateTime local = now.atZoneSameInstant(ZoneId.systemDefault());
                    policy.ifPresent(p -> results.add(p.check(backups, local)));
                }
            }
        }
        CheckReport report = new CheckReport(serverName, destinationUrl, results, backupAge,
                status.map(ArchivingStatus::archiveLag), done, maxAge, maxLag, minBackups);
        if (nagios) {
            out().println(report.nagios());
            out().flush();
            return report.nagiosExitCode();
        }
        out().print(format == Format.JSON ? report.json() + "\n" : report.text());
        out().flush();
        return report.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private Optional<ArchivingStatus> postgres(ConnectionSettings settings, Duration maxLag, List<CheckResult> results) {
        settings.notices().forEach(log::info);
        try (PostgresServer server = PostgresServer.connect(settings, Duration.ZERO)) {
            ArchivingStatus status = server.archivingStatus();
            results.add(CheckResult.ok("PostgreSQL", "PostgreSQL " + status.version() + " at " + server.describe()));
            results.addAll(ArchivingChecks.check(status, destinationUrl, serverName, maxLag));
            return Optional.of(status);
        } catch (Exception e) {
            results.add(CheckResult.failed("PostgreSQL", Failures.describe(e), "check that PostgreSQL runs and that"
                    + " -h/-p/-U/-d (or PGHOST, PGPORT, PGUSER, ~/.pgpass) let this user connect"));
            return Optional.empty();
        }
    }

    private static boolean storeReachable(BlobStore store, String where, List<CheckResult> results) {
        try {
            store.checkAvailable();
            results.add(CheckResult.ok("store", where + " answers"));
            return true;
        } catch (Exception e) {
            results.add(CheckResult.failed("store", Failures.describe(e), e instanceof AccessDeniedException
                    ? "check the credentials this check is given (the environment's variables, -P profile or key"
                            + " file) and their rights on the bucket"
                    : "check the URL, --endpoint-url, the network and that the bucket (or file:// directory)"
                            + " exists"));
            return false;
        }
    }

    /** The readable backups with their keep annotations, and the catalog checks' view of them. */
    private record Catalog(List<CatalogBackup> backups, BackupFreshness freshness) {
    }

    private static Optional<Catalog> catalog(BlobStore store, ServerLayout layout, Optional<String> system,
            List<CheckResult> results) {
        try {
            // a backup kept standalone needs only its own WAL: the continuity check must know which are
            Map<BackupId, Keep> keeps = new KeepAnnotations(store, layout).all();
            BackupCatalog.Scan scan = new BackupCatalog(store, layout).scan();
            if (!scan.unreadable().isEmpty()) {
                Map.Entry<BackupId, String> first = scan.unreadable().entrySet().iterator().next();
                throw new IllegalArgumentException("backup.info of " + first.getKey() + ": " + first.getValue());
            }
            List<CatalogBackup> backups = scan.entries().stream()
                    .map(e -> new CatalogBackup(e.id(), e.info(), Optional.ofNullable(keeps.get(e.id())))).toList();
            return Optional.of(new Catalog(backups, BackupFreshness.read(store, layout, backups,
                    scan.incomplete().size(), system)));
        } catch (Exception e) {
            results.add(CheckResult.failed("backup catalog", "cannot read the catalog: " + Failures.describe(e),
                    "check the credentials' read access, and any backup.info or keep annotation named in the message"));
            return Optional.empty();
        }
    }

    private static CheckResult continuity(StoreLocation location, List<CatalogBackup> backups,
            Optional<ArchivingStatus> status) {
        try {
            return WalContinuityCheck.run(location.store(), location.layout(), backups,
                    status.map(s -> new WalContinuityCheck.Cluster(s.timeline(), s.walSegmentSize(),
                            s.lastArchivedWal(), s.lastArchivedTime(), s.currentWalFile(), s.systemIdentifier())));
        } catch (IOException | RuntimeException e) {
            return CheckResult.failed(WalContinuityCheck.NAME, "cannot read the WAL archive: " + Failures.describe(e),
                    "check the credentials' read and list access to the server's wals/");
        }
    }

    public static void main(String[] args) {
        System.exit(run(new CheckCommand(), args));
    }
}
