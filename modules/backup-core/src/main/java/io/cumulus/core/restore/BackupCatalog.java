package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Finds the backup a user means by an id, a backup name or a shortcut ({@code latest}, {@code last},
 * {@code oldest}, {@code first}, {@code last-failed}), reading the backup.info objects under
 * {@code base/} as barman-cloud does (reference §2.2): a directory without backup.info is an
 * unfinished backup and is ignored.
 */
public final class BackupCatalog {

    /** A backup and its metadata. */
    public record Entry(BackupId id, BackupInfo info) {
    }

    /**
     * What a listing of the catalog found.
     *
     * @param entries the backups whose backup.info could be read, oldest first
     * @param unreadable the backups whose backup.info exists but cannot be read, with why, oldest first
     * @param incomplete the directories named as backups that hold no backup.info (a backup running, or
     *     one killed before it could write even a FAILED backup.info), oldest first
     */
    public record Scan(List<Entry> entries, Map<BackupId, String> unreadable, List<BackupId> incomplete) {
        public Scan {
            entries = List.copyOf(entries);
            unreadable = Collections.unmodifiableMap(new TreeMap<>(unreadable));
            incomplete = incomplete.stream().sorted().toList();
        }
    }

    private final BlobStore store;
    private final ServerLayout layout;

    public BackupCatalog(BlobStore store, ServerLayout layout) {
        this.store = store;
        this.layout = layout;
    }

    /**
     * The backup {@code wanted} designates. An id is read directly; a name or a shortcut is looked up
     * among the backups whose backup.info can be read, each one that cannot being passed to {@code
     * warnings} (naming it) and left out, as barman does: a restore of {@code latest} must not choose an
     * older backup without the DBA seeing why.
     *
     * @throws OperationFailedException when no backup, or several backups with that name, match
     * @throws IOException naming the backup, when the backup with id {@code wanted} has a backup.info
     *     that cannot be read
     */
    public Entry resolve(String wanted, Consumer<String> warnings) throws IOException {
        return resolve(wanted, warnings, false);
    }

    /**
     * As {@link #resolve}, for cumulus-restore: {@code latest} and {@code last} mean the newest DONE
     * backup it can restore ({@link BackupInfo#unrestorableReason}), each newer one it skips passed to {@code
     * warnings} with why. A backup asked for by id or name is returned as it is, for the restore to
     * refuse by name.
     */
    public Entry resolveForRestore(String wanted, Consumer<String> warnings) throws IOException {
        return resolveForRestore(wanted, RecoveryTimeline.any(), warnings);
    }

    /**
     * As {@link #resolveForRestore(String, Consumer)}, {@code latest} and {@code last} choosing among
     * the backups a recovery along {@code timelines} can start from: after a failover, the old
     * primary's backup taken past the fork is newer than the new primary's, and PostgreSQL, recovering
     * to the latest timeline, refuses it ("requested timeline is not a child of this server's history").
     */
    public Entry resolveForRestore(String wanted, RecoveryTimeline timelines, Consumer<String> warnings)
            throws IOException {
        return resolve(wanted, warnings, true, timelines);
    }

    private Entry resolve(String wanted, Consumer<String> warnings, boolean restorable) throws IOException {
        return resolve(wanted, warnings, restorable, RecoveryTimeline.any());
    }

    private Entry resolve(String wanted, Consumer<String> warnings, boolean restorable, RecoveryTimeline timelines)
            throws IOException {
        if (BackupId.isBackupId(wanted)) {
            BackupId id = new BackupId(wanted);
            Optional<BackupInfo> info;
            try {
                info = read(id);
            } catch (IllegalArgumentException e) {
                // an error (4), as barman's: the backup is there, its metadata is not usable
                throw new IOException("backup " + wanted + ": its backup.info cannot be read (" + e.getMessage()
                        + "); choose another backup", e);
            }
            return info.map(i -> new Entry(id, i)).orElseThrow(() -> new OperationFailedException(
                    "backup " + wanted + " not found in " + where()));
        }
        return resolveIn(readable(warnings), wanted, restorable ? warnings : null, timelines);
    }

    /**
     * The backup {@code wanted} (an id, a name or a shortcut) designates among {@code all}, the
     * catalog as already read, oldest first.
     *
     * @throws OperationFailedException when no backup, or several backups with that name, match
     */
    public Entry resolveIn(List<Entry> all, String wanted) throws OperationFailedException {
        return resolveIn(all, wanted, null, RecoveryTimeline.any());
    }

    /**
     * As {@link #resolveIn(List, String)}; {@code latest} skips, into {@code skipped} when not null, what
     * cumulus-restore cannot restore, and what a recovery along {@code timelines} cannot start from.
     */
    private Entry resolveIn(List<Entry> all, String wanted, Consumer<String> skipped, RecoveryTimeline timelines)
            throws OperationFailedException {
        if (BackupId.isBackupId(wanted)) {
            return all.stream().filter(e -> e.id().value().equals(wanted)).findFirst()
                    .orElseThrow(() -> new OperationFailedException("backup " + wanted + " not found in "
                            + where()));
        }
        List<Entry> named = all.stream().filter(e -> wanted.equals(e.info().backupName())).toList();
        if (named.size() > 1) {
            throw new OperationFailedException("several backups are named '" + wanted + "': "
                    + named.stream().map(e -> e.id().value()).toList() + "; give the backup id instead");
        }
        if (named.size() == 1) {
            return named.get(0);
        }
        List<Entry> done = all.stream().filter(e -> e.info().status() == BackupStatus.DONE).toList();
        List<Entry> failed = all.stream().filter(e -> e.info().status() == BackupStatus.FAILED).toList();
        Optional<Entry> found = switch (wanted) {
            case "latest", "last" -> skipped == null ? last(done)
                    : newestRestorable(done, "'" + wanted + "'", timelines, skipped);
            case "oldest", "first" -> done.stream().findFirst();
            case "last-failed" -> last(failed);
            default -> throw new OperationFailedException("no backup has the id or name '" + wanted + "' in "
                    + where());
        };
        return found.orElseThrow(() -> new OperationFailedException("no backup matches '" + wanted + "' in "
                + where() + (skipped == null || done.isEmpty() ? ""
                        : " that cumulus-restore can restore (see the warnings); restore with Barman")));
    }

    /**
     * {@code auto}: the newest DONE backup that can reach a recovery target, as barman-cloud 3.13
     * chooses (reference §7), but among DONE backups only: one that ended at or before {@code
     * targetTime}, or whose end LSN is at or before {@code targetLsn}, which {@code timelines} admits;
     * the target criteria apply only when given (null). Backups whose backup.info cannot be read are
     * passed to {@code warnings} and left out, as for {@link #resolve}.
     *
     * @throws OperationFailedException when no backup qualifies, e.g. a target before the oldest backup
     */
    public Entry resolveAuto(OffsetDateTime targetTime, Long targetLsn, RecoveryTimeline timelines,
            Consumer<String> warnings) throws IOException {
        List<Entry> candidates = readable(warnings).stream()
                .filter(e -> e.info().status() == BackupStatus.DONE)
                .filter(e -> timelines.admits(e.info()))
                .filter(e -> targetTime == null || (e.info().endTime() != null
                        && !e.info().endTime().isAfter(targetTime)))
                .filter(e -> targetLsn == null || (e.info().endXlog() != null
                        && Long.compareUnsigned(parseLsn(e.info().endXlog()), targetLsn) <= 0))
                .toList();
        return newestRestorable(candidates, "auto", RecoveryTimeline.any(), warnings).orElseThrow(() -> new OperationFailedException("no DONE backup"
                + (candidates.isEmpty() ? "" : " that cumulus-restore can restore (see the warnings)")
                + timelines
                + (targetTime == null ? "" : " ended at or before " + targetTime)
                + (targetLsn == null ? "" : " ended at or before LSN " + formatLsn(targetLsn))
                + " in " + where()));
    }

    /**
     * The newest of {@code entries} (oldest first) that cumulus-restore can restore, each newer one
     * and that a recovery along {@code timelines} can start from, each newer one passed to {@code
     * skipped}, naming {@code choice} (what chose it: 'latest', auto) and why.
     */
    private static Optional<Entry> newestRestorable(List<Entry> entries, String choice, RecoveryTimeline timelines,
            Consumer<String> skipped) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            Optional<String> why = e.info().unrestorableReason();
            if (why.isPresent()) {
                skipped.accept("skipping backup " + e.id() + " for " + choice + ": it is " + why.get());
            } else if (!timelines.admits(e.info())) {
                skipped.accept("skipping backup " + e.id() + " for " + choice + ": it is a backup of timeline "
                        + e.info().timeline() + " that the recovery cannot start from (it may start from backups"
                        + timelines + "), typically an old primary's taken after a failover; to restore it"
                        + " anyway, give its id and --recovery-target-timeline current");
            } else {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** An LSN written {@code %X/%X} as one unsigned 64-bit number. */
    public static long parseLsn(String lsn) {
        int slash = lsn.indexOf('/');
        if (slash < 1 || slash == lsn.length() - 1 || slash > 8 || lsn.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("not an LSN: '" + lsn + "'");
        }
        return (Long.parseLong(lsn.substring(0, slash), 16) << 32) | Long.parseLong(lsn.substring(slash + 1), 16);
    }

    /** An LSN as {@code %X/%X}, as PostgreSQL writes it. */
    public static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(lsn & 0xFFFF_FFFFL).toUpperCase(java.util.Locale.ROOT);
    }

    /** The backups {@link #scan()} could read, each unreadable one passed to {@code warnings}. */
    private List<Entry> readable(Consumer<String> warnings) throws IOException {
        Scan scan = scan();
        scan.unreadable().forEach((id, why) -> warnings.accept(unreadableWarning(id, why)));
        return scan.entries();
    }

    /** barman's warning for a backup whose backup.info cannot be read, which is then left out. */
    public static String unreadableWarning(BackupId id, String why) {
        return "skipping backup " + id + ": its backup.info cannot be read (" + why + ")";
    }

    /**
     * Every backup with a backup.info, oldest first; a backup.info that cannot be parsed is reported
     * in {@link Scan#unreadable()} instead of failing the listing. Failures to read
     * from the store still fail it.
     */
    public Scan scan() throws IOException {
        List<Entry> entries = new ArrayList<>();
        Map<BackupId, String> unreadable = new TreeMap<>();
        List<BackupId> incomplete = new ArrayList<>();
        for (String prefix : store.listPrefixes(layout.basePrefix())) {
            String name = prefix.substring(layout.basePrefix().length(), prefix.length() - 1);
            if (!BackupId.isBackupId(name)) {
                continue;
            }
            BackupId id = new BackupId(name);
            try {
                Optional<BackupInfo> info = read(id);
                if (info.isPresent()) {
                    entries.add(new Entry(id, info.get()));
                } else {
                    incomplete.add(id);
                }
            } catch (IllegalArgumentException e) {
                unreadable.put(id, e.getMessage());
            }
        }
        entries.sort((a, b) -> a.id().compareTo(b.id()));
        return new Scan(entries, unreadable, incomplete);
    }

    private Optional<BackupInfo> read(BackupId id) throws IOException {
        try (InputStream in = store.openRead(layout.backupPrefix(id.value()) + "backup.info")) {
            return Optional.of(BackupInfo.parse(in.readAllBytes()));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    private static Optional<Entry> last(List<Entry> entries) {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1));
    }

    /**
     * Where the backups are, for messages: the store's description and the base prefix joined by one
     * slash ({@code file://} stores describe themselves with a trailing slash, S3 ones without).
     */
    private String where() {
        return store.describeKey(layout.basePrefix());
    }
}
