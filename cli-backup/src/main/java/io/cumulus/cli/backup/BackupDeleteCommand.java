package io.cumulus.cli.backup;

import io.cumulus.cli.ExitCodes;
import io.cumulus.cli.StoreLocation;
import io.cumulus.cli.StoreUrl;
import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.KeepAnnotations;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.retention.CatalogSnapshot;
import io.cumulus.core.retention.IncompleteBackup;
import io.cumulus.core.retention.PlanExecutor;
import io.cumulus.core.retention.RetentionPlan;
import io.cumulus.core.retention.RetentionPlanner;
import io.cumulus.core.retention.RetentionPolicy;
import io.cumulus.storage.BlobIterator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cumulus-backup-delete}: deletes one backup, or every backup a retention policy makes
 * obsolete, with the WAL only they needed, as barman-cloud-backup-delete does (reference §1.9, §6).
 * Everything is decided before anything is removed; {@code --dry-run} shows that decision.
 */
@Command(name = "cumulus-backup-delete", versionProvider = io.cumulus.cli.Version.class, sortOptions = false,
        description = "Delete a backup (-b) or the backups a retention policy makes obsolete (-r), with the WAL"
                + " that only they needed.")
public final class BackupDeleteCommand extends CatalogWriteCommand {

    // Not an exclusive @ArgGroup: picocli refuses a repeated member of a group (-r X -r Y), which argparse
    // takes (the last wins); checkInput() refuses two different members, as argparse's group does.
    static final class Target {
        @Option(names = {"-b", "--backup-id"}, paramLabel = "BACKUP_ID",
                description = "The backup to delete: an id, a backup name, or latest/last/oldest/first/last-failed.")
        String backupId;

        @Option(names = {"-r", "--retention-policy"}, paramLabel = "POLICY",
                description = "Delete what the policy makes obsolete: 'REDUNDANCY n' or"
                        + " 'RECOVERY WINDOW OF n DAYS|WEEKS|MONTHS'.")
        String retentionPolicy;
    }

    @Mixin
    Target target;

    @Option(names = "--dry-run", description = "Show what would be deleted, and why, and delete nothing.")
    boolean dryRun;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Objects per delete request (default and maximum: aws-s3 1000, azure-blob-storage 256,"
                    + " google-cloud-storage 100).")
    Integer batchSize;

    @Option(names = {"-m", "--minimum-redundancy"}, paramLabel = "N", defaultValue = "0",
            description = "DONE backups that must remain whatever the policy says (default ${DEFAULT-VALUE}).")
    int minimumRedundancy;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "console",
            description = "console (default) or json: the plan (and with a delete, what was done) as JSON.")
    String format;

    private RetentionPolicy policy;

    @Override
    void checkInput() {
        super.checkInput();
        exactlyOneOf("--backup-id", "--retention-policy");
        if (target.retentionPolicy != null) {
            policy = RetentionPolicy.parse(target.retentionPolicy);
        }
        if (minimumRedundancy < 0) {
            throw new InvalidInputException("-m/--minimum-redundancy must be 0 or more, not " + minimumRedundancy);
        }
    }

    @Override
    int run(StoreLocation location) throws IOException {
        // every directory without backup.info is listed, -b's too: one that may be a backup still running
        // holds back the WAL clean-up (RetentionPlanner#heldBack)
        CatalogSnapshot snapshot = CatalogSnapshot.read(location.store(), location.layout());
        if (!snapshot.unreadable().isEmpty()) {
            throw new OperationFailedException("cannot read the backup.info of " + snapshot.unreadable().entrySet()
                    .stream().map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "))
                    + ": nothing deleted, since retention cannot be decided on a partial catalog; repair or remove"
                    + " that backup.info first");
        }
        Instant now = Instant.now();
        RetentionPlan plan = policy != null
                ? RetentionPlanner.byPolicy(snapshot.backups(), snapshot.incomplete(),
                        CatalogSnapshot.walListing(location.store(), location.layout()), policy, now,
                        minimumRedundancy)
                : planOne(location, snapshot, now);
        PlanExecutor executor = new PlanExecutor(location.store(), location.layout(), batchSize(), log::info,
                writes());
        if (dryRun) {
            // the delete would stop here before deleting anything; so does its dry run, with the same words
            PlanExecutor.refuseBackupsOnlyBarmanDeletes(plan);
            print(plan, executor, null);
            return ExitCodes.OK;
        }
        // -b marks its backup FAILED before deleting its objects (PlanExecutor#execute explains why)
        PlanExecutor.Outcome outcome = executor.execute(plan, policy == null);
        if (json(format)) {
            print(plan, executor, outcome);
        }
        outcome.stopped().ifPresent(log::warning);
        if (!outcome.walLeft().isEmpty()) {
            throw new OperationFailedException(walLeftMessage(outcome.walLeft()));
        }
        log.info("deleted " + outcome.backupsDeleted() + " backup(s) and " + outcome.walDeleted() + " WAL object(s)"
                + (outcome.incompleteDeleted() == 0 ? ""
                        : ", and " + outcome.incompleteDeleted() + " incomplete backup(s) without backup.info"));
        return ExitCodes.OK;
    }

    /**
     * {@code -b}: the named backup. Unlike barman-cloud (a warning and exit 0) an unknown id is exit 1,
     * so a typo in a script is noticed. The keep annotation is read again without the listing's
     * cache, as barman does. {@code wals/} is listed only once the delete is known not to be refused.
     * An id whose directory holds no backup.info (a backup killed before it finished, which barman's
     * tools cannot see) is deleted too, unless an object was written to it lately (a backup running).
     * While another such directory may be a backup still running, the WAL is left alone.
     */
    private RetentionPlan planOne(StoreLocation location, CatalogSnapshot snapshot, Instant now) throws IOException {
        for (IncompleteBackup incomplete : snapshot.incomplete()) {
            if (incomplete.id().value().equals(target.backupId)) {
                IncompleteBackup.Decision decision = incomplete.named(now);
                if (!decision.delete()) {
                    throw new OperationFailedException("backup " + incomplete.id() + " not deleted: "
                            + decision.reason());
                }
                return new RetentionPlan("-b " + incomplete.id(), List.of(), List.of(), List.of(decision));
            }
        }
        BackupCatalog catalog = new BackupCatalog(location.store(), location.layout());
        List<BackupCatalog.Entry> entries = snapshot.backups().stream()
                .map(b -> new BackupCatalog.Entry(b.id(), b.info())).toList();
        BackupCatalog.Entry wanted = catalog.resolveIn(entries, target.backupId);
        KeepAnnotations keeps = new KeepAnnotations(location.store(), location.layout());
        List<CatalogBackup> backups = new ArrayList<>();
        for (CatalogBackup b : snapshot.backups()) {
            backups.add(b.id().equals(wanted.id()) ? new CatalogBackup(b.id(), b.info(), keeps.read(b.id())) : b);
        }
        RetentionPlanner.deletable(backups, wanted.id(), minimumRedundancy);
        return RetentionPlanner.single(backups, wanted.id(), snapshot.incomplete(),
                CatalogSnapshot.walListing(location.store(), location.layout()), minimumRedundancy, now);
    }

    /**
     * The failure of a delete that left WAL behind. It must not promise a retry: a run plans WAL only
     * for the backups it deletes, and those are gone, so the WAL waits for the next deletion of the
     * oldest backup (which frees everything before the begin of the backup after it) or for a person.
     */
    static String walLeftMessage(List<String> walLeft) {
        return walLeft.size() + " WAL object(s) could not be deleted, first " + walLeft.get(0) + "; the backups are"
                + " deleted. Running the same delete again does not retry this WAL (a delete removes only the WAL"
                + " of the backups it deletes): it normally goes with the WAL freed when the oldest backup is next"
                + " deleted, or delete it by hand (--format json lists it under wal_left)";
    }

    /** {@code --batch-size} clamped to 1..the provider's maximum, as barman clamps it. */
    private int batchSize() {
        int max = switch (StoreUrl.parse(sourceUrl, storage.cloudProvider()).provider()) {
            case AZURE_BLOB_STORAGE -> 256;
            case GOOGLE_CLOUD_STORAGE -> 100;
            default -> 1000;
        };
        if (batchSize == null) {
            return max;
        }
        return Math.max(1, Math.min(max, batchSize));
    }

    private void print(RetentionPlan plan, PlanExecutor executor, PlanExecutor.Outcome outcome) throws IOException {
        if (json(format)) {
            CatalogJson.write(json(plan, executor, outcome), out());
            out().println();
        } else {
            PlanTable.print(plan, out());
        }
    }

    private Map<String, Object> json(RetentionPlan plan, PlanExecutor executor, PlanExecutor.Outcome outcome)
            throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", plan.policy());
        m.put("dry_run", dryRun);
        List<Map<String, Object>> backups = new ArrayList<>();
        for (RetentionPlan.Decision d : plan.decisions()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("backup_id", d.backup().id().value());
            b.put("backup_name", d.backup().info().backupName());
            b.put("status", d.backup().status().name());
            b.put("end_time", d.backup().info().endTime() == null ? null : d.backup().info().endTime().toString());
            b.put("keep", d.backup().keep().map(k -> k.target()).orElse(null));
            b.put("retention", d.status().label());
            b.put("reason", d.reason());
            backups.add(b);
        }
        m.put("backups", backups);
        List<Map<String, Object>> deletions = new ArrayList<>();
        for (int i = 0; i < plan.deletions().size(); i++) {
            RetentionPlan.Deletion d = plan.deletions().get(i);
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("backup_id", d.id().value());
            b.put("objects", outcome == null ? executor.objectsOf(d) : null);
            b.put("wal_reason", d.walReason());
            b.put("wal_first", d.freed().count() == 0 ? null : d.freed().first().name().name());
            b.put("wal_last", d.freed().count() == 0 ? null : d.freed().last().name().name());
            b.put("wal_count", d.freed().count());
            // listed again while written, never held; a real delete has deleted them, like "objects"
            b.put("wal_objects", outcome != null ? null
                    : d.freed().count() == 0 ? List.of() : walKeys(executor, plan, i));
            deletions.add(b);
        }
        m.put("deletions", deletions);
        List<Map<String, Object>> incomplete = new ArrayList<>();
        for (IncompleteBackup.Decision d : plan.incomplete()) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("backup_id", d.backup().id().value());
            b.put("last_written", d.backup().lastWritten().map(Instant::toString).orElse(null));
            b.put("bytes", d.backup().bytes());
            b.put("delete", d.delete());
            b.put("reason", d.reason());
            b.put("objects", d.backup().objects().stream().map(o -> o.key()).toList());
            b.put("unfinished_writes", d.backup().unfinishedWrites().stream().map(o -> o.key()).toList());
            incomplete.add(b);
        }
        m.put("incomplete", incomplete);
        if (outcome != null) {
            Map<String, Object> done = new LinkedHashMap<>();
            done.put("backups_deleted", outcome.backupsDeleted());
            done.put("objects_deleted", outcome.objectsDeleted());
            done.put("wal_deleted", outcome.walDeleted());
            done.put("wal_left", outcome.walLeft());
            done.put("incomplete_deleted", outcome.incompleteDeleted());
            outcome.stopped().ifPresent(why -> done.put("stopped", why));
            m.put("outcome", done);
        }
        return m;
    }

    /**
     * The keys of the WAL the {@code index}-th deletion frees ({@link PlanExecutor#walOf}), listed as
     * they are written out; a listing failure comes out as an {@link UncheckedIOException}.
     */
    private static Iterable<String> walKeys(PlanExecutor executor, RetentionPlan plan, int index) {
        return () -> {
            try {
                BlobIterator wal = executor.walOf(plan, index);
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        try {
                            return wal.hasNext();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }

                    @Override
                    public String next() {
                        try {
                            return wal.next().key();
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    public static void main(String[] args) {
        System.exit(run(new BackupDeleteCommand(), args));
    }
}
