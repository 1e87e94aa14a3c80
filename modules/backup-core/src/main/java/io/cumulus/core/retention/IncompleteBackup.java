package io.cumulus.core.retention;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.UnfinishedWrites;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A directory under {@code base/} named as a backup that holds objects, or only unfinished writes,
 * but no {@code backup.info}: a backup still running, or one killed (kill -9, the OOM killer, a
 * reboot) before it could store even a FAILED backup.info. barman-cloud's tools never see it, so
 * nothing would ever remove its archives, nor on {@code file://} the hidden temporary file of the
 * archive it was writing ({@link UnfinishedWrites}, up to {@code -S} in size); a delete does, once
 * it is clearly dead (see {@link #underPolicy} and {@link #named}).
 *
 * @param id the directory's backup id
 * @param objects every object in the directory
 * @param unfinishedWrites the store's leftovers of writes into the directory ({@link UnfinishedWrites}),
 *     counted as written to like objects; empty on stores without any
 */
public record IncompleteBackup(BackupId id, List<BlobInfo> objects, List<BlobInfo> unfinishedWrites) {

    /**
     * How long a directory must have had no new object before it is taken for dead. A running backup
     * makes an object at least at every archive part it completes (at most {@code -S}, 100 GiB by
     * default); a part that takes longer than this to upload, beside a newer backup that finished
     * meanwhile, would lose its backup: that backup then fails before it writes DONE, since it checks
     * its archives are all in the store, and says so.
     */
    public static final Duration QUIET = Duration.ofHours(24);

    public IncompleteBackup {
        Objects.requireNonNull(id, "id");
        objects = List.copyOf(objects);
        unfinishedWrites = List.copyOf(unfinishedWrites);
    }

    public IncompleteBackup(BackupId id, List<BlobInfo> objects) {
        this(id, objects, List.of());
    }

    /** When the directory's newest object or unfinished write was last written, if it has any. */
    public Optional<Instant> lastWritten() {
        return Stream.concat(objects.stream(), unfinishedWrites.stream()).map(BlobInfo::lastModified)
                .max(Comparator.naturalOrder());
    }

    /** The bytes its objects and unfinished writes hold. */
    public long bytes() {
        return Stream.concat(objects.stream(), unfinishedWrites.stream()).mapToLong(BlobInfo::size).sum();
    }

    /**
     * What a delete does with it, and why.
     *
     * @param backup the directory
     * @param delete whether the delete removes it
     * @param reason why, in words a DBA reads
     */
    public record Decision(IncompleteBackup backup, boolean delete, String reason) {
        public Decision {
            Objects.requireNonNull(backup, "backup");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The fate of this directory under a retention policy: deleted when a DONE backup newer than it
     * exists (the nightly backup that followed the one killed) and no object was written to it for
     * {@link #QUIET}; kept otherwise, which is what a backup still running needs. While one is kept, a
     * delete frees no WAL ({@link RetentionPlanner}): the WAL a running backup needs is not known yet.
     */
    public Decision underPolicy(Collection<CatalogBackup> catalog, Instant now) {
        Optional<BackupId> newerDone = catalog.stream().filter(b -> b.status() == BackupStatus.DONE)
                .map(CatalogBackup::id).filter(other -> other.compareTo(id) > 0).max(Comparator.naturalOrder());
        if (newerDone.isEmpty()) {
            return new Decision(this, false, "no backup.info, and no DONE backup is newer: it may be a backup"
                    + " still running; kept until a newer backup is DONE");
        }
        Optional<String> busy = stillWritten(now);
        if (busy.isPresent()) {
            return new Decision(this, false, busy.get());
        }
        return new Decision(this, true, "no backup.info: a backup that never finished (killed?), older than DONE"
                + " backup " + newerDone.get() + ", its newest object " + age(now));
    }

    /** The fate of this directory named by {@code -b}: deleted unless something was written to it lately. */
    public Decision named(Instant now) {
        Optional<String> busy = stillWritten(now);
        return busy.map(why -> new Decision(this, false, why))
                .orElseGet(() -> new Decision(this, true, "named by -b: no backup.info (a backup that never"
                        + " finished), its newest object " + age(now)));
    }

    /** Why the directory may belong to a running backup, if it may. */
    private Optional<String> stillWritten(Instant now) {
        Instant last = lastWritten().orElse(Instant.EPOCH);
        if (last.plus(QUIET).isAfter(now)) {
            return Optional.of("no backup.info, but its newest object was written at " + last + ", less than "
                    + QUIET.toHours() + " hours ago: it may be a backup still running; deletable from "
                    + last.plus(QUIET));
        }
        return Optional.empty();
    }

    private String age(Instant now) {
        Duration ago = Duration.between(lastWritten().orElse(Instant.EPOCH), now);
        return ago.toHours() >= 48 ? ago.toDays() + " days old" : ago.toHours() + " hours old";
    }
}
