package io.cumulus.core.retention;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.wal.WalName;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a delete will do, decided before anything is removed: every backup's status under the policy
 * and why, then the backups to delete in order, each followed by the WAL its deletion frees.
 *
 * @param policy the policy, or {@code -b <id>} for a single backup
 * @param decisions one per backup considered, oldest first
 * @param deletions the backups to delete, in the order they are deleted (oldest first)
 * @param incomplete the fate of each directory with no backup.info ({@link IncompleteBackup}), oldest
 *     first; those to delete go after the deletions
 */
public record RetentionPlan(String policy, List<Decision> decisions, List<Deletion> deletions,
                            List<IncompleteBackup.Decision> incomplete) {

    public RetentionPlan {
        Objects.requireNonNull(policy, "policy");
        decisions = List.copyOf(decisions);
        deletions = List.copyOf(deletions);
        incomplete = List.copyOf(incomplete);
    }

    public RetentionPlan(String policy, List<Decision> decisions, List<Deletion> deletions) {
        this(policy, decisions, deletions, List.of());
    }

    /** The directories without backup.info that the delete removes, oldest first. */
    public List<IncompleteBackup> incompleteToDelete() {
        return incomplete.stream().filter(IncompleteBackup.Decision::delete).map(IncompleteBackup.Decision::backup)
                .toList();
    }

    /**
     * One backup's fate.
     *
     * @param backup the backup as the catalog holds it
     * @param status its status under the policy; only {@link RetentionStatus#OBSOLETE} is deleted
     * @param reason why, in words a DBA reads
     */
    public record Decision(CatalogBackup backup, RetentionStatus status, String reason) {
        public Decision {
            Objects.requireNonNull(backup, "backup");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * One backup to delete, and the WAL cleaned up after it (reference §6.4).
     *
     * @param backup the backup
     * @param walRule which WAL its deletion frees, and why
     * @param freed what the WAL listing held of that WAL; an object that an earlier deletion of the
     *     plan frees too goes with that earlier one
     */
    public record Deletion(CatalogBackup backup, WalRule walRule, FreedWal freed) {
        public Deletion {
            Objects.requireNonNull(backup, "backup");
            Objects.requireNonNull(walRule, "walRule");
            Objects.requireNonNull(freed, "freed");
        }

        public BackupId id() {
            return backup.id();
        }

        /** Why that WAL may go, or why none may. */
        public String walReason() {
            return walRule.reason();
        }

        /**
         * The WAL objects deleted after the backup's own objects, sorted by key.
         *
         * @throws IllegalStateException when the plan was made from a streamed listing, which holds
         *     only {@link #freed()}'s count and ends
         */
        public List<WalObject> wal() {
            return freed.objects().orElseThrow(() -> new IllegalStateException("the plan of " + id()
                    + " was made from a streamed WAL listing: it holds only a count and the first and last WAL"));
        }
    }

    /** The ids of the backups to delete, in order. */
    public List<BackupId> backupsToDelete() {
        return deletions.stream().map(Deletion::id).toList();
    }

    /**
     * The position in {@link #deletions()} of the deletion that frees {@code wal} (the first whose
     * rule frees it: a later one finds it gone), or -1 when none does.
     */
    public int freedBy(WalName wal) {
        for (int i = 0; i < deletions.size(); i++) {
            if (deletions.get(i).walRule().frees(wal)) {
                return i;
            }
        }
        return -1;
    }

    /** Every WAL object to delete, in the order they are deleted (only of a plan made from a held listing). */
    public List<WalObject> walToDelete() {
        return deletions.stream().flatMap(d -> d.wal().stream()).toList();
    }

    /** The decision for {@code id}, if it was considered. */
    public Optional<Decision> decision(BackupId id) {
        return decisions.stream().filter(d -> d.backup().id().equals(id)).findFirst();
    }
}
