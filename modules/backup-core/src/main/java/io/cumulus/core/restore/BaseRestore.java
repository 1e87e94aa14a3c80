package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.io.LocalWriteException;
import io.cumulus.core.io.PrivateFiles;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.util.ShellWords;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restores one base backup from the store into a data directory and its tablespace directories, as
 * barman-cloud-restore does (reference §7), with the archives downloaded and extracted in parallel,
 * streaming, and every file checked against the backup's manifest while it is written when there is
 * one. Refuses to start when a destination holds anything, when a part of an archive series is
 * missing, stored twice or unreadable, or when an archive belongs to no series backup.info
 * describes, and then touches nothing. PostgreSQL cannot start from a copy cut short: {@code
 * global/pg_control} is put in place last, once every archive is extracted and checked and the
 * recovery configured; until then {@value #INCOMPLETE} in the data directory says what happened.
 */
public final class BaseRestore {

    /** {@code <series>[_NNNN].tar[.ext]}: series {@code data} or a tablespace OID (reference §2.3). */
    private static final Pattern ARCHIVE = Pattern.compile("(data|[0-9]+)(?:_([0-9]{4,}))?\\.tar(\\..+)?");

    private static final String MANIFEST = "backup_manifest";

    /** Left in the data directory, with the reason, by a restore that has not finished. */
    public static final String INCOMPLETE = "CUMULUS_RESTORE_INCOMPLETE";

    private final BlobStore store;
    private final ServerLayout layout;
    private final int jobs;
    private final RestoreListener listener;
    private final Duration resumePause;
    private final OsUser user;

    /**
     * @param jobs archives downloaded and extracted at once, at least 1
     */
    public BaseRestore(BlobStore store, ServerLayout layout, int jobs, RestoreListener listener) {
        this(store, layout, jobs, listener, Duration.ofSeconds(1));
    }

    /**
     * @param resumePause the pause before the first resume of a broken read, growing by as much before
     *     each next one ({@link ResumingRead})
     */
    BaseRestore(BlobStore store, ServerLayout layout, int jobs, RestoreListener listener, Duration resumePause) {
        this(store, layout, jobs, listener, resumePause, OsUser.current());
    }

    /** @param user the OS user the restore runs as, who may or may not take over existing directories */
    BaseRestore(BlobStore store, ServerLayout layout, int jobs, RestoreListener listener, Duration resumePause,
            OsUser user) {
        this.resumePause = resumePause;
        this.user = user;
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1");
        }
        this.store = store;
        this.layout = layout;
        this.jobs = jobs;
        this.listener = listener;
    }

    /** One archive object of the backup: a part of a series, read with the compression its name says. */
    private record Stored(String key, String series, int part, Compression compression) {
    }

    /** One archive object and where it goes. */
    private record Archive(Stored stored, Path target, String manifestPrefix, List<String> tablespaceDirectories) {
        String key() {
            return stored.key();
        }

        Compression compression() {
            return stored.compression();
        }
    }

    /** One part of one series: {@code data_0001.tar.gz} is ("data", 1) whatever its suffix. */
    private record Part(String series, int number) {
        // The largest series first would be better; data first and parts in order is what barman does.
        static final Comparator<Part> RESTORE_ORDER = Comparator.comparing((Part p) -> !p.series().equals("data"))
                .thenComparing(Part::series).thenComparingInt(Part::number);
    }

    /** What the listing of a backup's directory found to restore: every part once, data first. */
    private record Listing(List<Stored> archives, boolean hasManifest) {
    }

    /** {@link #restore(BackupCatalog.Entry, Path, Map, RecoveryConfiguration)} without recovery configuration. */
    public RestoreOutcome restore(BackupCatalog.Entry backup, Path destination, Map<String, Path> relocated)
            throws IOException {
        return restore(backup, destination, relocated, null);
    }

    /**
     * Restores {@code backup} into {@code destination}, tablespaces into their {@code relocated}
     * directory (by name) or else where they were, and writes {@code recovery} (when not null) into
     * it before putting {@code global/pg_control} in place.
     *
     * @throws OperationFailedException when Cumulus cannot restore the backup ({@link
     *     BackupInfo#unrestorableReason()}), a destination is not empty, an archive or a part of one is
     *     missing, stored twice, unreadable or cut short, an archive belongs to no tablespace of
     *     backup.info, or a file does not match the manifest; a failure after the extraction began
     *     leaves the directories without {@code global/pg_control} and says so
     */
    public RestoreOutcome restore(BackupCatalog.Entry backup, Path destination, Map<String, Path> relocated,
            RecoveryConfiguration recovery) throws IOException {
        long start = System.nanoTime();
        BackupInfo info = backup.info();
        Optional<String> unrestorable = info.unrestorableReason();
        if (unrestorable.isPresent()) {
            throw new OperationFailedException("backup " + backup.id() + " is " + unrestorable.get());
        }
        Map<Tablespace, Path> tablespaces = tablespaceTargets(info, relocated);
        List<String> tablespacesInside = checkDistinct(info, destination, tablespaces);
        checkEmpty(destination, "the destination directory");
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            checkEmpty(t.getValue(), "the directory of tablespace " + t.getKey().name());
        }
        checkUsable(destination, "the destination directory");
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            checkUsable(t.getValue(), "the directory of tablespace " + t.getKey().name());
        }
        RestoredOwner owner = RestoredOwner.of(destination, user.isRoot());

        String prefix = layout.backupPrefix(backup.id().value());
        Listing listing;
        try {
            listing = list(backup, prefix);
        } catch (OperationFailedException e) {
            throw new OperationFailedException(e.getMessage() + "; nothing was restored", e);
        }
        Map<String, Path> targets = new LinkedHashMap<>();
        tablespaces.forEach((t, target) -> targets.put(Long.toString(t.oid()), target));
        List<Archive> archives = listing.archives().stream().map(a -> a.series().equals("data")
                ? new Archive(a, destination, "", tablespacesInside)
                : new Archive(a, targets.get(a.series()), "pg_tblspc/" + a.series() + "/", List.of())).toList();
        boolean hasManifest = listing.hasManifest();

        RestoreVerifier verifier = new RestoreVerifier(hasManifest ? readManifest(prefix + MANIFEST) : null);

        // the tablespaces' directories first, before the destination: one that cannot be made (permission
        // denied) fails the restore as the destination's does, with its reason and nothing written
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            createPrivateDirectory(t.getValue(), "the directory of tablespace " + t.getKey().name(), owner);
        }
        createPrivateDirectory(destination, "the destination directory", owner);
        Path marker = destination.resolve(INCOMPLETE);
        AtomicLong files = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        TarExtractor.DirectoryTimes directoryTimes = new TarExtractor.DirectoryTimes();
        List<String> dropped = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            Files.writeString(marker, "cumulus-restore of backup " + backup.id() + " began at "
                    + java.time.Instant.now() + " and has not finished (still running, or killed): "
                    + incomplete(destination, tablespaces) + "\n");
            owner.give(marker);
            extractAll(backup.id().value(), archives, verifier, new TarExtractor.Listener() {
                @Override
                public void fileRestored(String path, long size) {
                    files.incrementAndGet();
                    bytes.addAndGet(size);
                    listener.fileRestored(path, size);
                }

                @Override
                public void fileDropped(String path, String archiveName) {
                    dropped.add(archiveName + " holds a " + path);
                }
            }, owner, directoryTimes);
            verifier.checkComplete();
            Path data = destination.toRealPath();
            for (String name : TarExtractor.HELD_BACK) {
                if (!Files.exists(TarExtractor.heldBack(data, name), LinkOption.NOFOLLOW_LINKS)) {
                    throw new OperationFailedException("backup " + backup.id() + " is incomplete: its data archives"
                            + " hold no " + name + (name.equals("backup_label") ? ", which cumulus-backup and"
                            + " barman-cloud-backup write last: the part after " + lastPart(listing.archives(), "data")
                            + " is missing" : ""));
                }
            }
            checkLabelIsThisBackups(backup.id(), info, TarExtractor.heldBack(data, "backup_label"));
            finish(info, destination, tablespaces, recovery, owner, listener::warning);
            // PostgreSQL starts from the copy once pg_control is there, so it comes last.
            for (String name : TarExtractor.HELD_BACK) {
                Files.move(TarExtractor.heldBack(data, name), data.resolve(name), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.delete(marker);
        } catch (IOException | RuntimeException e) {
            String reason = e.getMessage() + "; " + incomplete(destination, tablespaces);
            try {
                Files.writeString(marker, "cumulus-restore of backup " + backup.id() + " failed: " + reason + "\n");
            } catch (IOException | RuntimeException markerFailure) {
                e.addSuppressed(markerFailure); // a full disk may refuse even this; pg_control is still out
            }
            if (e instanceof OperationFailedException) {
                throw new OperationFailedException(reason, e);
            }
            if (e instanceof StoreUnavailableException) {
                throw new StoreUnavailableException(reason, e); // exit 2, as the store's failure
            }
            if (e instanceof IOException) {
                throw new IOException(reason, e);
            }
            throw e;
        }
        try {
            directoryTimes.apply();
        } catch (IOException e) {
            // the copy is whole and in place; a directory's time matters to nothing PostgreSQL does
            listener.warning("cannot set the modification times of the restored directories (" + e.getMessage()
                    + "): they keep the time of the restore");
        }
        for (String map : dropped) {
            listener.warning(map + " (left at the data directory's root by an exclusive pg_start_backup of"
                    + " PostgreSQL 14 or older, or by one that crashed, and copied by barman-cloud-backup): not"
                    + " restored, since PostgreSQL would re-create the pg_tblspc links from it at its first start;"
                    + " the links cumulus-restore made from backup.info give the tablespaces' locations");
        }
        owner.warning(destination, tablespaces.values()).ifPresent(listener::warning);
        return new RestoreOutcome(files.get(), bytes.get(), archives.size(), verifier.verifying(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Checks, with one listing of its directory, what cumulus-restore checks of {@code backup} before
     * it writes anything: that Cumulus restores its kind ({@link BackupInfo#unrestorableReason()}) and
     * that its archives are all there, once, readable, and of the tablespaces backup.info lists. What
     * only the archives' contents show (backup_label, the manifest) is not checked.
     *
     * @throws OperationFailedException why cumulus-restore would refuse the backup, as it says it
     *     (without "nothing was restored")
     */
    public void checkStored(BackupCatalog.Entry backup) throws IOException {
        Optional<String> unrestorable = backup.info().unrestorableReason();
        if (unrestorable.isPresent()) {
            throw new OperationFailedException("backup " + backup.id() + " is " + unrestorable.get());
        }
        list(backup, layout.backupPrefix(backup.id().value()));
    }

    /**
     * Lists the backup's directory and checks, before anything is written, that its archives are
     * those of one backup that backup.info describes and Cumulus can read: every part of each series
     * once (barman-cloud-backup overwrites an id, so two runs in one second with different
     * compression, or a stray copy, leave two archives for a part, and extracting both would mix two
     * backups' files); no archive that cannot be read without a readable one for its part (a series
     * cut short where Cumulus cannot see it, or called missing when it is only unreadable); no
     * tablespace archive backup.info does not list (barman-cloud and cumulus-backup write one series
     * per listed tablespace, from the same query, so such an archive means backup.info does not
     * describe these archives, and skipping it would restore without that tablespace's relations).
     */
    private Listing list(BackupCatalog.Entry backup, String prefix) throws IOException {
        Map<String, Tablespace> byOid = new LinkedHashMap<>();
        backup.info().tablespaces().forEach(t -> byOid.put(Long.toString(t.oid()), t));
        Map<Part, Stored> parts = new TreeMap<>(Part.RESTORE_ORDER);
        Map<Part, List<String>> unreadable = new TreeMap<>(Part.RESTORE_ORDER);
        List<String> twice = new ArrayList<>();
        List<String> unlisted = new ArrayList<>();
        boolean hasManifest = false;
        BlobIterator it = store.list(prefix);
        while (it.hasNext()) {
            BlobInfo blob = it.next();
            String name = blob.key().substring(prefix.length());
            if (name.equals(MANIFEST)) {
                hasManifest = true;
                continue;
            }
            Matcher m = ARCHIVE.matcher(name);
            if (!m.matches()) {
                continue;
            }
            String series = m.group(1);
            if (!series.equals("data") && !byOid.containsKey(series)) {
                unlisted.add(name);
                continue;
            }
            if (m.group(2) != null && m.group(2).length() > 9) {
                // no backup writes a billion parts; an int would not even hold the number
                throw new OperationFailedException("backup " + backup.id() + ": " + name + " has a part number no backup"
                        + " writes: it does not belong to this backup; remove it, or restore another backup");
            }
            Part part = new Part(series, m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
            Optional<Compression> compression = m.group(3) == null ? Optional.of(Compression.NONE)
                    : Compression.ofSuffix(m.group(3)).filter(c -> c.suffix().equals(m.group(3)));
            if (compression.isEmpty()) {
                unreadable.computeIfAbsent(part, k -> new ArrayList<>()).add(name);
                continue;
            }
            Stored other = parts.putIfAbsent(part, new Stored(blob.key(), series, part.number(), compression.get()));
            if (other != null) {
                twice.add(other.key().substring(prefix.length()) + " and " + name);
            }
        }
        BackupInfo info = backup.info();
        if (!twice.isEmpty()) {
            throw new OperationFailedException("backup " + backup.id() + " has both " + String.join(", both ", twice)
                    + ": two archives for one part (two backups written under one id?); keep only the archives of"
                    + " the backup whose backup.info is there" + (info.beginXlog() == null ? ""
                    : " (its data archive's backup_label says START WAL LOCATION: " + info.beginXlog() + ")")
                    + " and run cumulus-restore again, or restore another backup");
        }
        if (!unlisted.isEmpty()) {
            throw new OperationFailedException("backup " + backup.id() + ": archive " + String.join(", ", unlisted)
                    + " belongs to no tablespace in backup.info (tablespaces: " + tablespaceNames(info.tablespaces())
                    + "): the backup.info does not describe this backup; restore another backup");
        }
        // a readable twin is restored instead, as before, and the unreadable copy named in a warning (alone, it
        // is the error below, which a warning before it would contradict)
        for (Map.Entry<Part, List<String>> skipped : unreadable.entrySet()) {
            if (parts.containsKey(skipped.getKey())) {
                skipped.getValue().forEach(n -> listener.warning("skipping " + prefix + n + ": unknown compression '"
                        + suffixAfterTar(n) + "'"));
            }
        }
        unreadable.keySet().removeAll(parts.keySet());
        if (!unreadable.isEmpty()) {
            String name = unreadable.values().iterator().next().get(0);
            throw new OperationFailedException("backup " + backup.id() + " cannot be restored: " + name
                    + " has a suffix cumulus-restore cannot read ('" + suffixAfterTar(name) + "': a compression or encryption"
                    + " it does not know): restore it with the tool that wrote it, or choose another backup");
        }
        List<Stored> archives = List.copyOf(parts.values());
        requireSeries(backup, archives, "data", prefix);
        for (String oid : byOid.keySet()) {
            requireSeries(backup, archives, oid, prefix);
        }
        return new Listing(archives, hasManifest);
    }

    /** What follows ".tar" in an archive's name: ".gz", ".gz.gpg"... */
    private static String suffixAfterTar(String name) {
        return name.substring(name.indexOf(".tar") + ".tar".length());
    }

    /** backup.info's tablespaces as a message names them: {@code none}, or {@code ts1 (OID 16384), ...}. */
    private static String tablespaceNames(List<Tablespace> tablespaces) {
        if (tablespaces.isEmpty()) {
            return "none";
        }
        List<String> names = new ArrayList<>();
        tablespaces.forEach(t -> names.add(t.name() + " (OID " + t.oid() + ")"));
        return String.join(", ", names);
    }

    /** What a failed or unfinished restore leaves, and what to do about it. */
    private static String incomplete(Path destination, Map<Tablespace, Path> tablespaces) {
        StringBuilder dirs = new StringBuilder(destination.toString());
        tablespaces.values().forEach(t -> dirs.append(", ").append(t));
        return destination + " is incomplete (it has no global/pg_control, so PostgreSQL will not start from it):"
                + " empty " + (tablespaces.isEmpty() ? "it" : dirs) + " and re-run cumulus-restore";
    }

    /** Tablespace links, pg_wal, modes and the recovery configuration: all but pg_control. */
    private static void finish(BackupInfo info, Path destination, Map<Tablespace, Path> tablespaces,
            RecoveryConfiguration recovery, RestoredOwner owner, Consumer<String> warnings) throws IOException {
        Path tblspc = destination.resolve("pg_tblspc");
        if (!Files.exists(tblspc, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(tblspc);
            owner.give(tblspc);
        }
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            Path link = tblspc.resolve(Long.toString(t.getKey().oid()));
            if (Files.isSymbolicLink(link)) {
                Files.delete(link);
            }
            Files.createSymbolicLink(link, t.getValue().toAbsolutePath());
            owner.give(link);
        }
        boolean beforeTen = info.version() != null && info.version() < 100000;
        Path wal = destination.resolve(beforeTen ? "pg_xlog" : "pg_wal");
        if (!Files.exists(wal, LinkOption.NOFOLLOW_LINKS)) {
            createPrivateDirectory(wal, "the directory", owner);
        }
        // PostgreSQL refuses to start on a data directory others can read or write.
        setPrivate(destination, "the destination directory");
        if (recovery != null) {
            // an earlier recovery's settings the backup carried are disabled, each named
            recovery.writeTo(destination).forEach(warnings);
            for (String written : List.of("postgresql.auto.conf", "recovery.signal", "standby.signal")) {
                if (Files.exists(destination.resolve(written), LinkOption.NOFOLLOW_LINKS)) {
                    owner.give(destination.resolve(written)); // created when the backup had none
                }
            }
        }
    }

    private void extractAll(String backupId, List<Archive> archives, RestoreVerifier verifier, TarExtractor.Listener counter,
            RestoredOwner owner, TarExtractor.DirectoryTimes directoryTimes) throws IOException {
        // The failure that stopped the restore; the others only saw the cancellation it caused.
        AtomicReference<Exception> cause = new AtomicReference<>();
        AtomicBoolean failed = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, archives.size()), r -> {
            Thread thread = new Thread(r, "restore");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Archive archive : archives) {
                futures.add(pool.submit(() -> {
                    if (failed.get()) {
                        return null;
                    }
                    try {
                        extract(backupId, archive, verifier, counter, failed, owner, directoryTimes);
                    } catch (IOException | RuntimeException e) {
                        if (cause.compareAndSet(null, e)) {
                            failed.set(true);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    cause.compareAndSet(null, new IOException(e.getCause().getMessage(), e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        Exception failure = cause.get();
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure != null) {
            throw (RuntimeException) failure;
        }
    }

    private void extract(String backupId, Archive archive, RestoreVerifier verifier, TarExtractor.Listener counter,
            AtomicBoolean failed, RestoredOwner owner, TarExtractor.DirectoryTimes directoryTimes) throws IOException {
        listener.archiveStarted(archive.key(), archive.target().toString());
        TarExtractor extractor = new TarExtractor(archive.target(), archive.manifestPrefix(), verifier, counter,
                failed::get, archive.tablespaceDirectories(), owner, directoryTimes);
        try (InputStream in = archive.compression().decompress(ResumingRead.open(store, archive.key(), listener,
                resumePause))) {
            extractor.extract(in, archive.key());
            // Python's tarfile pads the stream to a 10 KiB record; reading to the end checks the codec's trailer.
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (OperationFailedException | LocalWriteException e) {
            throw e;
        } catch (StoreUnavailableException e) {
            throw e; // the restore's own failure handler says what to do with the directory
        } catch (EOFException e) {
            // the tar (or its compression) ends early: a missing part's twin, only cut inside the object
            throw new OperationFailedException("backup " + backupId + " is incomplete: " + archive.key()
                    + " is cut short (" + e.getMessage() + "): the stored object is damaged or incomplete; restore"
                    + " another backup", e);
        } catch (java.nio.file.FileSystemException e) {
            if (e.getFile() != null && Path.of(e.getFile()).startsWith(archive.target().toAbsolutePath())) {
                // a directory or link this restore could not make
                throw LocalWriteException.wrap(e, "cannot write " + e.getFile(), TarExtractor.WHEN_FULL);
            }
            throw new IOException("cannot extract " + archive.key() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            if (e instanceof java.io.FileNotFoundException && store.stat(archive.key()).isEmpty()) {
                // listed when the restore began, gone now
                throw new OperationFailedException("backup " + backupId + " is incomplete: " + archive.key()
                        + " is no longer in the store (deleted since this restore began: a cumulus-backup-delete"
                        + " of this backup?); restore another backup", e);
            }
            throw new IOException("cannot extract " + archive.key() + ": " + e.getMessage(), e);
        }
    }

    private BackupManifest readManifest(String key) throws IOException {
        try (InputStream in = store.openRead(key)) {
            // the bytes are dropped once decoded: the text and the files are what the restore holds
            return BackupManifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new OperationFailedException(key + ": " + e.getMessage(), e);
        }
    }

    private Map<Tablespace, Path> tablespaceTargets(BackupInfo info, Map<String, Path> relocated) {
        Map<Tablespace, Path> targets = new LinkedHashMap<>();
        for (Tablespace t : info.tablespaces()) {
            Path target = relocated.get(t.name());
            targets.put(t, target != null ? target.toAbsolutePath().normalize() : Path.of(t.location()));
        }
        for (String name : new TreeMap<>(relocated).keySet()) {
            if (info.tablespaces().stream().noneMatch(t -> t.name().equals(name))) {
                listener.warning("the backup has no tablespace named '" + name + "': --tablespace "
                        + name + " ignored");
            }
        }
        return targets;
    }

    /**
     * Parts 0 to the last one listed, without a gap. A missing last part cannot be told from here:
     * nothing records how many there were (the data series' last holds backup_label, checked after).
     */
    private static void requireSeries(BackupCatalog.Entry backup, List<Stored> archives, String series,
            String prefix) throws OperationFailedException {
        List<Stored> parts = archives.stream().filter(a -> a.series().equals(series)).toList();
        String suffix = parts.isEmpty() ? "" : parts.get(0).compression().suffix();
        int expected = 0;
        for (Stored part : parts) {
            if (part.part() > expected) {
                break;
            }
            expected = Math.max(expected, part.part() + 1);
        }
        if (parts.isEmpty() || expected <= parts.get(parts.size() - 1).part()) {
            throw new OperationFailedException("backup " + backup.id() + " is incomplete: " + partName(series,
                    expected, suffix) + " is missing from " + prefix);
        }
    }

    private static String partName(String series, int part, String suffix) {
        return series + (part == 0 ? "" : String.format(java.util.Locale.ROOT, "_%04d", part)) + ".tar" + suffix;
    }

    /**
     * The backup_label that was extracted must be this backup's: PostgreSQL replays from its START WAL
     * LOCATION, so one from another backup's stray last part (two barman-cloud-backup runs under one id, a
     * copy left behind), taken in place of this one's when archives overlap, would start recovery at another
     * checkpoint and silently skip WAL; without a backup_manifest (every barman-cloud backup) nothing else
     * notices. backup.info's begin_xlog is that location; a backup.info without it is not checked.
     */
    private static void checkLabelIsThisBackups(BackupId id, BackupInfo info, Path label) throws IOException {
        if (info.beginXlog() == null) {
            return;
        }
        for (String line : Files.readAllLines(label, StandardCharsets.UTF_8)) {
            if (line.startsWith("START WAL LOCATION: ")) {
                String start = line.substring("START WAL LOCATION: ".length()).split(" ", 2)[0];
                if (BackupCatalog.parseLsn(start) != BackupCatalog.parseLsn(info.beginXlog())) {
                    throw new OperationFailedException("backup " + id + "'s data archives hold another backup's"
                            + " backup_label (START WAL LOCATION: " + start + ", where backup.info's begin_xlog is "
                            + info.beginXlog() + "): an archive of another backup is among this one's (two backups"
                            + " written under one id?); remove the parts that do not belong (the last data part holds"
                            + " backup_label), or restore another backup");
                }
                return;
            }
        }
    }

    /** The name of the last part of {@code series}. */
    private static String lastPart(List<Stored> archives, String series) {
        Stored last = null;
        for (Stored a : archives) {
            if (a.series().equals(series)) {
                last = a;
            }
        }
        return last == null ? series + ".tar" : partName(series, last.part(), last.compression().suffix());
    }

    /**
     * Two tablespaces in one directory, or a tablespace and the data directory, would mix their files,
     * but for a tablespace that was inside the data directory (made there, which PostgreSQL only warns
     * about) and goes to the same place inside the destination (restored in place, say): it is
     * restored there, as barman-cloud-restore does, from its own archive, its copy in the data
     * directory's archive skipped. Anywhere else inside the destination it would take the place of
     * the data directory's own files. Paths are compared as the file system resolves them, symbolic
     * links followed: a LOCATION that is a link to another's directory shares it all the same.
     *
     * @return the directories of the tablespaces restored inside the destination, relative to it: their
     *     members in the data directory's archives are skipped
     */
    private static List<String> checkDistinct(BackupInfo info, Path destination, Map<Tablespace, Path> tablespaces)
            throws OperationFailedException {
        Path data = realPath(destination);
        Path pgdata = info.pgdata() == null ? null : Path.of(info.pgdata()).normalize();
        List<Path> seen = new ArrayList<>();
        List<String> inside = new ArrayList<>();
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            Path target = realPath(t.getValue());
            Path location = Path.of(t.getKey().location()).normalize();
            boolean asInTheBackup = target.startsWith(data) && !target.equals(data) && pgdata != null
                    && location.startsWith(pgdata) && !location.equals(pgdata)
                    && data.relativize(target).equals(pgdata.relativize(location));
            if ((target.startsWith(data) && !asInTheBackup) || data.startsWith(target) || seen.stream().anyMatch(
                    other -> other.startsWith(target) || target.startsWith(other))) {
                Path given = t.getValue().toAbsolutePath().normalize();
                throw new OperationFailedException("the directory of tablespace " + t.getKey().name() + ", "
                        + given + (given.equals(target) ? "" : " (" + target + " once symbolic links are followed)")
                        + ", overlaps the data directory or another tablespace's: give it a directory"
                        + " of its own outside the data directory with --tablespace " + t.getKey().name()
                        + ":DIR; nothing was restored");
            }
            if (asInTheBackup) {
                inside.add(data.relativize(target).toString());
            }
            seen.add(target);
        }
        return inside;
    }

    /**
     * {@code path} absolute and normalized, with the symbolic links of its deepest existing ancestor
     * resolved and the rest, which does not exist yet, appended: the directory the restore will write.
     */
    static Path realPath(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        for (Path existing = absolute; existing != null; existing = existing.getParent()) {
            if (Files.exists(existing)) {
                try {
                    return existing.toRealPath().resolve(existing.relativize(absolute));
                } catch (IOException e) {
                    return absolute; // gone or unreadable since: the checks that follow say what is wrong
                }
            }
        }
        return absolute;
    }

    /** @throws OperationFailedException when {@code dir} exists and is not an empty directory */
    private static void checkEmpty(Path dir, String what) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new OperationFailedException(what + " " + dir + " exists and is not a directory");
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
                if (names.size() > 1) {
                    break;
                }
            }
        }
        if (names.equals(List.of("lost+found"))) {
            // a freshly made file system's root, which PostgreSQL does not take as a data directory or a
            // tablespace either: a directory below it is what it expects
            throw new OperationFailedException(what + " " + dir + " holds lost+found: it is a mount point; give a"
                    + " directory below it instead (" + dir.resolve("pgdata") + "), as PostgreSQL expects; nothing was"
                    + " restored");
        }
        if (!names.isEmpty()) {
            throw new OperationFailedException(what + " " + dir + " is not empty; nothing was restored");
        }
    }

    /**
     * A directory that exists must be the restoring user's, as the restore makes it 0700 (PostgreSQL's
     * rule), which only its owner may; one that does not must be one it can create. Checked before
     * anything is created, so that the tablespace directories are not made for a data directory that
     * then fails. Root may do both.
     */
    private void checkUsable(Path dir, String what) throws IOException {
        if (user.isRoot() || user.uid().isEmpty()) {
            return; // without /proc, the restore's own calls fail as they come
        }
        String name = user.name();
        if (Files.isDirectory(dir)) {
            if (((Number) Files.getAttribute(dir, "unix:uid")).intValue() != user.uid().getAsInt()) {
                String owner = Files.getOwner(dir).getName();
                throw new IOException("cannot set mode 0700 on " + what + " " + dir + ", as PostgreSQL requires: it"
                        + " is owned by " + owner + ", not by " + name + ", who runs cumulus-restore; give it to " + name
                        + " (as root: chown " + ShellWords.quote(name + ":") + " "
                        + ShellWords.quote(dir.toString()) + ") and run cumulus-restore again; nothing was"
                        + " restored");
            }
            return;
        }
        List<Path> missing = missingAncestors(dir);
        Path parent = (missing.isEmpty() ? dir.toAbsolutePath() : missing.get(0)).getParent();
        if (parent != null && !(Files.isWritable(parent) && Files.isExecutable(parent))) {
            throw new IOException("cannot create " + what + " " + dir + ": " + name + ", who runs cumulus-restore,"
                    + " may not write in " + parent + "; create it for " + name + " (as root: mkdir -p "
                    + ShellWords.quote(dir.toString()) + " && chown " + ShellWords.quote(name + ":") + " "
                    + ShellWords.quote(dir.toString()) + ") and run cumulus-restore again; nothing was restored");
        }
    }

    /**
     * Creates {@code dir} and its missing parents and makes it 0700; each directory created, and {@code
     * dir} itself, goes to {@code owner}.
     */
    private static void createPrivateDirectory(Path dir, String what, RestoredOwner owner) throws IOException {
        List<Path> missing = missingAncestors(dir);
        Files.createDirectories(dir);
        for (Path created : missing) {
            owner.give(created);
        }
        // the directory a location names, not a link the DBA made to it (a mount point's): PostgreSQL enters it
        owner.give(dir.toRealPath());
        setPrivate(dir, what);
    }

    /** The ancestors of {@code dir} that do not exist, outermost first: those a restore creates for it. */
    private static List<Path> missingAncestors(Path dir) {
        List<Path> missing = new ArrayList<>();
        for (Path p = dir.toAbsolutePath().getParent(); p != null && !Files.exists(p); p = p.getParent()) {
            missing.add(0, p);
        }
        return missing;
    }

    private static void setPrivate(Path dir, String what) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PrivateFiles.DIRECTORY_MODE);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to tighten.
        } catch (java.nio.file.FileSystemException e) {
            throw LocalWriteException.wrap(e, "cannot set mode 0700 on " + what + " " + dir + ", as PostgreSQL"
                    + " requires", TarExtractor.WHEN_FULL);
        }
    }

}
