package io.cumulus.core.restore;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.io.PrivateFiles;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restores one base backup from the store into a data directory and its tablespace directories, as
 * barman-cloud-restore does (reference §7), with the archives downloaded and extracted in parallel,
 * streaming, and every file checked against the backup's manifest while it is written when there is
 * one. Refuses to start when a destination holds anything, and then touches nothing.
 */
public final class BaseRestore {

    /** {@code <series>[_NNNN].tar[.ext]}: series {@code data} or a tablespace OID (reference §2.3). */
    private static final Pattern ARCHIVE = Pattern.compile("(data|[0-9]+)(?:_([0-9]{4,}))?\\.tar(\\..+)?");

    private static final String MANIFEST = "backup_manifest";

    private final BlobStore store;
    private final ServerLayout layout;
    private final int jobs;
    private final RestoreListener listener;
    private final Duration resumePause;

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
        this.resumePause = resumePause;
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1");
        }
        this.store = store;
        this.layout = layout;
        this.jobs = jobs;
        this.listener = listener;
    }

    /** One archive object and where it goes. */
    private record Archive(String key, String series, int part, Compression compression, Path target,
            String manifestPrefix) {
    }

    /**
     * Restores {@code backup} into {@code destination}, tablespaces into their {@code relocated}
     * directory (by name) or else where they were.
     *
     * @throws OperationFailedException when a destination is not empty, an archive is missing, or a
     *     file does not match the manifest
     */
    public RestoreOutcome restore(BackupCatalog.Entry backup, Path destination, Map<String, Path> relocated)
            throws IOException {
        long start = System.nanoTime();
        BackupInfo info = backup.info();
        if (info.snapshotsInfo() != null) {
            throw new OperationFailedException("backup " + backup.id() + " is a snapshot backup, which"
                    + " cumulus-restore does not restore");
        }
        Map<Tablespace, Path> tablespaces = tablespaceTargets(info, relocated);
        checkDistinct(destination, tablespaces);
        checkEmpty(destination, "the destination directory");
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            checkEmpty(t.getValue(), "the directory of tablespace " + t.getKey().name());
        }

        String prefix = layout.backupPrefix(backup.id().value());
        List<Archive> archives = new ArrayList<>();
        boolean hasManifest = false;
        Map<String, Tablespace> byOid = new LinkedHashMap<>();
        tablespaces.keySet().forEach(t -> byOid.put(Long.toString(t.oid()), t));
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
            Optional<Compression> compression = m.group(3) == null ? Optional.of(Compression.NONE)
                    : Compression.ofSuffix(m.group(3)).filter(c -> c.suffix().equals(m.group(3)));
            if (compression.isEmpty()) {
                listener.warning("skipping " + blob.key() + ": unknown compression '" + m.group(3) + "'");
                continue;
            }
            int part = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
            if (series.equals("data")) {
                archives.add(new Archive(blob.key(), series, part, compression.get(), destination, ""));
            } else if (byOid.containsKey(series)) {
                archives.add(new Archive(blob.key(), series, part, compression.get(),
                        tablespaces.get(byOid.get(series)), "pg_tblspc/" + series + "/"));
            } else {
                listener.warning("skipping " + blob.key() + ": backup.info lists no tablespace with OID " + series);
            }
        }
        requireSeries(archives, "data", prefix);
        for (String oid : byOid.keySet()) {
            requireSeries(archives, oid, prefix);
        }
        // The largest series first would be better; data first and parts in order is what barman does.
        archives.sort(Comparator.comparing((Archive a) -> !a.series().equals("data")).thenComparing(Archive::series)
                .thenComparingInt(Archive::part));

        RestoreVerifier verifier = new RestoreVerifier(hasManifest ? readManifest(prefix + MANIFEST) : null);

        createPrivateDirectory(destination);
        for (Path target : tablespaces.values()) {
            createPrivateDirectory(target);
        }
        AtomicLong files = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        extractAll(archives, verifier, (path, size) -> {
            files.incrementAndGet();
            bytes.addAndGet(size);
            listener.fileRestored(path, size);
        }, destination, !tablespaces.isEmpty());
        verifier.checkComplete();

        Path tblspc = destination.resolve("pg_tblspc");
        Files.createDirectories(tblspc);
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            Path link = tblspc.resolve(Long.toString(t.getKey().oid()));
            if (Files.isSymbolicLink(link)) {
                Files.delete(link);
            }
            Files.createSymbolicLink(link, t.getValue().toAbsolutePath());
        }
        boolean beforeTen = info.version() != null && info.version() < 100000;
        Path wal = destination.resolve(beforeTen ? "pg_xlog" : "pg_wal");
        if (!Files.exists(wal, LinkOption.NOFOLLOW_LINKS)) {
            createPrivateDirectory(wal);
        }
        // PostgreSQL refuses to start on a data directory others can read or write.
        setPrivate(destination);
        return new RestoreOutcome(files.get(), bytes.get(), archives.size(), verifier.verifying(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    private void extractAll(List<Archive> archives, RestoreVerifier verifier, TarExtractor.Listener counter,
            Path destination, boolean tablespaces) throws IOException {
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
                        extract(archive, verifier, counter, failed, destination, tablespaces);
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

    private void extract(Archive archive, RestoreVerifier verifier, TarExtractor.Listener counter,
            AtomicBoolean failed, Path destination, boolean tablespaces) throws IOException {
        listener.archiveStarted(archive.key(), archive.target().toString());
        TarExtractor extractor = new TarExtractor(archive.target(), archive.manifestPrefix(), verifier, counter,
                failed::get);
        try (InputStream in = archive.compression().decompress(ResumingRead.open(store, archive.key(), listener,
                resumePause))) {
            extractor.extract(in, archive.key());
            // Python's tarfile pads the stream to a 10 KiB record; reading to the end checks the codec's trailer.
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (OperationFailedException e) {
            throw e;
        } catch (StoreUnavailableException e) {
            throw new StoreUnavailableException(e.getMessage() + "; the restore is incomplete: empty " + destination
                    + (tablespaces ? " and the tablespace directories" : "") + " and run cumulus-restore again", e);
        } catch (IOException e) {
            throw new IOException("cannot extract " + archive.key() + ": " + e.getMessage(), e);
        }
    }

    private BackupManifest readManifest(String key) throws IOException {
        try (InputStream in = store.openRead(key)) {
            return BackupManifest.parse(in.readAllBytes());
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

    private static void requireSeries(List<Archive> archives, String series, String prefix)
            throws OperationFailedException {
        if (archives.stream().noneMatch(a -> a.series().equals(series) && a.part() == 0)) {
            throw new OperationFailedException("the backup is incomplete: no " + series + ".tar archive in "
                    + prefix);
        }
    }

    /** Two tablespaces in one directory, or one inside the data directory, would mix their files. */
    private static void checkDistinct(Path destination, Map<Tablespace, Path> tablespaces)
            throws OperationFailedException {
        Path data = destination.toAbsolutePath().normalize();
        List<Path> seen = new ArrayList<>();
        for (Map.Entry<Tablespace, Path> t : tablespaces.entrySet()) {
            Path target = t.getValue().toAbsolutePath().normalize();
            if (target.startsWith(data) || data.startsWith(target) || seen.stream().anyMatch(
                    other -> other.startsWith(target) || target.startsWith(other))) {
                throw new OperationFailedException("the directory of tablespace " + t.getKey().name() + ", "
                        + target + ", overlaps the data directory or another tablespace's");
            }
            seen.add(target);
        }
    }

    /** @throws OperationFailedException when {@code dir} exists and is not an empty directory */
    private static void checkEmpty(Path dir, String what) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new OperationFailedException(what + " " + dir + " exists and is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            if (entries.iterator().hasNext()) {
                throw new OperationFailedException(what + " " + dir + " is not empty; nothing was restored");
            }
        }
    }

    private static void createPrivateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        setPrivate(dir);
    }

    private static void setPrivate(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PrivateFiles.DIRECTORY_MODE);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to tighten.
        }
    }

}
