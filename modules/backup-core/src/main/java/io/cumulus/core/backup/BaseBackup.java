package io.cumulus.core.backup;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupName;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.check.WalArchiveIndex;
import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.retention.IncompleteBackup;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Takes one base backup into a store exactly as barman-cloud-backup lays it out (reference §2, §3,
 * §5): starts the backup on the server, streams one archive series per tablespace and then the data
 * directory (compressed, split at {@code --max-archive-size}, uploaded while it is produced), stops
 * the backup, appends backup_label to the data archive, stores PostgreSQL's {@code backup_manifest}
 * next to the archives and, last, {@code backup.info} with barman 3.4's keys and status DONE. Until
 * that object exists no barman or Cumulus tool lists the backup.
 *
 * <p>The work is a pipeline: this thread walks the files and writes the tar stream, a second
 * thread compresses it into the store's writer, and the store uploads parts with its own threads
 * ({@code -J} at once). Memory: the store's part buffers, plus 2 MiB between the first two stages.
 *
 * <p>On any failure (the server, the store, a cancellation) the open upload is aborted, so no
 * multipart upload is left behind, and a backup.info with status FAILED and barman's {@code error}
 * text is stored when the store still takes it; the failure is then thrown as an {@link
 * OperationFailedException} (exit 1). Parts committed before the failure stay, as barman leaves
 * them, for {@code backup-delete} to remove; when not even the FAILED backup.info can be stored (a
 * full store), they are removed, since nothing could use them.
 *
 * <p>One backup per instance; {@link #cancel} may be called from any thread.
 */
public final class BaseBackup {

    /** The metadata object, written last. */
    public static final String BACKUP_INFO = "backup.info";

    /**
     * The object that claims a backup's id while the backup runs ({@link #newId}), our addition: no
     * barman tool reads it (its name starts neither with {@code data} nor with a tablespace's oid, the
     * archives barman-cloud-restore and -backup-delete look for, and barman-cloud-backup-list skips a
     * directory without backup.info), and it is removed once backup.info is stored, DONE or FAILED, so
     * a finished backup's directory holds what barman-cloud-backup's would (or, where not even FAILED
     * could be stored, once what the backup stored is removed). A killed backup leaves it:
     * its directory is then an incomplete backup to Cumulus, which cumulus-backup-delete removes whole.
     */
    public static final String BACKUP_CLAIM = "backup.claim";

    /** PostgreSQL's manifest of the backup, our addition; barman's tools ignore it. */
    public static final String BACKUP_MANIFEST = "backup_manifest";

    /** The label barman-cloud gives pg_backup_start, followed by the backup id. */
    public static final String LABEL_PREFIX = "Barman backup cloud ";

    /** The restore point barman-cloud creates after the stop, followed by the backup id. */
    public static final String RESTORE_POINT_PREFIX = "barman_";

    /** barman's {@code error} text names this action for any failure before backup.info. */
    private static final String ACTION = "uploading data";

    private final BlobStore store;
    private final ServerLayout layout;
    private final BackupSettings settings;
    private final BackupListener listener;
    private final AtomicReference<String> cancellation = new AtomicReference<>();
    /** The source of the backup in progress, told of a cancellation so that a wait on the server ends. */
    private volatile BackupSource running;
    /** Set when the backup leaves objects but no backup.info: its claim then stays ({@link #releaseClaim}). */
    private volatile boolean leftBehind;

    public BaseBackup(BlobStore store, ServerLayout layout, BackupSettings settings, BackupListener listener) {
        this.store = Objects.requireNonNull(store, "store");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * The id of a backup starting now ({@code yyyyMMdd'T'HHmmss} in the clock's zone, barman's rule),
     * claimed for this run: if the current second's id is taken (a backup started within the same
     * second), waits for the next second once, then gives up. Hand the id to {@link #run}, which
     * removes the claim when it ends.
     *
     * <p>A look for objects under the id alone is not enough: a backup stores nothing there until its
     * first archive is committed (file:// temporary files and S3 multipart parts are not listed), so two
     * runs started in the same second both found the directory empty, and the later one's archives and
     * backup.info replaced the earlier one's. The claim is {@link #BACKUP_CLAIM}, written create-only
     * ({@link WriteOptions#ifAbsent()}), which exactly one of two racing runs wins on every store that
     * honours it (see {@link #claim}).
     *
     * @param tags the backup's tags ({@link BackupSettings#tags()}), which go on the claim as on every
     *     object of the backup: a store policy that requires them refuses none of its writes
     * @throws OperationFailedException when both ids are taken
     */
    public static BackupId newId(BlobStore store, ServerLayout layout, Clock clock, Map<String, String> tags)
            throws IOException {
        BackupId id = BackupId.now(clock);
        if (claim(store, layout, id, clock, tags)) {
            return id;
        }
        try {
            Thread.sleep(1000 - clock.millis() % 1000 + 10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while choosing a backup id");
        }
        BackupId next = BackupId.now(clock);
        if (!next.equals(id) && claim(store, layout, next, clock, tags)) {
            return next;
        }
        throw new OperationFailedException("a backup with id " + next + " already exists in " + store.describe()
                + " at " + layout.backupPrefix(next.value()) + " (its objects, or the " + BACKUP_CLAIM + " of a"
                + " backup still running or killed): another backup of server '" + layout.serverName()
                + "' started in the same second; not overwriting it: run cumulus-backup again");
    }

    /**
     * Claims {@code id} for this run: true when its {@link #BACKUP_CLAIM} was created here and no other
     * object is under the id. A directory that already holds objects is taken without a write. The
     * directory is listed again once
     * the claim is written, so that of two runs either one finds the other's claim, or the later one's
     * listing sees what the earlier one wrote (a backup so short that it ended, and removed its claim,
     * in between). A claim won over a directory that holds objects (a backup that ended,
     * barman-cloud-backup's, which claims nothing) is withdrawn.
     *
     * <p>Atomic where the create-only write is: file:// (a hard link, which fails if the name exists),
     * Azure ({@code If-None-Match: *}), GCS ({@code ifGenerationMatch=0}) and S3 ({@code If-None-Match: *}).
     * An S3-compatible store that answers 501 to that header, or ignores it, gets a HEAD then a plain
     * PUT: two runs within the same few milliseconds may still both take the id there.
     */
    private static boolean claim(BlobStore store, ServerLayout layout, BackupId id, Clock clock,
            Map<String, String> tags) throws IOException {
        String prefix = layout.backupPrefix(id.value());
        String key = prefix + BACKUP_CLAIM;
        // unique to this run (a random token): a claim found already there is this run's own when the store
        // stored the first attempt of the write but its answer was lost, and the retry met it
        byte[] body = ("backup " + id + " claimed by cumulus-backup (pid " + ProcessHandle.current().pid() + ", "
                + java.util.UUID.randomUUID() + ") at " + clock.instant() + "; removed when the backup stores its"
                + " backup.info: one left here belongs to a backup still running or killed, and"
                + " cumulus-backup-delete removes it with the directory\n").getBytes(StandardCharsets.UTF_8);
        if (store.list(prefix).hasNext()) {
            return false;
        }
        try {
            ObjectWrites.write(store, key, WriteOptions.DEFAULT.withIfAbsent(true).withTags(tags), body);
        } catch (FileAlreadyExistsException e) {
            if (!isOwnClaim(store, key, body)) {
                return false;
            }
        } catch (StoreUnavailableException | InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            // the backup's first write: barman-cloud-backup, which writes nothing before pg_backup_start,
            // meets an unwritable destination once its backup has started, and exits 1 then; so does this
            throw new OperationFailedException("backup " + id + " could not claim its id in " + store.describe()
                    + " (" + firstLine(e) + "): nothing was started or stored; check that the destination can be"
                    + " written with these credentials", e);
        }
        BlobIterator objects = store.list(prefix);
        while (objects.hasNext()) {
            if (!objects.next().key().equals(key)) {
                store.delete(key);
                return false;
            }
        }
        return true;
    }

    /** Whether the claim at {@code key} holds {@code body}, this run's own (false when it cannot be read). */
    private static boolean isOwnClaim(BlobStore store, String key, byte[] body) throws IOException {
        try (java.io.InputStream in = store.openRead(key)) {
            return java.util.Arrays.equals(in.readNBytes(body.length + 1), body);
        } catch (java.io.FileNotFoundException e) {
            return false;
        }
    }

    /**
     * Asks the running backup to stop: it fails within one block of data (or at its next step, if
     * it waits for the server), with {@code reason} as its error, and cleans up as for any failure.
     */
    public void cancel(String reason) {
        cancellation.compareAndSet(null, Objects.requireNonNull(reason, "reason"));
        BackupSource source = running;
        if (source != null) {
            source.cancel();
        }
    }

    /**
     * Takes the backup {@code id} of {@code source}.
     *
     * @throws OperationFailedException when the backup failed; a FAILED backup.info was stored if
     *     the store allowed it, and the message says whether it did
     */
    public BackupOutcome run(BackupId id, BackupSource source) throws IOException {
        try {
            return backUp(id, source);
        } finally {
            if (!leftBehind) {
                releaseClaim(id);
            }
        }
    }

    private BackupOutcome backUp(BackupId id, BackupSource source) throws IOException {
        long started = System.nanoTime();
        running = source;
        String prefix = layout.backupPrefix(id.value());
        WriteOptions options = WriteOptions.DEFAULT.withTags(settings.tags());
        // parts keep their first size up to the largest archive -S makes, so the upload buffers stay
        // (-J + 1) x that size, as cumulus-backup's heap check counts them
        WriteOptions archiveOptions = options.withPlannedSize(ArchiveSizing.largestArchive(settings.maxArchiveSize()));
        SourceFacts facts = source.facts();
        BackupInfo.Builder info = BackupInfo.builder()
                .serverName(BackupInfo.CLOUD_SERVER_NAME)
                .backupName(settings.backupName().map(BackupName::value).orElse(null))
                .pgdata(facts.pgdata())
                .configFile(facts.configFile())
                .hbaFile(facts.hbaFile())
                .identFile(facts.identFile())
                .includedFiles(facts.includedFiles())
                .version(facts.version())
                .systemid(facts.systemId())
                .xlogSegmentSize(facts.walSegmentSize())
                .tablespaces(facts.tablespaces());
        BandwidthLimit bandwidth = settings.maxBandwidth().isPresent()
                ? new BandwidthLimit(settings.maxBandwidth().getAsLong()) : null;
        List<ArchiveSeries> written = new ArrayList<>();
        ArchiveSeries open = null;
        CountingListener counting = new CountingListener(listener);
        ExecutorService compressor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "cumulus-backup-compress");
            thread.setDaemon(true);
            return thread;
        });
        try {
            checkCancelled();
            BackupBegin begin = source.start(LABEL_PREFIX + id);
            // the tablespaces the archives follow: a FAILED backup.info from here on lists those archived
            info.beginXlog(begin.xlog()).beginWal(begin.wal()).beginOffset(begin.offset())
                    .timeline(Math.toIntExact(begin.timeline())).beginTime(begin.time())
                    .tablespaces(begin.tablespaces());
            listener.started(begin);
            for (ArchiveContent tablespace : source.tablespaceArchives()) {
                open = new ArchiveSeries(store, prefix, tablespace, settings, archiveOptions, bandwidth, counting,
                        cancellation::get, compressor);
                written.add(open);
                open.copyMembers();
                open.close();
                open = null;
            }
            DataArchiveContent data = source.dataArchive();
            open = new ArchiveSeries(store, prefix, data, settings, archiveOptions, bandwidth, counting,
                    cancellation::get, compressor);
            written.add(open);
            open.copyMembers();
            checkCancelled();
            BackupEnd end = source.stop(RESTORE_POINT_PREFIX + id);
            info.endXlog(end.xlog()).endWal(end.wal()).endOffset(end.offset()).endTime(end.time())
                    .backupLabel(end.backupLabel());
            listener.stopped(end);
            open.beforeMember();
            data.addBackupLabel(end.backupLabel(), end.time().toInstant());
            open.close();
            open = null;
            long copyEnd = System.nanoTime();
            ChunkedBytes manifest = source.manifest();
            ObjectWrites.write(store, prefix + BACKUP_MANIFEST, options.withExpectedSize(manifest.size()),
                    manifest::writeTo);
            checkStored(written);
            checkWalArchived(id, begin, end, facts.walSegmentSize());
            info.copyStats(copyStats(written, started, copyEnd)).status(BackupStatus.DONE);
        } catch (IOException | RuntimeException | Error e) {
            if (open != null) {
                open.abort(e);
            }
            throw failed(id, prefix, info, options, e);
        } finally {
            compressor.shutdownNow();
        }
        BackupInfo done = info.build();
        try {
            writeInfo(prefix, done, options);
        } catch (IOException | RuntimeException e) {
            throw new OperationFailedException("failure uploading backup.info file (" + firstLine(e) + "): backup "
                    + id + " is incomplete", e);
        }
        List<StoredArchive> archives = written.stream()
                .flatMap(series -> series.parts().stream().map(ArchiveSeries.Part::archive)).toList();
        return new BackupOutcome(id, done, archives, counting.copied, Duration.ofNanos(System.nanoTime() - started));
    }

    /**
     * Removes the claim {@link #newId} wrote, once backup.info is stored (DONE or FAILED), or could not
     * be and what the backup stored was removed ({@link #removeStored}): the directory then holds what
     * barman-cloud-backup's would. Its backup's outcome stands either way, so a claim that cannot be
     * removed is a warning; it only costs a stray object.
     */
    private void releaseClaim(BackupId id) {
        String key = layout.backupPrefix(id.value()) + BACKUP_CLAIM;
        try {
            store.delete(key);
        } catch (IOException | RuntimeException e) {
            listener.warning("could not remove " + store.describeKey(key) + ", which claimed backup id " + id
                    + " while it ran (" + firstLine(e) + "): delete it by hand (cumulus-backup-delete removes it"
                    + " with the backup; barman-cloud-backup-delete leaves it, and the directory it leaves is then"
                    + " an incomplete backup to cumulus-backup-delete -r)");
        }
    }

    /**
     * Before the backup is declared DONE, the store is asked for each archive part (one HEAD each,
     * consistent after a write on every store): each must be there with the size sent. A part missing (deleted by hand, by a lifecycle rule,
     * or by a delete that took this directory for a dead backup's) would otherwise make a DONE backup
     * that cannot be restored.
     */
    private void checkStored(List<ArchiveSeries> written) throws IOException {
        for (ArchiveSeries series : written) {
            for (ArchiveSeries.Part part : series.parts()) {
                StoredArchive archive = part.archive();
                Long size = store.stat(archive.key()).map(BlobInfo::size).orElse(null);
                if (size == null) {
                    throw new OperationFailedException("archive " + archive.key() + " is no longer in the store"
                            + " after its upload (deleted while the backup ran?)");
                }
                if (size != archive.storedBytes()) {
                    throw new OperationFailedException("archive " + archive.key() + " holds " + size
                            + " bytes in the store where " + archive.storedBytes() + " were uploaded");
                }
            }
        }
    }

    /**
     * Looks for the WAL the backup needs, its begin segment to the one it ends in (the one pg_backup_stop
     * waits for when archiving is on: the segment before the stop location's when that starts a segment),
     * in this destination's {@code wals/}, under any compression suffix: one listing per hash directory
     * of the range and of the segment after it.
     *
     * <p>A segment missing while a later one of the timeline is there was deleted (a retention delete
     * run while this backup ran, which Cumulus's own delete avoids, barman-cloud's does not; a lifecycle
     * rule) or never archived here: on a primary, PostgreSQL archives in order and pg_backup_stop waited
     * for the end segment, so it will not come, and the backup cannot be restored: it fails. On a standby
     * the primary archives, and may still be storing it ({@code --async} stores several segments at
     * once, in any order): a warning.
     *
     * <p>Missing segments with none after them are a warning only, the backup stays DONE as
     * barman-cloud-backup's: archiving off (PostgreSQL says so in a notice), a standby whose archive_mode
     * is not {@code always} (its primary archives, possibly later), or an archive_command that archives
     * elsewhere; a site may copy its WAL by other means.
     */
    private void checkWalArchived(BackupId id, BackupBegin begin, BackupEnd end, long segmentSize)
            throws IOException {
        WalName first = WalName.parse(begin.wal());
        WalName last = WalName.parse(end.wal());
        if (end.offset() == 0 && last.compareTo(first) > 0) {
            last = last.previous(segmentSize);
        }
        // the hash directories of the range and the next log's: later WAL says whether a gap can still fill
        WalArchiveIndex index = WalArchiveIndex.scan(store, layout, segmentSize, first.timeline(), first.log(),
                last.next(segmentSize).log());
        List<long[]> gaps = index.missing(first.timeline(), first.segmentNumber(segmentSize),
                last.segmentNumber(segmentSize));
        if (gaps.isEmpty()) {
            return;
        }
        long[] gap = gaps.get(0);
        if (index.newestSegmentNumber(first.timeline(), Long.MAX_VALUE).orElse(-1) <= gap[0]) {
            warnEndWalNotArchived(id, end, last);
            return;
        }
        long others = gaps.stream().skip(1).mapToLong(g -> g[1] - g[0] + 1).sum();
        String segments = index.segment(first.timeline(), gap[0])
                + (gap[1] > gap[0] ? " to " + index.segment(first.timeline(), gap[1]) : "")
                + (others > 0 ? " (and " + others + " more)" : "");
        String gone = "WAL " + segments + ", which backup " + id + " needs (" + first + " to " + last + "), is not in "
                + store.describe() + " under " + layout.walsPrefix() + " though later WAL is: ";
        if (fromStandby(end)) {
            listener.warning(gone + "taken on a standby, the primary may still be archiving it (--async stores"
                    + " several segments at once); if it stays missing it was deleted (a cumulus-backup-delete or"
                    + " barman-cloud-backup-delete run while this backup ran?) and this backup cannot be restored:"
                    + " check with cumulus-check");
            return;
        }
        throw new OperationFailedException(gone + "it was deleted or never archived here, and this backup could not"
                + " be restored; check the cumulus-backup-delete (or barman-cloud-backup-delete) runs and lifecycle"
                + " rules of this bucket, and archive_command, then take a new backup");
    }

    /**
     * The warning for a backup whose end segment, and nothing after it, is in this destination's wals/. On
     * a standby promoted as the backup ended (PostgreSQL looks for a promotion before pg_backup_stop's wait
     * for archiving, not during it), the segment's {@code .partial} or the next timeline's history file is
     * archived: no primary will complete the segment, and the new timeline's copy holds the WAL instead.
     */
    private void warnEndWalNotArchived(BackupId id, BackupEnd end, WalName wal) throws IOException {
        boolean standby = fromStandby(end);
        boolean promoted = standby && (io.cumulus.core.wal.WalObjects.list(store, layout, wal).partial().isPresent()
                || io.cumulus.core.wal.WalObjects.find(store, layout, WalName.history(wal.timeline() + 1), false)
                        .isPresent());
        String why = promoted
                ? "taken on a standby that was promoted as the backup ended (" + wal + ".partial or timeline "
                        + (wal.timeline() + 1) + "'s history file is archived): no primary completes that segment, and"
                        + " the new timeline's copy of it, which the promoted server archives once it completes it,"
                        + " holds the WAL this backup needs; a recovery to the latest timeline reads it from there"
                        + " (check with cumulus-check)"
                : standby
                // the usual set-up: the primary archives the segment once it completes it, maybe hours later
                ? "taken on a standby, it waits for the primary to complete that segment and archive it; run"
                        + " SELECT pg_switch_wal() on the primary to archive it now, or set archive_timeout there"
                        + " (the primary's archive_command must archive into this URL and server name)"
                : "check archive_mode and archive_command (they must archive into the same URL and server name)";
        listener.warning("WAL segment " + wal + ", which backup " + id + " needs, is not archived in "
                + store.describe() + " under " + layout.walsPrefix() + ": this backup cannot be restored from"
                + " this bucket alone until " + wal + " is archived here: " + why);
    }

    /** Whether the backup was taken on a standby, as its backup_label says ({@code BACKUP FROM: standby}). */
    public static boolean fromStandby(BackupEnd end) {
        return end.backupLabel() != null
                && end.backupLabel().lines().anyMatch(line -> line.strip().equals("BACKUP FROM: standby"));
    }

    private void checkCancelled() throws InterruptedIOException {
        CopyingOutputStream.checkCancelled(cancellation::get);
    }

    /** Records the failure in a FAILED backup.info where possible; returns what to throw. */
    private BackupFailedException failed(BackupId id, String prefix, BackupInfo.Builder info,
            WriteOptions options, Throwable failure) {
        // a failure once cancel() was called is the cancellation's doing (the cancelled pg_backup_stop, the
        // aborted upload): the reason to record is the cancellation's, not the symptom's
        String reason = cancellation.get() != null ? cancellation.get() : firstLine(failure);
        String error = "failure " + ACTION + " (" + reason + ")";
        String outcome;
        try {
            writeInfo(prefix, info.status(BackupStatus.FAILED).error(error).build(), options);
            outcome = BackupFailedException.FAILED_INFO_STORED;
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
            outcome = "its FAILED backup.info could not be stored either: " + firstLine(e) + "; "
                    + removeStored(id, prefix, failure);
        }
        return new BackupFailedException("backup " + id + " failed: " + firstLine(failure) + " (" + outcome
                + ")", outcome, failure);
    }

    /**
     * Removes what a backup that could not store even its FAILED backup.info had stored (finished
     * archives, backup_manifest), and says so. Without a backup.info no tool can use them, and they would
     * stay where the store is often full (the write just refused): a delete takes such a directory for a
     * backup still running until nothing was written to it for a day ({@code IncompleteBackup.QUIET}).
     * The claim makes the id this run's, so everything under it is. What cannot be removed stays with the
     * claim, as a killed backup's, which cumulus-backup-delete removes.
     */
    private String removeStored(BackupId id, String prefix, Throwable failure) {
        String claim = prefix + BACKUP_CLAIM;
        List<String> stored = new ArrayList<>();
        try {
            BlobIterator objects = store.list(prefix);
            while (objects.hasNext()) {
                String key = objects.next().key();
                if (!key.equals(claim)) {
                    stored.add(key);
                }
            }
            if (!stored.isEmpty()) {
                store.deleteAll(stored);
            }
            return stored.isEmpty() ? "it had stored nothing else"
                    : "the " + stored.size() + " object(s) it had stored were removed, since no tool could use them";
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
            leftBehind = true;
            return "what it stored stays in " + store.describeKey(prefix) + ", with its " + BACKUP_CLAIM
                    + " (removing it failed: " + firstLine(e) + "): cumulus-backup-delete -b " + id
                    + " removes it once nothing was written there for " + IncompleteBackup.QUIET.toHours()
                    + " hours, or delete that directory by hand";
        }
    }

    private void writeInfo(String prefix, BackupInfo info, WriteOptions options) throws IOException {
        ObjectWrites.write(store, prefix + BACKUP_INFO, options, info.format().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * barman's copy_stats: total and per-archive times in seconds, no analysis phase, {@code
     * number_of_workers} = {@code -J}. The serialized copy time sums the parts' own writing times.
     */
    private Map<String, Object> copyStats(List<ArchiveSeries> series, long started, long copyEnd) {
        Map<String, Object> analysisPerItem = new LinkedHashMap<>();
        Map<String, Object> copyPerItem = new LinkedHashMap<>();
        Map<String, Object> serializedPerItem = new LinkedHashMap<>();
        long uploadStart = Long.MAX_VALUE;
        long uploadEnd = Long.MIN_VALUE;
        long serialized = 0;
        for (ArchiveSeries s : series) {
            long first = Long.MAX_VALUE;
            long last = Long.MIN_VALUE;
            long total = 0;
            for (ArchiveSeries.Part part : s.parts()) {
                first = Math.min(first, part.startNanos());
                last = Math.max(last, part.endNanos());
                total += part.endNanos() - part.startNanos();
            }
            analysisPerItem.put(s.name(), 0L);
            copyPerItem.put(s.name(), seconds(last - first));
            serializedPerItem.put(s.name(), seconds(total));
            uploadStart = Math.min(uploadStart, first);
            uploadEnd = Math.max(uploadEnd, last);
            serialized += total;
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("total_time", seconds(copyEnd - started));
        stats.put("number_of_workers", (long) settings.workers());
        stats.put("analysis_time", 0L);
        stats.put("analysis_time_per_item", analysisPerItem);
        stats.put("copy_time_per_item", copyPerItem);
        stats.put("serialized_copy_time_per_item", serializedPerItem);
        stats.put("copy_time", seconds(uploadEnd - uploadStart));
        stats.put("serialized_copy_time", seconds(serialized));
        return stats;
    }

    /** Seconds with microseconds, as Python's timedelta.total_seconds(). */
    private static Double seconds(long nanos) {
        return Math.round(nanos / 1000.0) / 1e6;
    }

    /**
     * The first line of the failure's message, or its type when it has none (barman's rule for the
     * {@code error} key); a file system error also says what went wrong, not only which file.
     */
    private static String firstLine(Throwable failure) {
        if (failure instanceof FileSystemException e && e.getReason() == null) {
            String what = failure instanceof AccessDeniedException ? "permission denied"
                    : failure instanceof NoSuchFileException ? "no such file or directory"
                    : failure.getClass().getSimpleName();
            return what + ": " + e.getFile();
        }
        String message = failure.getMessage() == null ? "" : failure.getMessage().strip();
        return message.isEmpty() ? failure.getClass().getSimpleName() : message.lines().findFirst().orElseThrow();
    }

    /** Adds up the tar bytes for the outcome while passing everything on. */
    private static final class CountingListener implements BackupListener {
        private final BackupListener delegate;
        private long copied;

        CountingListener(BackupListener delegate) {
            this.delegate = delegate;
        }

        @Override
        public void copied(long bytes) {
            copied += bytes;
            delegate.copied(bytes);
        }

        @Override
        public void archiveOpened(String key) {
            delegate.archiveOpened(key);
        }

        @Override
        public void archiveStored(String key, long storedBytes) {
            delegate.archiveStored(key, storedBytes);
        }
    }
}
