package io.cumulus.core.check;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.restore.BaseRestore;
import io.cumulus.core.restore.RestoreListener;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The catalog checks of {@code cumulus-check}: the newest DONE backup cumulus-restore can restore is
 * younger than a maximum age and no newer backup FAILED, and there are at least a minimum number of
 * such backups, none of them one cumulus-restore would refuse. Only the backups of the running
 * cluster's database system count ({@link SystemIdentifierCheck}). A backup's age runs from its
 * end_time. A DONE backup cumulus-restore would refuse is named but not counted: a snapshot or
 * incremental backup ({@link BackupInfo#unrestorableReason}), or one whose archives are not all in
 * the store ({@link BaseRestore#checkStored}); a monitor that counts it says a restore is possible
 * when cumulus-restore would refuse it.
 */
public final class BackupFreshness {

    private static final String AGE = "backup age";
    private static final String COUNT = "backup count";

    private final List<CatalogBackup> backups;
    private final long otherSystem;
    private final int withoutInfo;
    private final Map<BackupId, String> refused;

    /**
     * @param backups the backups whose backup.info could be read, oldest first
     * @param withoutInfo how many directories under base/ hold no backup.info (a backup running, or one
     *     killed before it stored any, which no listing shows): named, never counted
     * @param system the cluster's system identifier when known: the DONE backups of another system are
     *     left out, and only counted apart
     * @param refused the DONE backups whose stored archives cumulus-restore would refuse, with its reason
     */
    public BackupFreshness(List<CatalogBackup> backups, int withoutInfo, Optional<String> system,
            Map<BackupId, String> refused) {
        this.backups = backups.stream().filter(b -> ofSystem(b, system)).sorted().toList();
        this.otherSystem = backups.stream().filter(b -> b.status() == BackupStatus.DONE && !ofSystem(b, system))
                .count();
        this.withoutInfo = withoutInfo;
        this.refused = Map.copyOf(refused);
    }

    /**
     * The catalog checks' view of {@code backups}, with the directory of each DONE backup of this
     * system whose kind cumulus-restore restores listed as cumulus-restore lists it before it writes
     * anything (one LIST per backup, as many requests as reading their backup.info took).
     *
     * @throws IOException when a directory cannot be listed
     */
    public static BackupFreshness read(BlobStore store, ServerLayout layout, List<CatalogBackup> backups,
            int withoutInfo, Optional<String> system) throws IOException {
        BaseRestore restore = new BaseRestore(store, layout, 1, RestoreListener.NONE);
        Map<BackupId, String> refused = new TreeMap<>();
        for (CatalogBackup b : backups) {
            if (b.status() == BackupStatus.DONE && b.info().unrestorableKind().isEmpty() && ofSystem(b, system)) {
                try {
                    restore.checkStored(new BackupCatalog.Entry(b.id(), b.info()));
                } catch (OperationFailedException e) {
                    refused.put(b.id(), e.getMessage());
                }
            }
        }
        return new BackupFreshness(backups, withoutInfo, system, refused);
    }

    private static boolean ofSystem(CatalogBackup b, Optional<String> system) {
        return system.isEmpty() || SystemIdentifierCheck.isOf(b.info(), system.get());
    }

    /** The backups of this cluster's database system (all of them when it is not known), oldest first. */
    public List<CatalogBackup> ofThisSystem() {
        return backups;
    }

    /** The age of the newest DONE backup cumulus-restore can restore at {@code now}, or empty when there is none. */
    public Optional<Duration> newestAge(OffsetDateTime now) {
        return newestRestorable().map(newest -> Duration.between(newest.info().endTime(), now));
    }

    /** The number of DONE backups cumulus-restore can restore. */
    public long restorableDone() {
        return backups.stream().filter(this::restorableDone).count();
    }

    private Optional<CatalogBackup> newestRestorable() {
        return backups.stream()
                .filter(b -> restorableDone(b) && b.info().endTime() != null)
                .max(Comparator.comparing(b -> b.info().endTime()));
    }

    private boolean restorableDone(CatalogBackup b) {
        return b.status() == BackupStatus.DONE && b.info().unrestorableKind().isEmpty() && !refused.containsKey(b.id());
    }

    /** The DONE backups cumulus-restore cannot restore, each as why: its kind, or its refusal. */
    private List<String> unrestorableDone() {
        List<String> reasons = new ArrayList<>();
        for (CatalogBackup b : backups) {
            if (b.status() == BackupStatus.DONE) {
                b.info().unrestorableKind().or(() -> Optional.ofNullable(refused.get(b.id()))).ifPresent(reasons::add);
            }
        }
        return reasons;
    }

    /** ", N more that cumulus-restore cannot restore (a snapshot backup, ...), N more of another ...", or nothing. */
    private String notCounted() {
        List<String> skipped = unrestorableDone();
        StringBuilder note = new StringBuilder();
        if (!skipped.isEmpty()) {
            note.append(", ").append(skipped.size()).append(" more that cumulus-restore cannot restore (")
                    .append(String.join(", ", skipped)).append(')');
        }
        if (otherSystem > 0) {
            note.append(", ").append(otherSystem).append(" more of another database system (see ")
                    .append(SystemIdentifierCheck.NAME).append(')');
        }
        return note.toString();
    }

    /**
     * Whether the newest DONE backup cumulus-restore can restore ended less than {@code maxAge} before
     * {@code now}, and the newest finished backup is not a FAILED one: a nightly backup that fails
     * every night would otherwise be silent until the last DONE one is {@code maxAge} old. A backup
     * still running has no backup.info and is not seen here.
     */
    public CheckResult age(OffsetDateTime now, Duration maxAge) {
        Optional<Duration> age = newestAge(now);
        String skipped = notCounted();
        String newest = age.isEmpty() ? "no DONE backup in the catalog" + (skipped.isEmpty() ? ""
                : " that cumulus-restore can restore (" + skipped.substring(2) + ")")
                : "the newest DONE backup" + (skipped.isEmpty() ? "" : " cumulus-restore can restore") + " is "
                        + Durations.format(age.get()) + " old";
        Optional<CatalogBackup> failed = backups.stream()
                .filter(b -> b.status() == BackupStatus.DONE || b.status() == BackupStatus.FAILED)
                .max(Comparator.naturalOrder()).filter(b -> b.status() == BackupStatus.FAILED);
        if (failed.isPresent()) {
            String error = failed.get().info().error();
            return CheckResult.failed(AGE, "the newest backup " + failed.get().id() + " FAILED ("
                    + (error == null || error.isBlank() ? "no error recorded" : error) + "); " + newest
                    + (age.isEmpty() ? "" : skipped),
                    "see why cumulus-backup failed (the error here, its log, cron mail; cumulus-backup-show "
                            + failed.get().id() + "), correct it and take a backup: the line is OK again once a"
                            + " newer backup is DONE");
        }
        if (age.isEmpty()) {
            return CheckResult.failed(AGE, newest, "take a base backup with cumulus-backup and schedule it (cron,"
                    + " systemd timer)");
        }
        if (age.get().compareTo(maxAge) > 0) {
            return CheckResult.failed(AGE, newest + ", more than --max-backup-age " + Durations.format(maxAge) + skipped,
                    "see why the scheduled cumulus-backup did not run or failed (its log, cron mail;"
                            + " cumulus-backup-list --format json lists FAILED backups too), then take a backup");
        }
        return CheckResult.ok(AGE, newest + " (max " + Durations.format(maxAge) + ")" + skipped);
    }

    /**
     * Whether there are at least {@code minimum} DONE backups cumulus-restore can restore, and no DONE
     * backup whose stored archives it would refuse (objects lost from the store). The message also
     * counts the DONE ones it cannot restore, those of another database system, the FAILED ones and
     * the directories without backup.info, none of which counts.
     */
    public CheckResult count(int minimum) {
        long done = restorableDone();
        long failed = backups.stream().filter(b -> b.status() == BackupStatus.FAILED).count();
        List<String> notes = new ArrayList<>();
        if (failed > 0) {
            notes.add(failed + " FAILED");
        }
        if (withoutInfo > 0) {
            notes.add(withoutInfo + " without backup.info: running, or killed; cumulus-backup-delete -r removes"
                    + " dead ones");
        }
        String found = done + " DONE backup(s)" + notCounted() + (notes.isEmpty() ? "" : " (" + String.join(", ", notes)
                + ")");
        List<String> fixes = new ArrayList<>();
        if (!refused.isEmpty()) {
            String ids = String.join(", ", refused.keySet().stream().map(BackupId::value).toList());
            fixes.add("cumulus-restore refuses " + ids + " for the reason shown: put back what is missing (object"
                    + " versioning, a copy) or delete the backup (cumulus-backup-delete -b ID), and take a new backup");
        }
        if (done < minimum) {
            found += ", fewer than --min-backups " + minimum;
            fixes.add("take backups with cumulus-backup; if old ones were deleted, check the retention policy");
        }
        if (!fixes.isEmpty()) {
            return CheckResult.failed(COUNT, found, String.join("; ", fixes));
        }
        return CheckResult.ok(COUNT, found + " (min " + minimum + ")");
    }
}
