package io.cumulus.core.retention;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Decides what a delete removes, exactly as barman-cloud-backup-delete decides it (reference §6),
 * from the catalog and the WAL listing alone: no store access, so every decision can be pinned by a
 * test. {@link #byPolicy} is {@code -r}, {@link #single} is {@code -b}.
 *
 * <p>Backups are deleted oldest first; after each, the WAL it alone needed is chosen with the catalog
 * as it stands at that moment (the deleted backup still in it, the ones deleted before gone), as
 * barman does, so the WAL chosen is the same.
 */
public final class RetentionPlanner {

    private RetentionPlanner() {
    }

    /**
     * The plan of {@code -r policy}, a recovery window counted on this machine's wall clock (its
     * default time zone), as barman counts it.
     *
     * @param catalog every readable backup, any order
     * @param wal every object under {@code wals/} (non-WAL objects already left out), any order; the
     *     plan holds the objects each deletion frees ({@link RetentionPlan.Deletion#wal()})
     * @param now the current time; the recovery window ends there
     * @param minimumRedundancy {@code -m}: DONE backups that must remain
     * @throws InvalidInputException when {@code minimumRedundancy} is negative
     * @throws OperationFailedException when a DONE backup has no end time, so a window cannot place it
     */
    public static RetentionPlan byPolicy(Collection<CatalogBackup> catalog, Collection<WalObject> wal,
                                         RetentionPolicy policy, Instant now, int minimumRedundancy)
            throws OperationFailedException {
        return byPolicy(catalog, List.of(), wal, policy, now, minimumRedundancy);
    }

    /**
     * As {@link #byPolicy(Collection, Collection, RetentionPolicy, Instant, int)}, deciding also the fate of
     * the directories without backup.info ({@link IncompleteBackup#underPolicy}): while one is kept as
     * possibly a backup still running, no WAL is deleted ({@link #heldBack}).
     *
     * @param incomplete the directories under {@code base/} with objects but no backup.info
     */
    public static RetentionPlan byPolicy(Collection<CatalogBackup> catalog, List<IncompleteBackup> incomplete,
            Collection<WalObject> wal, RetentionPolicy policy, Instant now, int minimumRedundancy)
            throws OperationFailedException {
        return held(() -> byPolicy(catalog, incomplete, wal::forEach, true, policy,
                now.atZone(ZoneId.systemDefault()), minimumRedundancy));
    }

    /**
     * The plan of {@code -r policy}, a recovery window counted on the wall clock of {@code now}'s zone
     * ({@link RetentionPolicy.RecoveryWindow#start}).
     *
     * @see #byPolicy(Collection, Collection, RetentionPolicy, Instant, int)
     */
    public static RetentionPlan byPolicy(Collection<CatalogBackup> catalog, Collection<WalObject> wal,
                                         RetentionPolicy policy, ZonedDateTime now, int minimumRedundancy)
            throws OperationFailedException {
        return held(() -> byPolicy(catalog, List.of(), wal::forEach, true, policy, now, minimumRedundancy));
    }

    /**
     * As {@link #byPolicy(Collection, List, Collection, RetentionPolicy, Instant, int)}, deciding each WAL
     * object as {@code wal} hands it over: the plan holds, per deletion, only how many objects it
     * frees and the first and last ({@link FreedWal}), so a listing of any length fits the heap.
     */
    public static RetentionPlan byPolicy(Collection<CatalogBackup> catalog, List<IncompleteBackup> incomplete,
            CatalogSnapshot.WalListing wal, RetentionPolicy policy, Instant now, int minimumRedundancy)
            throws IOException {
        return byPolicy(catalog, incomplete, wal, false, policy, now.atZone(ZoneId.systemDefault()),
                minimumRedundancy);
    }

    private static RetentionPlan byPolicy(Collection<CatalogBackup> catalog, List<IncompleteBackup> incomplete,
            CatalogSnapshot.WalListing wal, boolean hold, RetentionPolicy policy, ZonedDateTime now,
            int minimumRedundancy) throws IOException {
        checkMinimum(minimumRedundancy);
        List<CatalogBackup> newestFirst = new ArrayList<>(catalog);
        newestFirst.sort(Collections.reverseOrder());
        List<RetentionPlan.Decision> decisions;
        if (policy instanceof RetentionPolicy.Redundancy r) {
            decisions = redundancy(newestFirst, r, minimumRedundancy);
        } else {
            decisions = window(newestFirst, (RetentionPolicy.RecoveryWindow) policy, now, minimumRedundancy);
        }
        Collections.reverse(decisions);
        List<CatalogBackup> obsolete = decisions.stream().filter(d -> d.status() == RetentionStatus.OBSOLETE)
                .map(RetentionPlan.Decision::backup).toList();
        String description = policy + (minimumRedundancy > 0 ? " (minimum redundancy " + minimumRedundancy + ")" : "");
        List<IncompleteBackup.Decision> fates = fates(incomplete, catalog, now.toInstant());
        return new RetentionPlan(description, decisions,
                deletions(catalog, wal, hold, obsolete, false, mayBeRunning(fates)), fates);
    }

    /**
     * The plan of {@code -b id}: that backup, with barman's rule that WAL is left alone when only
     * {@code keep:standalone} backups precede it. The plan holds the WAL objects its deletion frees.
     *
     * @throws OperationFailedException when the backup is kept, or when deleting a DONE backup would
     *     leave fewer than {@code minimumRedundancy} DONE backups
     */
    public static RetentionPlan single(Collection<CatalogBackup> catalog, BackupId id, Collection<WalObject> wal,
                                       int minimumRedundancy) throws OperationFailedException {
        return single(catalog, id, List.of(), wal, minimumRedundancy, Instant.now());
    }

    /**
     * As {@link #single(Collection, BackupId, Collection, int)}; while a directory of {@code incomplete} may
     * be a backup still running (one a policy would keep, {@link IncompleteBackup#underPolicy} at {@code
     * now}), no WAL is deleted ({@link #heldBack}). The plan does not decide those directories' fate.
     */
    public static RetentionPlan single(Collection<CatalogBackup> catalog, BackupId id, List<IncompleteBackup> incomplete,
            Collection<WalObject> wal, int minimumRedundancy, Instant now) throws OperationFailedException {
        return held(() -> single(catalog, id, incomplete, wal::forEach, true, minimumRedundancy, now));
    }

    /** As {@link #single(Collection, BackupId, List, Collection, int, Instant)}, streaming {@code wal} as {@link #byPolicy} does. */
    public static RetentionPlan single(Collection<CatalogBackup> catalog, BackupId id, List<IncompleteBackup> incomplete,
            CatalogSnapshot.WalListing wal, int minimumRedundancy, Instant now) throws IOException {
        return single(catalog, id, incomplete, wal, false, minimumRedundancy, now);
    }

    private static RetentionPlan single(Collection<CatalogBackup> catalog, BackupId id, List<IncompleteBackup> incomplete,
            CatalogSnapshot.WalListing wal, boolean hold, int minimumRedundancy, Instant now) throws IOException {
        CatalogBackup backup = deletable(catalog, id, minimumRedundancy);
        String reason = backup.status() == BackupStatus.DONE ? "named by -b" : "named by -b (status " + backup.status() + ")";
        RetentionPlan.Decision decision = new RetentionPlan.Decision(backup, RetentionStatus.OBSOLETE, reason);
        return new RetentionPlan("-b " + id, List.of(decision),
                deletions(catalog, wal, hold, List.of(backup), true, mayBeRunning(fates(incomplete, catalog, now))));
    }

    /** What becomes of each directory without backup.info, at {@code now} ({@link IncompleteBackup#underPolicy}). */
    private static List<IncompleteBackup.Decision> fates(List<IncompleteBackup> incomplete,
            Collection<CatalogBackup> catalog, Instant now) {
        return incomplete.stream().map(i -> i.underPolicy(catalog, now)).toList();
    }

    /** The directories without backup.info kept as possibly a backup still running, oldest first. */
    private static List<BackupId> mayBeRunning(List<IncompleteBackup.Decision> fates) {
        return fates.stream().filter(f -> !f.delete()).map(f -> f.backup().id()).sorted().toList();
    }

    /** A plan from a listing held in memory, which cannot fail with an IOException. */
    private static RetentionPlan held(PlanFromMemory plan) throws OperationFailedException {
        try {
            return plan.make();
        } catch (OperationFailedException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    private interface PlanFromMemory {
        RetentionPlan make() throws IOException;
    }

    /**
     * The backup {@code -b id} would delete, after the checks {@link #single} makes before it plans
     * anything: so a caller can refuse a delete before it lists {@code wals/}.
     *
     * @throws OperationFailedException when the backup is not in the catalog, is kept, or when deleting
     *     a DONE backup would leave fewer than {@code minimumRedundancy} DONE backups
     */
    public static CatalogBackup deletable(Collection<CatalogBackup> catalog, BackupId id, int minimumRedundancy)
            throws OperationFailedException {
        checkMinimum(minimumRedundancy);
        CatalogBackup backup = catalog.stream().filter(b -> b.id().equals(id)).findFirst()
                .orElseThrow(() -> new OperationFailedException("backup " + id + " is not in the catalog"));
        if (backup.keep().isPresent()) {
            throw new OperationFailedException("backup " + id + " is kept (keep:" + backup.keep().get().target()
                    + "): nothing deleted; release it first with cumulus-backup-keep --release if it really must go");
        }
        long done = catalog.stream().filter(b -> b.status() == BackupStatus.DONE).count();
        if (backup.status() == BackupStatus.DONE && done - 1 < minimumRedundancy) {
            throw new OperationFailedException("deleting backup " + id + " would leave " + (done - 1)
                    + " DONE backup(s), fewer than the minimum redundancy of " + minimumRedundancy + ": nothing deleted");
        }
        return backup;
    }

    private static void checkMinimum(int minimumRedundancy) {
        if (minimumRedundancy < 0) {
            throw new InvalidInputException("-m/--minimum-redundancy must be 0 or more, not " + minimumRedundancy);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Backups (reference §6.3)

    private static List<RetentionPlan.Decision> redundancy(List<CatalogBackup> newestFirst,
            RetentionPolicy.Redundancy policy, int minimumRedundancy) {
        int redundancy = Math.max(policy.copies(), minimumRedundancy);
        String copies = redundancy == policy.copies() ? Integer.toString(redundancy)
                : redundancy + " (the minimum redundancy)";
        List<RetentionPlan.Decision> result = new ArrayList<>();
        int counted = 0;
        for (CatalogBackup b : newestFirst) {
            if (b.status() != BackupStatus.DONE) {
                result.add(notDone(b));
                continue;
            }
            counted++;
            Optional<RetentionPlan.Decision> kept = kept(b, "counts toward the redundancy of " + copies);
            if (kept.isPresent()) {
                result.add(kept.get());
            } else if (counted <= redundancy) {
                result.add(new RetentionPlan.Decision(b, RetentionStatus.VALID,
                        "DONE backup " + counted + " of the " + copies + " newest to keep"));
            } else {
                result.add(new RetentionPlan.Decision(b, RetentionStatus.OBSOLETE,
                        "older than the " + copies + " newest DONE backups"));
            }
        }
        return result;
    }

    private static List<RetentionPlan.Decision> window(List<CatalogBackup> newestFirst,
            RetentionPolicy.RecoveryWindow policy, ZonedDateTime now, int minimumRedundancy)
            throws OperationFailedException {
        Instant point = policy.start(now);
        String pointText = OffsetDateTime.ofInstant(point, ZoneOffset.UTC).toString();
        List<RetentionPlan.Decision> result = new ArrayList<>();
        boolean found = false;
        int valid = 0;
        for (CatalogBackup b : newestFirst) {
            if (b.status() != BackupStatus.DONE) {
                result.add(notDone(b));
                continue;
            }
            if (found) {
                if (valid < minimumRedundancy) {
                    result.add(kept(b, "older than the window, and one of the minimum redundancy of "
                            + minimumRedundancy).orElse(new RetentionPlan.Decision(b,
                            RetentionStatus.POTENTIALLY_OBSOLETE, "older than the window, kept for the minimum"
                                    + " redundancy of " + minimumRedundancy)));
                    valid++;
                } else {
                    result.add(kept(b, "older than the window").orElse(new RetentionPlan.Decision(b,
                            RetentionStatus.OBSOLETE, "older than the backup the window starts from")));
                }
            } else {
                if (b.info().endTime() == null) {
                    throw new OperationFailedException("backup " + b.id() + " is DONE but its backup.info has no"
                            + " end_time, so the recovery window cannot place it: nothing deleted");
                }
                boolean before = b.info().endTime().toInstant().isBefore(point);
                String why = before ? "ended before " + pointText + ": the base for recovery to the window's start"
                        : "ended inside the window (after " + pointText + ")";
                result.add(kept(b, why).orElse(new RetentionPlan.Decision(b, RetentionStatus.VALID, why)));
                valid++;
                found = before;
            }
        }
        return result;
    }

    private static RetentionPlan.Decision notDone(CatalogBackup b) {
        return new RetentionPlan.Decision(b, RetentionStatus.NONE,
                "status " + b.status() + ": only DONE backups are subject to retention; never deleted by a policy");
    }

    private static Optional<RetentionPlan.Decision> kept(CatalogBackup b, String also) {
        if (b.keep().isEmpty()) {
            return Optional.empty();
        }
        RetentionStatus status = b.keep().get() == Keep.STANDALONE ? RetentionStatus.KEEP_STANDALONE
                : RetentionStatus.KEEP_FULL;
        return Optional.of(new RetentionPlan.Decision(b, status,
                "kept (keep:" + b.keep().get().target() + "), never deleted; " + also));
    }

    // ---------------------------------------------------------------------------------------------
    // WAL (reference §6.4)

    /**
     * Each deletion's rule, decided on the catalog alone, then one pass over the WAL listing that gives
     * every object to the first deletion whose rule frees it: as barman, which takes the WAL chosen
     * after one deletion out of the listing the next one sees.
     */
    private static List<RetentionPlan.Deletion> deletions(Collection<CatalogBackup> catalog,
            CatalogSnapshot.WalListing wal, boolean hold, List<CatalogBackup> toDelete,
            boolean skipWalCleanupIfStandalone, List<BackupId> running) throws IOException {
        TreeMap<BackupId, CatalogBackup> available = new TreeMap<>();
        catalog.forEach(b -> available.put(b.id(), b));
        List<CatalogBackup> ordered = toDelete.stream().sorted().toList();
        List<WalRule> rules = new ArrayList<>();
        for (CatalogBackup deleted : ordered) {
            rules.add(heldBack(walRule(available, deleted, skipWalCleanupIfStandalone), running));
            available.remove(deleted.id());
        }
        List<Sweep> sweeps = new ArrayList<>();
        rules.forEach(r -> sweeps.add(new Sweep(hold)));
        if (rules.stream().anyMatch(r -> r.limit() != null)) {
            wal.forEach(w -> {
                for (int i = 0; i < rules.size(); i++) {
                    if (rules.get(i).frees(w.name())) {
                        sweeps.get(i).add(w);
                        return;
                    }
                }
            });
        }
        List<RetentionPlan.Deletion> result = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            result.add(new RetentionPlan.Deletion(ordered.get(i), rules.get(i), sweeps.get(i).freed()));
        }
        return result;
    }

    /** What one deletion frees, gathered as the listing goes by. */
    private static final class Sweep {
        private final List<WalObject> held;
        private long count;
        private WalObject first;
        private WalObject last;
        private String lastListed;

        Sweep(boolean hold) {
            held = hold ? new ArrayList<>() : null;
        }

        void add(WalObject w) {
            count++;
            first = first == null || w.compareTo(first) < 0 ? w : first;
            last = last == null || w.compareTo(last) > 0 ? w : last;
            lastListed = lastListed == null || BlobStore.KEY_ORDER.compare(w.key(), lastListed) > 0 ? w.key() : lastListed;
            if (held != null) {
                held.add(w);
            }
        }

        FreedWal freed() {
            if (held != null) {
                held.sort(null);
            }
            return new FreedWal(count, first, last, lastListed, Optional.ofNullable(held));
        }
    }

    /**
     * {@code rule}, or none at all while a directory without backup.info may be a backup still running:
     * it began before its id's directory got anything a listing shows, so the WAL it needs from its begin
     * is not known until its backup.info is stored, and the begin of a backup DONE meanwhile (which a
     * rule frees up to) can lie after it. That WAL is not lost to a later delete: the next deletion of the
     * oldest backup frees everything before the begin of the backup after it.
     */
    private static WalRule heldBack(WalRule rule, List<BackupId> running) {
        if (rule.limit() == null || running.isEmpty()) {
            return rule;
        }
        String ids = running.size() == 1 ? running.get(0) + " may be a backup"
                : running.stream().map(BackupId::value).collect(Collectors.joining(", "))
                        + " may be backups";
        return WalRule.none("no WAL deleted: " + ids + " still running (no backup.info yet, so the WAL it needs"
                + " is not known); the WAL before " + rule.limit() + " goes with a later delete of the oldest backup");
    }

    private static WalRule walRule(TreeMap<BackupId, CatalogBackup> available, CatalogBackup deleted,
            boolean skipWalCleanupIfStandalone) {
        List<WalRule.Range> protectedRanges = new ArrayList<>();
        CatalogBackup previous = previous(available, deleted.id());
        while (previous != null) {
            if (!previous.isKept(Keep.STANDALONE)) {
                String what = previous.keep().isPresent() ? "kept (keep:full) " : "";
                return WalRule.none("no WAL removed: the " + what + "backup "
                        + previous.id() + " before it still needs it for point-in-time recovery");
            }
            if (skipWalCleanupIfStandalone) {
                return WalRule.none("no WAL removed: the backup " + previous.id()
                        + " before it is keep:standalone (as barman-cloud, -b leaves WAL alone then)");
            }
            if (previous.info().beginWal() == null || previous.info().endWal() == null) {
                return WalRule.none("no WAL removed: the keep:standalone backup " + previous.id() + " before it has"
                        + " no begin_wal or end_wal, so the WAL it needs cannot be told");
            }
            protectedRanges.add(new WalRule.Range(previous.info().beginWal(), previous.info().endWal()));
            previous = previous(available, previous.id());
        }
        CatalogBackup next = next(available, deleted.id());
        CatalogBackup removeUntil = next != null ? next : deleted;
        String limit = removeUntil.info().beginWal();
        if (limit == null) {
            return WalRule.none("no WAL removed: backup " + removeUntil.id() + " has no begin_wal");
        }
        // Backup ids are local wall-clock times: after a clock set back (the end of daylight saving, backups
        // taken under two time zones) a later backup has a smaller id, and a backup that stays may begin
        // before the next one by id. Its WAL is never freed (barman-cloud frees it: the backup is lost).
        CatalogBackup earlier = earliestBeginning(available, deleted, limit);
        if (earlier != null) {
            limit = earlier.info().beginWal();
        }
        // Every timeline with a backup but the one of removeUntil. barman's get_timelines_to_protect
        // means to leave out the deleted backup, but barman-cloud compares it with a copy read again
        // from the bucket, never equal, so its timeline is protected too: when the next backup is on
        // another timeline, the deleted one's WAL stays until a later deletion. Cumulus keeps it as
        // barman-cloud does (it deletes no more than barman-cloud).
        java.util.TreeMap<Long, List<String>> onTimeline = new java.util.TreeMap<>();
        for (CatalogBackup b : available.values()) {
            if (b.info().timeline() != null) {
                onTimeline.computeIfAbsent(b.info().timeline().longValue(), t -> new ArrayList<>())
                        .add(b == deleted ? "this backup, whose timeline barman-cloud keeps"
                                : b.status().isCopyDone() ? "backup " + b.id()
                                : b.status() + " backup " + b.id() + ", which -b deletes");
            }
        }
        if (removeUntil.info().timeline() != null) {
            onTimeline.remove(removeUntil.info().timeline().longValue());
        }
        Set<Long> protectedTimelines = new HashSet<>(onTimeline.keySet());
        StringBuilder why = new StringBuilder("WAL before ").append(limit);
        if (earlier != null) {
            why.append(" (the begin of backup ").append(earlier.id()).append(", which began before ")
                    .append(next != null ? "the next backup by id, " + removeUntil.id() : "this one")
                    .append(": backup ids are out of start order, a clock was set back)");
        } else {
            why.append(next != null ? " (the begin of the next backup " + next.id() + ")"
                    : " (its own begin: no backup after it)");
        }
        onTimeline.forEach((timeline, backups) -> why.append(", except timeline ").append(timeline)
                .append(" (on it: ").append(String.join("; ", backups.size() > 3 ? backups.subList(0, 3) : backups))
                .append(backups.size() > 3 ? "; " + (backups.size() - 3) + " more" : "").append(")"));
        for (WalRule.Range r : protectedRanges) {
            why.append(", except ").append(r.begin()).append("..").append(r.end()).append(" of a keep:standalone backup");
        }
        return new WalRule(limit, protectedTimelines, protectedRanges, why.toString());
    }

    /**
     * The backup staying after {@code deleted} by id (copy finished, on {@code limit}'s timeline) whose
     * begin_wal is the earliest before {@code limit}, or null: a backup whose id does not follow its
     * start. (Those before it by id are the walk of {@link #previous}'s.)
     */
    private static CatalogBackup earliestBeginning(TreeMap<BackupId, CatalogBackup> available, CatalogBackup deleted,
            String limit) {
        CatalogBackup earliest = null;
        for (CatalogBackup b : available.tailMap(deleted.id(), false).values()) {
            String begin = b.info().beginWal();
            if (!b.status().isCopyDone() || begin == null || begin.length() < 8
                    || !begin.regionMatches(0, limit, 0, 8) || begin.compareTo(limit) >= 0) {
                continue;
            }
            if (earliest == null || begin.compareTo(earliest.info().beginWal()) < 0) {
                earliest = b;
            }
        }
        return earliest;
    }

    /** The newest backup before {@code id} whose copy finished (DONE or WAITING_FOR_WALS). */
    private static CatalogBackup previous(TreeMap<BackupId, CatalogBackup> available, BackupId id) {
        for (CatalogBackup b : available.headMap(id, false).descendingMap().values()) {
            if (b.status().isCopyDone()) {
                return b;
            }
        }
        return null;
    }

    /** The oldest backup after {@code id} whose copy finished. */
    private static CatalogBackup next(TreeMap<BackupId, CatalogBackup> available, BackupId id) {
        for (CatalogBackup b : available.tailMap(id, false).values()) {
            if (b.status().isCopyDone()) {
                return b;
            }
        }
        return null;
    }

}
