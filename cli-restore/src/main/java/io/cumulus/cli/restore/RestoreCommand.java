package io.cumulus.cli.restore;

import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.EncryptionOptions;
import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.ToolCommand;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.restore.BaseRestore;
import io.cumulus.core.restore.InheritedRecoverySettings;
import io.cumulus.core.restore.RecoveryConfiguration;
import io.cumulus.core.restore.RecoveryTimeline;
import io.cumulus.core.restore.RestoredConfigurationPaths;
import io.cumulus.core.restore.RestoreOutcome;
import io.cumulus.core.util.ShellWords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cumulus-restore}: a base backup back into a data directory, barman-cloud-restore's twin. */
@Command(name = "cumulus-restore", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Restore a base backup from object storage into an empty directory, checking every file"
                + " against the backup's manifest when it has one; optionally configure the recovery.")
public final class RestoreCommand extends ToolCommand {

    /** The launcher of cumulus-wal-restore, which lives next to this tool's. */
    static final String WAL_RESTORE = "cumulus-wal-restore";

    @Parameters(index = "0", paramLabel = "SOURCE_URL", description = "s3://BUCKET/PATH, https://ACCOUNT.blob.core.windows.net/CONTAINER/PATH, gs://BUCKET/PATH"
                    + " (with --cloud-provider) or file:///DIRECTORY")
    String sourceUrl;

    @Parameters(index = "1", paramLabel = "SERVER_NAME", description = "The server's name in the bucket.")
    String serverName;

    @Parameters(index = "2", paramLabel = "BACKUP_ID",
            description = "A backup id, a backup name, latest/last (the newest on the recovery's timeline),"
                    + " oldest/first, last-failed, or auto (the newest backup that ended before the target time or"
                    + " LSN; for barman_<id>, that backup).")
    String backupId;

    @Parameters(index = "3", paramLabel = "RECOVERY_DIR",
            description = "The new data directory; it must not exist or be empty.")
    Path recoveryDir;

    @Option(names = {"-t", "--test"},
            description = "Only check that the store answers and the bucket exists (exit 2: unreachable, 1: no"
                    + " bucket); restore nothing.")
    boolean test;

    @Option(names = "--tablespace", paramLabel = "NAME:LOCATION",
            description = "Restore tablespace NAME into LOCATION instead of where it was (repeatable).")
    List<String> tablespaceRules = new ArrayList<>();

    @Option(names = {"-J", "--jobs"}, paramLabel = "N", defaultValue = "2",
            description = "Archives downloaded and extracted at once (default ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--recovery-target-time", paramLabel = "TIME",
            description = "Recover up to this time, e.g. '2026-11-21 05:30:00+00'; without an offset, in this"
                    + " machine's time zone (written to recovery_target_time with its offset).")
    String targetTime;

    @Option(names = "--recovery-target-lsn", paramLabel = "LSN", description = "Recover up to this LSN, e.g. 0/3000060.")
    String targetLsn;

    @Option(names = "--recovery-target-xid", paramLabel = "XID", description = "Recover up to this transaction.")
    String targetXid;

    @Option(names = "--recovery-target-name", paramLabel = "NAME",
            description = "Recover up to this restore point (cumulus-backup creates barman_<backup id>).")
    String targetName;

    @Option(names = "--recovery-target", paramLabel = "immediate",
            description = "'immediate': stop as soon as the backup is consistent.")
    String target;

    @Option(names = "--recovery-target-action", paramLabel = "ACTION",
            description = "pause, promote or shutdown when the target is reached (PostgreSQL's default: pause).")
    String targetAction;

    @Option(names = "--recovery-target-timeline", paramLabel = "TIMELINE",
            description = "current, latest or a number (PostgreSQL's default: latest).")
    String targetTimeline;

    @Option(names = "--standby", description = "Configure a standby (standby.signal) that replays WAL from the bucket.")
    boolean standby;

    // barman-cloud-restore's, for snapshot backups, which Cumulus refuses (exit 1); taken, as barman-cloud
    // takes them, and ignored for any other backup
    @Option(names = "--snapshot-recovery-instance", paramLabel = "INSTANCE",
            description = "barman-cloud's option for snapshot backups, which cumulus-restore does not restore"
                    + " (exit 1); ignored for other backups.")
    String snapshotRecoveryInstance;

    @Option(names = "--snapshot-recovery-zone", paramLabel = "ZONE",
            description = "barman-cloud's option for snapshot backups; ignored for other backups.")
    String snapshotRecoveryZone;

    @Option(names = "--keep-archive-mode",
            description = "With recovery configured, keep the restored archive_mode; by default archive_mode is set"
                    + " to off so the copy never archives into its origin's prefix.")
    boolean keepArchiveMode;

    @Option(names = "--target-time", paramLabel = "TIME",
            description = "With BACKUP_ID auto: choose the newest backup that ended at or before TIME (barman-cloud's"
                    + " option; --recovery-target-time also chooses, and configures the recovery).")
    String autoTime;

    @Option(names = "--target-lsn", paramLabel = "LSN",
            description = "With BACKUP_ID auto: choose the newest backup that ended at or before LSN.")
    String autoLsn;

    @Option(names = "--target-tli", paramLabel = "TLI",
            description = "With BACKUP_ID auto: only backups taken on timeline TLI.")
    String autoTimeline;

    @Mixin
    StorageOptions storage;

    /** Its launcher's -Xmx ({@code bin/}{@code cumulus-*}: default 1g). */
    @Override
    protected String heapVariable() {
        return "CUMULUS_HEAP";
    }

    @Override
    protected int execute() throws Exception {
        Map<String, Path> relocated = tablespaces(tablespaceRules);
        if (jobs < 1) {
            throw new InvalidInputException("--jobs must be at least 1");
        }
        // one zone for both uses of a time without offset: the choice of the backup and the recovery target
        ZoneId zone = RecoveryConfiguration.localZone(System.getenv("TZ"), ZoneId.systemDefault());
        OffsetDateTime recoveryTime = targetTime == null ? null
                : RecoveryConfiguration.parseTime(targetTime, zone, "--recovery-target-time");
        Map<String, String> targets = RecoveryConfiguration.targets(recoveryTime, targetLsn, targetXid, targetName,
                target, targetAction, targetTimeline);
        AutoTarget auto = autoTarget(recoveryTime, zone);
        if (test) {
            return testStore(sourceUrl, serverName, storage, new EncryptionOptions());
        }
        RecoveryConfiguration recovery = targets.isEmpty() && !standby ? null
                : new RecoveryConfiguration(restoreCommand(), targets, standby, !keepArchiveMode);
        try (StoreLocation location = StoreOpener.open(sourceUrl, serverName, storage)) {
            BackupCatalog catalog = new BackupCatalog(location.store(), location.layout());
            BackupCatalog.Entry backup = backupId.equals("auto") ? chooseAuto(catalog, auto, location)
                    : catalog.resolveForRestore(backupId, latestTimelines(location), log::warning);
            checkReachable(backup, recoveryTime);
            log.info("restoring backup " + backup.id() + " into " + recoveryDir);
            if (backup.info().status() != io.cumulus.core.catalog.BackupStatus.DONE) {
                log.warning("backup " + backup.id() + " has status " + backup.info().status()
                        + (backup.info().error() == null ? "" : " (" + backup.info().error() + ")")
                        + ": the copy may be incomplete and PostgreSQL may not start from it");
            }
            RestoreOutcome outcome;
            boolean terminal = System.console() != null && log.enabled(io.cumulus.cli.Log.Level.WARNING);
            try (RestoreProgress progress = new RestoreProgress(spec.commandLine().getErr(), log, terminal)) {
                outcome = new BaseRestore(location.store(), location.layout(), jobs, progress)
                        .restore(backup, recoveryDir, relocated, recovery);
            }
            if (!outcome.verified()) {
                log.warning("backup " + backup.id() + " has no backup_manifest (taken by barman-cloud?): the restored"
                        + " files could not be verified");
            }
            if (recovery != null) {
                // written by the restore before pg_control, so that a copy without it never starts unconfigured
                log.info("recovery configured: " + (standby ? "standby.signal" : "recovery.signal")
                        + " and postgresql.auto.conf");
            } else {
                InheritedRecoverySettings.warningsWithoutRecovery(recoveryDir).forEach(log::warning);
            }
            // a postgresql.conf from outside the origin's data directory (Debian's /etc/postgresql) names its paths
            RestoredConfigurationPaths.warnings(recoveryDir, backup.info()).forEach(log::warning);
            if (log.enabled(io.cumulus.cli.Log.Level.WARNING)) {
                out().println(summary(backup, outcome));
                out().flush();
            }
        }
        return ExitCodes.OK;
    }

    /** What {@code auto} chooses by, each null when not given. */
    private record AutoTarget(OffsetDateTime time, Long lsn) {
    }

    /**
     * {@code auto}'s criteria, checked before the store is contacted: barman-cloud's --target-*
     * options, else the recovery target's.
     */
    private AutoTarget autoTarget(OffsetDateTime recoveryTime, ZoneId zone) {
        OffsetDateTime time = autoTime != null ? RecoveryConfiguration.parseTime(autoTime, zone, "--target-time")
                : recoveryTime;
        String lsn = autoLsn != null ? autoLsn : targetLsn;
        String timeline = autoTimeline != null ? autoTimeline : targetTimeline;
        if (!backupId.equals("auto")) {
            return new AutoTarget(null, null);
        }
        if (time != null && lsn != null) {
            throw new InvalidInputException("auto: give a target time or a target LSN, not both");
        }
        if (timeline != null && !timeline.matches("[0-9]{1,10}") && !timeline.equals("current")
                && !timeline.equals("latest")) {
            throw new InvalidInputException("invalid target timeline '" + timeline + "'");
        }
        Long lsnValue = null;
        if (lsn != null) {
            try {
                lsnValue = BackupCatalog.parseLsn(lsn);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("invalid target LSN '" + lsn + "': expected an LSN such as 0/3000060");
            }
        }
        return new AutoTarget(time, lsnValue);
    }

    /**
     * {@code auto}: the newest DONE backup that can reach {@code target}, along the recovery's timelines;
     * for a restore point {@code barman_<id>} (cumulus-backup's, at a backup's end), that backup.
     */
    private BackupCatalog.Entry chooseAuto(BackupCatalog catalog, AutoTarget target, StoreLocation location)
            throws java.io.IOException {
        if (target.time() == null && target.lsn() == null && targetName != null && targetName.startsWith("barman_")
                && BackupId.isBackupId(targetName.substring("barman_".length()))) {
            BackupCatalog.Entry named = catalog.resolveForRestore(targetName.substring("barman_".length()),
                    log::warning);
            log.info("auto: chose backup " + named.id() + ", which created restore point " + targetName);
            return named;
        }
        BackupCatalog.Entry chosen = catalog.resolveAuto(target.time(), target.lsn(), recoveryTimeline(location),
                log::warning);
        log.info("auto: chose backup " + chosen.id());
        if (target.time() == null && target.lsn() == null && (targetXid != null || targetName != null)) {
            log.warning("auto cannot tell which backup precedes " + (targetXid != null ? "transaction " + targetXid
                    : "restore point " + targetName) + ": it chose the newest, " + chosen.id() + ", which ended "
                    + chosen.info().endTime() + "; if the target is older, PostgreSQL will stop with \"recovery ended"
                    + " before configured recovery target was reached\": then restore an older backup by its id, or"
                    + " give --target-time with a time before the target");
        }
        return chosen;
    }

    /**
     * The timelines {@code latest}/{@code last} choose among, as the recovery will follow them
     * (--recovery-target-timeline, PostgreSQL's default latest); any for an id, a name, or current.
     */
    private RecoveryTimeline latestTimelines(StoreLocation location) throws java.io.IOException {
        return backupId.equals("latest") || backupId.equals("last") ? alongTargetTimeline(location)
                : RecoveryTimeline.any();
    }

    /**
     * Refuses a recovery target before the end of {@code backup}, before anything is downloaded, as barman
     * recover does: PostgreSQL checks a time target at commits only, so from a backup that ended after
     * it, recovery stops at the first commit after the backup is consistent, with every transaction
     * between the target and the backup's end applied (or, when one committed inside the backup, fails).
     */
    private void checkReachable(BackupCatalog.Entry backup, OffsetDateTime recoveryTime)
            throws OperationFailedException {
        String reason = null;
        if (recoveryTime != null && backup.info().endTime() != null
                && recoveryTime.isBefore(backup.info().endTime())) {
            reason = "the recovery target time " + recoveryTime + " is before the end of backup " + backup.id() + " ("
                    + backup.info().endTime() + "): recovery from it cannot stop there (PostgreSQL would stop at the"
                    + " first commit after the backup's end, keeping what the target was to undo)";
        } else if (targetLsn != null && endsAfter(backup.info().endXlog(), targetLsn)) {
            reason = "the recovery target LSN " + targetLsn + " is before the end of backup " + backup.id() + " ("
                    + backup.info().endXlog() + "): recovery from it cannot stop there";
        }
        if (reason != null) {
            throw new OperationFailedException(reason + "; restore an older backup, or give BACKUP_ID"
                    + " auto, which chooses the newest backup that ended before the target");
        }
    }

    /**
     * The timelines whose backups {@code auto} may choose: barman-cloud's --target-tli N exactly (its
     * latest and current do not filter); else along --recovery-target-timeline's history, as PostgreSQL
     * will recover (latest, its default: the newest archived history), any timeline for current.
     */
    private RecoveryTimeline recoveryTimeline(StoreLocation location) throws java.io.IOException {
        if (autoTimeline != null) {
            return autoTimeline.matches("[0-9]+") ? RecoveryTimeline.exactly(Long.parseLong(autoTimeline))
                    : RecoveryTimeline.any();
        }
        return alongTargetTimeline(location);
    }

    /** Along --recovery-target-timeline: latest (PostgreSQL's default), a number, or any for current. */
    private RecoveryTimeline alongTargetTimeline(StoreLocation location) throws java.io.IOException {
        if (targetTimeline == null || targetTimeline.equals("latest")) {
            return RecoveryTimeline.latest(location.store(), location.layout());
        }
        return targetTimeline.equals("current") ? RecoveryTimeline.any()
                : RecoveryTimeline.along(location.store(), location.layout(), Long.parseLong(targetTimeline));
    }

    /** Whether a backup's end LSN, if readable, is past {@code lsn}. */
    private static boolean endsAfter(String endXlog, String lsn) {
        try {
            return endXlog != null && Long.compareUnsigned(BackupCatalog.parseLsn(lsn), BackupCatalog.parseLsn(endXlog)) < 0;
        } catch (IllegalArgumentException e) {
            return false; // an unreadable end_xlog: PostgreSQL will tell
        }
    }

    private String summary(BackupCatalog.Entry backup, RestoreOutcome outcome) {
        return String.format(Locale.ROOT, "restored backup %s into %s: %d files, %d bytes, %d archives in %.1f s, %s",
                backup.id(), recoveryDir, outcome.files(), outcome.bytes(), outcome.archives(),
                outcome.elapsed().toMillis() / 1000.0,
                outcome.verified() ? "verified against backup_manifest" : "NOT verified (no backup_manifest)");
    }

    /**
     * barman-cloud-restore's rules: {@code NAME:LOCATION}, split at the first colon; of two for one name, the
     * last.
     *
     * @throws InvalidInputException for a rule without a colon, a name or a location
     */
    static Map<String, Path> tablespaces(List<String> rules) {
        Map<String, Path> relocated = new LinkedHashMap<>();
        for (String rule : rules) {
            int colon = rule.indexOf(':');
            if (colon <= 0 || colon == rule.length() - 1) {
                throw new InvalidInputException("invalid --tablespace '" + rule + "': expected NAME:LOCATION");
            }
            // a name given twice takes its last location, as barman-cloud-restore's dict does
            relocated.put(rule.substring(0, colon), Path.of(rule.substring(colon + 1)).toAbsolutePath().normalize());
        }
        return relocated;
    }

    /**
     * The cumulus-wal-restore restore_command calls: the one beside the path cumulus-restore was called
     * by, links kept ({@code /opt/cumulus/current/bin}, a directory of links on PATH), so that it survives
     * an upgrade that switches a link; else the one beside the resolved launcher; else from PATH.
     */
    static String walRestore(String calledAs, String launcher) {
        for (String path : new String[] {calledAs, launcher}) {
            if (path != null && !path.isEmpty()) {
                Path sibling = Path.of(path).normalize().resolveSibling(WAL_RESTORE);
                if (Files.isExecutable(sibling)) {
                    return sibling.toString();
                }
            }
        }
        return WAL_RESTORE;
    }

    /**
     * {@link #walRestore} with the same source, server name and
     * storage options, as a shell command line for PostgreSQL's restore_command.
     */
    String restoreCommand() {
        List<String> words = new ArrayList<>();
        words.add(walRestore(System.getenv("CUMULUS_CALLED_AS"), System.getenv("CUMULUS_LAUNCHER")));
        List<OptionSpec> storageOptions = spec.mixins().get("storage").options();
        for (OptionSpec option : spec.commandLine().getParseResult().matchedOptions()) {
            if (storageOptions.stream().anyMatch(o -> o.longestName().equals(option.longestName()))) {
                for (String value : option.originalStringValues()) {
                    if (option.longestName().equals("--endpoint-url")) {
                        value = endpointWithoutUserInfo(value);
                    }
                    words.add(option.longestName() + "=" + value);
                }
            }
        }
        words.add(sourceUrl);
        words.add(serverName);
        List<String> quoted = new ArrayList<>();
        for (String word : words) {
            quoted.add(commandWord(word));
        }
        return String.join(" ", quoted) + " %f %p";
    }

    /**
     * {@code endpoint} without its user info, if it has any: restore_command must not hold a password
     * (postgresql.auto.conf is copied with the cluster, shown by SHOW and pg_settings to privileged
     * roles, and PostgreSQL logs a failed restore_command line), and the AWS SDK never uses a URL's
     * user info anyway. Warns that the restored server must get the credentials elsewhere.
     */
    private String endpointWithoutUserInfo(String endpoint) {
        java.util.regex.Matcher scheme = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://").matcher(endpoint);
        int start = scheme.lookingAt() ? scheme.end() : 0;
        int at = endpoint.lastIndexOf('@');
        if (at < start) {
            return endpoint;
        }
        String bare = endpoint.substring(0, start) + endpoint.substring(at + 1);
        log.warning("--endpoint-url carries user info, which is not copied into restore_command (written as "
                + bare + "): the restored server must get the store's credentials from its environment or AWS"
                + " profile (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE), as cumulus-wal-restore needs"
                + " them anyway");
        return bare;
    }

    /**
     * One word of restore_command: shell-quoted, and with {@code %} doubled, as PostgreSQL reads
     * {@code %f}, {@code %p} and {@code %r} anywhere in it: a gs:// path such as {@code 100%full} (kept
     * as written, as barman-cloud keeps it) would otherwise get the WAL name in place of {@code %f}.
     */
    static String commandWord(String word) {
        return ShellWords.quote(word).replace("%", "%%");
    }

    public static void main(String[] args) {
        System.exit(run(new RestoreCommand(), args));
    }
}
