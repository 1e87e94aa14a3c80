package io.cumulus.storage.file;

import static java.nio.file.StandardOpenOption.READ;

import io.cumulus.storage.BatchDeleter;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.FullDisk;
import io.cumulus.storage.UnfinishedWrites;
import io.cumulus.storage.WriteOptions;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link BlobStore} in a local directory or NFS mount: one file per object, the key's {@code /}
 * segments as directories. A write goes to a hidden temporary file next to its target, is synced,
 * then renamed into place (or hard-linked, for if-absent creates) and the directory synced, so a
 * reader sees either nothing or the whole object, even after a crash.
 *
 * <p>Unlike S3, a key cannot be both an object and the prefix of other objects ({@code a} and {@code
 * a/b}): the second write fails. Files and directories are created with the process umask and never
 * with more rights for the group or for others than the store's directory gives them, and owned by the
 * directory's owner when root writes (see {@link NewEntries}): a base backup made from root's crontab
 * under umask 022 into postgres's private directory stays private and postgres's.
 */
final class FileBlobStore implements BlobStore, UnfinishedWrites {

    /** Names of in-progress writes; never listed, and no key segment may start with it. */
    static final String TEMP_PREFIX = ".cumulus-tmp-";
    /** See {@link #removeStaleTemporaryFiles(Path)}. */
    static final Duration STALE_TEMPORARY_FILE_AGE = Duration.ofHours(24);

    private static final int BUFFER_SIZE = 64 * 1024;
    /** Each attempt loses only to a prune that ran in the instant between two system calls. */
    private static final int TEMP_CREATE_ATTEMPTS = 10;

    /** An entry of one directory, and how it sorts among its siblings (directories as "name/"). */
    private record Entry(String sortName, Path path, BasicFileAttributes attributes) {}

    private static final Comparator<Entry> ENTRY_ORDER = Comparator.comparing(Entry::sortName, KEY_ORDER);

    private final Path root;
    private final MountPoints mountPoints;
    private final SecureRandom random = new SecureRandom();
    /** The mount points fstab declares on the way to the root, read once; null until then. */
    private volatile List<Path> declaredMounts;
    /** How new entries are created, read from the root at the first write; null until then. */
    private volatile NewEntries newEntries;

    FileBlobStore(Path root, MountPoints mountPoints) {
        this.root = root;
        this.mountPoints = mountPoints;
    }

    @Override
    public InputStream openRead(String key) throws IOException {
        return openChannel(key);
    }

    @Override
    public InputStream openRead(String key, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        InputStream in = openChannel(key, offset);
        return new FilterInputStream(in) {
            private long remaining = length;

            @Override
            public int read() throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    remaining--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return len == 0 ? 0 : -1;
                }
                int n = super.read(b, off, (int) Math.min(len, remaining));
                if (n > 0) {
                    remaining -= n;
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                long skipped = super.skip(Math.min(n, remaining));
                remaining -= skipped;
                return skipped;
            }

            @Override
            public int available() throws IOException {
                return (int) Math.min(super.available(), remaining);
            }
        };
    }

    private InputStream openChannel(String key) throws IOException {
        return openChannel(key, 0);
    }

    private InputStream openChannel(String key, long offset) throws IOException {
        Path path = resolve(key);
        FileChannel channel;
        try {
            if (!Files.readAttributes(path, BasicFileAttributes.class).isRegularFile()) {
                throw new FileNotFoundException(describe(key) + " is a prefix, not an object");
            }
            channel = FileChannel.open(path, READ);
        } catch (FileSystemException e) {
            checkAbsence(e, path);
            FileNotFoundException notFound = new FileNotFoundException(describe(key));
            notFound.initCause(e);
            throw notFound;
        }
        try {
            channel.position(offset);
        } catch (IOException e) {
            closeAfterFailure(channel, e);
            throw e;
        }
        return Channels.newInputStream(channel);
    }

    @Override
    public Optional<BlobInfo> stat(String key) throws IOException {
        Path path = resolve(key);
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            return attributes.isRegularFile() ? Optional.of(info(key, attributes)) : Optional.empty();
        } catch (FileSystemException e) {
            checkAbsence(e, path);
            return Optional.empty();
        }
    }

    @Override
    public BlobOutputStream openWrite(String key, WriteOptions options) throws IOException {
        Path target = resolve(key);
        checkRoot();
        Path directory = target.getParent();
        String name = target.getFileName().toString();
        for (int attempt = 1; ; attempt++) {
            Path temp = directory.resolve(TEMP_PREFIX + name.substring(0, Math.min(name.length(), 64)) + "."
                    + HexFormat.of().formatHex(randomBytes()));
            try {
                createDirectories(directory);
                FileChannel channel = newEntries().createFile(temp);
                return new FileBlobOutputStream(key, target, temp, channel, options.ifAbsent());
            } catch (NoSuchFileException e) {
                // A delete in another process pruned a directory on the way, between our creating (or
                // seeing) it and creating its child: create the missing ones again. Once the temporary
                // file exists, its directory is not empty, and no prune can remove it.
                if (attempt == TEMP_CREATE_ATTEMPTS) {
                    checkRoot();
                    throw e;
                }
            }
        }
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[8];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Creates the directories between the root and {@code directory}, never the root itself. */
    private void createDirectories(Path directory) throws IOException {
        if (directory.equals(root)) {
            checkRoot();
            return;
        }
        if (Files.isDirectory(directory)) {
            return;
        }
        createDirectories(directory.getParent());
        try {
            newEntries().createDirectory(directory);
            syncDirectory(directory.getParent());
        } catch (FileAlreadyExistsException e) {
            // one look, not two: a directory pruned and created again between two looks is no object
            BasicFileAttributes found;
            try {
                found = Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException pruned) {
                // another writer created it and a delete pruned it since: the caller tries again
                throw new NoSuchFileException(directory.toString());
            }
            if (found.isDirectory() || (found.isSymbolicLink() && Files.isDirectory(directory))) {
                return; // another writer created it
            }
            throw new FileSystemException(directory.toString(), null, "an object has the name of this directory");
        } catch (NoSuchFileException e) {
            checkRoot();
            throw e;
        }
    }

    @Override
    public BlobIterator list(String prefix) throws IOException {
        Start start = start(prefix);
        return walk(listDirectory(start.directory(), start.namePrefix()));
    }

    @Override
    public List<String> listPrefixes(String prefix) throws IOException {
        Start start = start(prefix);
        List<String> prefixes = new ArrayList<>();
        for (Entry entry : listDirectory(start.directory(), start.namePrefix())) {
            // an empty directory (left by a crash or an older tool) is no prefix on S3 either
            if (entry.attributes().isDirectory() && containsObject(entry.path())) {
                prefixes.add(keyOf(entry.path()) + "/");
            }
        }
        return prefixes;
    }

    /** The directory a listing starts in, and the start of the names it takes from there. */
    private record Start(Path directory, String namePrefix) {}

    private Start start(String prefix) throws IOException {
        int slash = prefix.lastIndexOf('/');
        String directory = slash < 0 ? "" : prefix.substring(0, slash);
        checkRoot();
        return new Start(directory.isEmpty() ? root : resolve(directory), prefix.substring(slash + 1));
    }

    /** One directory's objects and subdirectories whose names start with {@code namePrefix}, sorted. */
    private List<Entry> listDirectory(Path directory, String namePrefix) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path path : stream) {
                String name = path.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX) || !name.startsWith(namePrefix)) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(path, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue; // deleted while we listed
                }
                if (attributes.isDirectory()) {
                    entries.add(new Entry(name + "/", path, attributes));
                } else if (attributes.isRegularFile()) {
                    entries.add(new Entry(name, path, attributes));
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            checkRoot();
            return List.of();
        } catch (FileSystemException e) {
            if (!isAbsence(e, directory)) {
                throw e;
            }
            checkRoot();
            return List.of();
        }
        entries.sort(ENTRY_ORDER);
        return entries;
    }

    private boolean containsObject(Path directory) throws IOException {
        for (Entry entry : listDirectory(directory, "")) {
            if (!entry.attributes().isDirectory() || containsObject(entry.path())) {
                return true;
            }
        }
        return false;
    }

    /** Walks the tree depth first, each directory sorted, which yields keys in {@link #KEY_ORDER}. */
    private BlobIterator walk(List<Entry> first) {
        Deque<Iterator<Entry>> stack = new ArrayDeque<>();
        stack.push(first.iterator());
        return BlobIterator.from(() -> {
            while (!stack.isEmpty()) {
                Iterator<Entry> top = stack.peek();
                if (!top.hasNext()) {
                    stack.pop();
                    continue;
                }
                Entry entry = top.next();
                if (!entry.attributes().isDirectory()) {
                    return info(keyOf(entry.path()), entry.attributes());
                }
                stack.push(listDirectory(entry.path(), "").iterator());
            }
            return null;
        });
    }

    @Override
    public void delete(String key) throws IOException {
        Path path = resolve(key);
        boolean deleted;
        try {
            if (Files.isDirectory(path)) {
                return; // a prefix of other objects, not an object
            }
            deleted = Files.deleteIfExists(path);
        } catch (FileSystemException e) {
            checkAbsence(e, path);
            return;
        }
        if (!deleted) {
            checkRoot();
            return;
        }
        pruneEmptyParents(path.getParent());
    }

    /**
     * Removes the directories the deleted object leaves empty, up to the root, so that a deleted
     * backup leaves no directory behind for a later listing to trip over. A directory that is not
     * empty (another object, or a write in progress) ends the walk; one that holds only stale
     * temporary files is emptied of them first.
     */
    private void pruneEmptyParents(Path directory) {
        for (Path dir = directory; dir != null && !dir.equals(root) && dir.startsWith(root); dir = dir.getParent()) {
            try {
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException e) {
                    if (!removeStaleTemporaryFiles(dir)) {
                        return;
                    }
                    Files.delete(dir);
                }
            } catch (IOException e) {
                return; // best effort: an empty directory is ignored by listings anyway
            }
        }
    }

    /**
     * Removes the temporary files of {@code directory} when they are all it holds and none was written
     * to for {@link #STALE_TEMPORARY_FILE_AGE}: the leftovers of writers that were killed (kill -9, the
     * OOM killer, a reboot), up to a whole archive each, which nothing else would ever remove. A live
     * writer touches its file with every 64 KiB it writes; the longest it can pause is a backup's wait
     * for WAL archiving at the end (an hour by default), with its last archive open. A day leaves
     * ample room, and were a live writer's file removed anyway, its close would fail (the rename finds
     * no file): a failed write, never a wrong object. Looking stops at the first entry that is not a
     * stale temporary file, so a directory of objects costs one entry or so.
     *
     * @return whether the directory held only such files, now removed
     */
    private boolean removeStaleTemporaryFiles(Path directory) {
        Instant before = Instant.now().minus(STALE_TEMPORARY_FILE_AGE);
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (!entry.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    return false;
                }
                BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (!attributes.isRegularFile() || attributes.lastModifiedTime().toInstant().isAfter(before)) {
                    return false;
                }
                stale.add(entry);
            }
            for (Path file : stale) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            return false;
        }
        return !stale.isEmpty();
    }

    /** The hidden temporary files under {@code prefix}: the only unfinished writes this store has. */
    @Override
    public List<BlobInfo> unfinishedWrites(String prefix) throws IOException {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("invalid prefix '" + prefix + "': empty or ending with '/'");
        }
        Path start = prefix.isEmpty() ? root : resolve(prefix.substring(0, prefix.length() - 1));
        checkRoot();
        List<BlobInfo> found = new ArrayList<>();
        collectTemporaryFiles(start, found);
        found.sort(Comparator.comparing(BlobInfo::key, KEY_ORDER));
        return found;
    }

    private void collectTemporaryFiles(Path directory, List<BlobInfo> found) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException e) {
                    continue; // its write finished (renamed into place) or was aborted while we looked
                }
                if (attributes.isDirectory()) {
                    collectTemporaryFiles(entry, found);
                } else if (attributes.isRegularFile() && entry.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    found.add(info(keyOf(entry), attributes));
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            // not there, or pruned while we looked: nothing unfinished in it
        }
    }

    @Override
    public void deleteUnfinishedWrite(String key) throws IOException {
        int slash = key.lastIndexOf('/');
        String name = key.substring(slash + 1);
        if (!name.startsWith(TEMP_PREFIX) || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + key + "' names no unfinished write");
        }
        Path path = (slash < 0 ? root : resolve(key.substring(0, slash))).resolve(name);
        try {
            if (!Files.deleteIfExists(path)) {
                return;
            }
        } catch (FileSystemException e) {
            checkAbsence(e, path);
            return;
        }
        pruneEmptyParents(path.getParent());
    }

    @Override
    public void deleteAll(Collection<String> keys) throws IOException {
        BatchDeleter.oneByOne(this::delete).deleteAll(keys);
    }

    @Override
    public void checkAvailable() throws IOException {
        checkRoot();
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }

    @Override
    public void close() {
        // holds no open resources: each call opens and closes its own files
    }

    private void checkRoot() throws ContainerNotFoundException {
        if (!Files.isDirectory(root)) {
            throw new ContainerNotFoundException("directory " + root + " does not exist"
                    + (Files.exists(root) ? " (it is not a directory)" : "")
                    + ": create it, or mount the file system that should be there");
        }
        Optional<Path> unmounted = mountPoints.firstUnmounted(declaredMounts());
        if (unmounted.isPresent()) {
            throw new ContainerNotFoundException("directory " + root + " is on " + unmounted.get() + ", which "
                    + mountPoints.fstab() + " mounts, but nothing is mounted there: mount it, or remove its line"
                    + " from " + mountPoints.fstab() + " if the directory is meant to be on this disk");
        }
    }

    private NewEntries newEntries() throws IOException {
        NewEntries entries = newEntries;
        if (entries == null) {
            entries = NewEntries.under(root);
            newEntries = entries;
        }
        return entries;
    }

    /** The mount points fstab declares on the way to the root, as given and with links resolved. */
    private List<Path> declaredMounts() {
        List<Path> declared = declaredMounts;
        if (declared == null) {
            Set<Path> above = new LinkedHashSet<>(mountPoints.declaredAbove(root));
            try {
                above.addAll(mountPoints.declaredAbove(root.toRealPath()));
            } catch (IOException e) {
                // gone since it was seen: the next check reports it
            }
            declared = List.copyOf(above);
            declaredMounts = declared;
        }
        return declared;
    }

    /**
     * Returns normally when a file system failure on {@code path} means the object is absent; rethrows
     * it otherwise, or reports a missing container when the root itself has gone.
     */
    private void checkAbsence(FileSystemException e, Path path) throws IOException {
        if (e instanceof AccessDeniedException || !isAbsence(e, path)) {
            throw e;
        }
        checkRoot();
    }

    /**
     * The failure on {@code path} says that it, or one of its parents, does not exist or is a file
     * ("a/b/c" when "a/b" is an object). A file where a directory should be (ENOTDIR) reaches Java as
     * a plain FileSystemException whose only clue is strerror's text, which a translated locale
     * changes: so that case is told by looking for the file instead.
     */
    boolean isAbsence(FileSystemException e, Path path) {
        if (e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
            return true;
        }
        if (e.getClass() != FileSystemException.class) {
            return false; // access denied, a loop of links...: a real failure whatever the files are
        }
        for (Path parent = path.getParent(); parent != null && parent.startsWith(root) && !parent.equals(root);
                parent = parent.getParent()) {
            if (Files.isRegularFile(parent)) { // as the kernel sees it, through links
                return true;
            }
        }
        return false;
    }

    /**
     * {@code failure} of writing {@code object} into its temporary file {@code temp}, named: the JDK says
     * only "No space left on device", which leaves the DBA (reading PostgreSQL's log, where a full disk is
     * what they fear most) to guess which file system is full. An I/O error still (exit code 4).
     */
    static IOException writeFailure(IOException failure, String object, Path temp, Path root) {
        String reason = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        if (failure instanceof FileSystemException fs && fs.getReason() != null) {
            reason = fs.getReason(); // its message starts with the path, named below
        }
        boolean full = FullDisk.says(reason);
        return new IOException("cannot write " + object + " (through " + temp + "): " + reason
                + (full ? "; free space on the file system of " + root + " (or raise the quota), then try again" : ""),
                failure);
    }

    private String describe(String key) {
        return root.resolve(key).toUri().toString();
    }

    /** The file that holds {@code key}; rejects keys that could name something outside the root. */
    private Path resolve(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.endsWith("/") || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid key '" + key + "'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.startsWith(TEMP_PREFIX)) {
                throw new IllegalArgumentException("invalid key '" + key + "'");
            }
        }
        return root.resolve(key);
    }

    private String keyOf(Path path) {
        // Path uses '/' on every system this runs on; relativize keeps the names as written
        return root.relativize(path).toString();
    }

    private static BlobInfo info(String key, BasicFileAttributes attributes) {
        return new BlobInfo(key, attributes.size(), attributes.lastModifiedTime().toInstant(), null);
    }

    /** Makes a rename or create in {@code directory} durable: without it a crash may forget the name. */
    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, READ)) {
            channel.force(true);
        }
    }

    private static void closeAfterFailure(AutoCloseable closeable, Exception failure) {
        try {
            closeable.close();
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
    }

    /** A writer streams into its temporary file through one buffer. */
    @Override
    public long writeBufferNeed(long size) {
        return Math.min(size, BUFFER_SIZE);
    }

    /** Writes one temporary file and, on close, syncs it and moves it into place. */
    private final class FileBlobOutputStream extends BlobOutputStream {
        private final String key;
        private final Path target;
        private final Path temp;
        private final FileChannel channel;
        private final OutputStream out;
        private final boolean ifAbsent;
        private long written;
        private boolean done;

        FileBlobOutputStream(String key, Path target, Path temp, FileChannel channel, boolean ifAbsent) {
            this.key = key;
            this.target = target;
            this.temp = temp;
            this.channel = channel;
            this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_SIZE);
            this.ifAbsent = ifAbsent;
        }

        @Override
        public void write(int b) throws IOException {
            checkOpen();
            try {
                out.write(b);
            } catch (IOException e) {
                IOException named = writeFailure(e, describe(key), temp, root);
                discard(named);
                throw named;
            }
            written++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            checkOpen();
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                IOException named = writeFailure(e, describe(key), temp, root);
                discard(named);
                throw named;
            }
            written += len;
        }

        @Override
        public void flush() throws IOException {
            // nothing is visible before close, so flushing early buys nothing
        }

        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            try {
                try {
                    out.flush();
                    channel.force(true);
                    channel.close();
                } catch (IOException e) {
                    throw writeFailure(e, describe(key), temp, root);
                }
                if (ifAbsent) {
                    // link() fails if the name exists, atomically; rename() would replace it
                    try {
                        Files.createLink(target, temp);
                    } finally {
                        Files.deleteIfExists(temp);
                    }
                } else {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                }
                syncDirectory(target.getParent());
            } catch (FileAlreadyExistsException e) {
                throw new FileAlreadyExistsException(describe(key), null, "an object already exists");
            } catch (IOException | RuntimeException e) {
                cleanUp(e);
                throw e;
            }
        }

        @Override
        public void abort() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                // the temporary file is hidden from listings; nothing more to do
            }
        }

        @Override
        public long bytesWritten() {
            return written;
        }

        private void checkOpen() throws IOException {
            if (done) {
                throw new IOException("writer of " + describe(key) + " is closed");
            }
        }

        private void discard(IOException failure) {
            done = true;
            cleanUp(failure);
        }

        private void cleanUp(Exception failure) {
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
