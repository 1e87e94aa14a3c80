package io.cumulus.storage.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.UnfinishedWrites;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.BlobStoreContractTest;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlobStoreTest extends BlobStoreContractTest {

    @TempDir
    Path temp;

    private Path root() {
        return temp.resolve("store");
    }

    @Override
    protected BlobStore createStore() throws IOException {
        Files.createDirectories(root());
        return FileBlobStores.open(new FileStoreConfig(root()));
    }

    @Override
    protected BlobStore createStoreWithMissingContainer() {
        return FileBlobStores.open(new FileStoreConfig(temp.resolve("not-mounted")));
    }

    @Test
    void missingRootIsReportedWithAHintAndNeverCreated() throws IOException {
        Path missing = temp.resolve("nfs/backups");
        try (BlobStore store = FileBlobStores.open(new FileStoreConfig(missing))) {
            ContainerNotFoundException e = assertThrows(ContainerNotFoundException.class, store::checkAvailable);
            assertTrue(e.getMessage().contains("create it, or mount"), e.getMessage());
            assertThrows(ContainerNotFoundException.class, () -> store.openWrite("a/b", WriteOptions.DEFAULT));
        }
        assertFalse(Files.exists(missing));
    }

    /**
     * A URL naming an NFS mount point itself: with the share not mounted, the empty mount-point
     * directory is there on the local disk. /etc/fstab says a file system belongs there, and
     * /proc/self/mounts that none is: writes must not land on the local disk, and reads must not
     * answer "absent" (for wal-restore, the end of the archive).
     */
    @Test
    void aMountPointThatFstabDeclaresButNothingIsMountedOnIsAMissingStore() throws IOException {
        write("srv/wals/0000000100000000/000000010000000000000001", bytes(10, 1));
        Path fstab = Files.writeString(temp.resolve("fstab"), "# comment\nUUID=1234 / ext4 defaults 0 1\n"
                + "nas:/export/pg " + root().toString().replace(" ", "\\040") + " nfs defaults,_netdev 0 0\n"
                + "/dev/sdb none swap sw 0 0\n");
        Path mounts = Files.writeString(temp.resolve("mounts"), "/dev/sda1 / ext4 rw 0 0\n");
        try (BlobStore unmounted = new FileBlobStore(root(), new MountPoints(fstab, mounts))) {
            ContainerNotFoundException e = assertThrows(ContainerNotFoundException.class, unmounted::checkAvailable);
            assertTrue(e.getMessage().contains("is on " + root() + ", which " + fstab + " mounts, but nothing is"
                    + " mounted there: mount it"), e.getMessage());
            assertThrows(ContainerNotFoundException.class, () -> unmounted.openWrite("srv/x", WriteOptions.DEFAULT));
            assertThrows(ContainerNotFoundException.class, () -> unmounted.stat("srv/wals/absent"));
            assertThrows(ContainerNotFoundException.class, () -> unmounted.openRead("srv/wals/absent"));
            assertThrows(ContainerNotFoundException.class, () -> unmounted.list("srv/"));
        }
        Files.writeString(mounts, "nas:/export/pg " + root().toString().replace(" ", "\\040") + " nfs4 rw 0 0\n",
                StandardOpenOption.APPEND);
        try (BlobStore mounted = new FileBlobStore(root(), new MountPoints(fstab, mounts))) {
            mounted.checkAvailable();
            assertEquals(Optional.empty(), mounted.stat("srv/wals/absent"));
            assertTrue(mounted.list("srv/").hasNext());
        }
    }

    @Test
    void aMountAboveTheStoreThatIsMissingIsFoundToo() throws IOException {
        Path fstab = Files.writeString(temp.resolve("fstab"), "nas:/export " + temp + " nfs defaults 0 0\n");
        Path mounts = Files.writeString(temp.resolve("mounts"), "/dev/sda1 / ext4 rw 0 0\n");
        try (BlobStore unmounted = new FileBlobStore(root(), new MountPoints(fstab, mounts))) {
            assertThrows(ContainerNotFoundException.class, unmounted::checkAvailable);
        }
    }

    /** fstab may name the mount point through a link; the kernel lists it where the link leads. */
    @Test
    void aMountPointFstabNamesThroughALinkIsFoundMounted() throws IOException {
        Path link = Files.createSymbolicLink(temp.resolve("backups"), root());
        Path fstab = Files.writeString(temp.resolve("fstab"), "nas:/export/pg " + link + " nfs defaults 0 0\n");
        Path mounts = Files.writeString(temp.resolve("mounts"), "nas:/export/pg " + root() + " nfs4 rw 0 0\n");
        try (BlobStore mounted = new FileBlobStore(link, new MountPoints(fstab, mounts))) {
            mounted.checkAvailable();
        }
    }

    /** The embedded default, a plain local directory, is never refused: fstab says nothing about it, or cannot be read. */
    @Test
    void aDirectoryFstabDoesNotMentionIsUsedAsItIs() throws IOException {
        Path fstab = Files.writeString(temp.resolve("fstab"), "UUID=1 / ext4 defaults 0 1\n"
                + "nas:/export " + temp.resolve("elsewhere") + " nfs defaults 0 0\n");
        Path mounts = Files.writeString(temp.resolve("mounts"), "/dev/sda1 / ext4 rw 0 0\n");
        for (MountPoints table : List.of(new MountPoints(fstab, mounts),
                new MountPoints(temp.resolve("no-fstab"), mounts), new MountPoints(fstab, temp.resolve("no-proc")))) {
            try (BlobStore local = new FileBlobStore(root(), table)) {
                local.checkAvailable();
                writeTo(local, "srv/x", bytes(5, 9));
            }
        }
    }

    @Test
    void fstabEscapesAreRead() {
        assertEquals("/mnt/pg backups\tx\\", MountPoints.unescape("/mnt/pg\\040backups\\011x\\134"));
        assertEquals("/mnt/a\\b", MountPoints.unescape("/mnt/a\\b"));
    }

    @Test
    void objectsAndDirectoriesGetTheSamePermissionsAsAnyNewFile() throws IOException {
        write("srv/wals/0000000100000000/000000010000000000000001", bytes(10, 1));
        Path referenceFile = Files.createFile(temp.resolve("reference-file"));
        Path referenceDir = Files.createDirectory(temp.resolve("reference-dir"));
        assertEquals(Files.getPosixFilePermissions(referenceFile),
                Files.getPosixFilePermissions(root().resolve("srv/wals/0000000100000000/000000010000000000000001")));
        assertEquals(Files.getPosixFilePermissions(referenceDir),
                Files.getPosixFilePermissions(root().resolve("srv/wals")));
    }

    /**
     * A base backup made from cron (umask 022) into a private store must stay private: the group and
     * others get no right on a new entry that the store's directory does not give them.
     */
    @Test
    void newEntriesGetNoMoreRightsForGroupAndOthersThanTheStoreDirectoryGives() throws IOException {
        Set<PosixFilePermission> umaskFile = Files.getPosixFilePermissions(
                Files.createFile(temp.resolve("reference-file")));
        Set<PosixFilePermission> umaskDir = Files.getPosixFilePermissions(
                Files.createDirectory(temp.resolve("reference-dir")));
        // it finds something only under a umask that leaves others a right (cron's 022, Debian's default)
        assumeTrue(umaskFile.contains(PosixFilePermission.OTHERS_READ), "this JVM's umask leaves nothing to take");
        for (String rootMode : List.of("rwx------", "rwxr-x---", "rwxrwx---", "rwxr-xr-x", "rwxrwxrwx")) {
            Path root = Files.createDirectory(temp.resolve("store-" + rootMode));
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString(rootMode));
            try (BlobStore store = FileBlobStores.open(new FileStoreConfig(root))) {
                writeTo(store, "srv/base/20261207T020000/data.tar", bytes(10, 1));
            }
            Set<PosixFilePermission> file = EnumSet.copyOf(umaskFile);
            file.retainAll(PosixFilePermissions.fromString(rootMode.replace('x', '-')));
            Set<PosixFilePermission> dir = EnumSet.copyOf(umaskDir);
            dir.retainAll(PosixFilePermissions.fromString(rootMode));
            assertEquals(PosixFilePermissions.toString(file), PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(root.resolve("srv/base/20261207T020000/data.tar"))), rootMode);
            for (String d : List.of("srv", "srv/base", "srv/base/20261207T020000")) {
                assertEquals(PosixFilePermissions.toString(dir), PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(root.resolve(d))), rootMode + " " + d);
            }
        }
    }

    /**
     * A cumulus-backup in root's crontab writing into postgres's store: what it creates is postgres's,
     * so postgres's archive_command can still write into a directory root created, and postgres's tools
     * read the backup.
     */
    @Test
    void whatRootCreatesInAnotherUsersStoreIsThatUsersAndWhatThatUserCreatesStaysItsOwn() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "only root may give files away");
        Path root = Files.createDirectory(temp.resolve("daemons-store"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-x---")));
        UserPrincipalLookupService users = root.getFileSystem().getUserPrincipalLookupService();
        PosixFileAttributeView rootView = Files.getFileAttributeView(root, PosixFileAttributeView.class);
        rootView.setOwner(users.lookupPrincipalByName("daemon"));
        rootView.setGroup(users.lookupPrincipalByGroupName("daemon"));
        try (BlobStore store = FileBlobStores.open(new FileStoreConfig(root))) {
            writeTo(store, "srv/base/20261207T020000/data.tar", bytes(10, 1));
            try (BlobOutputStream out = store.openWrite("srv/base/20261207T020000/backup.info",
                    WriteOptions.DEFAULT.withIfAbsent(true))) {
                out.write(bytes(10, 2));
            }
        }
        for (String entry : List.of("srv", "srv/base", "srv/base/20261207T020000",
                "srv/base/20261207T020000/data.tar", "srv/base/20261207T020000/backup.info")) {
            PosixFileAttributes a = Files.readAttributes(root.resolve(entry), PosixFileAttributes.class);
            assertEquals("daemon", a.owner().getName(), entry);
            assertEquals("daemon", a.group().getName(), entry);
        }
        Path own = Files.createDirectory(temp.resolve("roots-store"));
        try (BlobStore store = FileBlobStores.open(new FileStoreConfig(own))) {
            writeTo(store, "srv/x", bytes(10, 3));
        }
        assertEquals("root", Files.getOwner(own.resolve("srv/x")).getName());
    }

    @Test
    void deletingTheLastObjectRemovesItsEmptyDirectoriesButNotTheRoot() throws IOException {
        write("srv/base/b1/data.tar", bytes(10, 2));
        store.delete("srv/base/b1/data.tar");
        assertFalse(Files.exists(root().resolve("srv")));
        assertTrue(Files.isDirectory(root()));
    }

    @Test
    void leftoverTemporaryFilesAreNeverListed() throws IOException {
        write("srv/wals/a", bytes(10, 3));
        Files.write(root().resolve("srv/wals/" + FileBlobStore.TEMP_PREFIX + "a.1234"), new byte[5]);
        Files.createDirectories(root().resolve("srv/empty-after-crash"));
        assertEquals(List.of("srv/wals/a"), listKeys(""));
        assertEquals(List.of("srv/wals/"), store.listPrefixes("srv/"));
    }

    /**
     * A writer killed with kill -9 (or by the OOM killer, or a reboot) leaves its temporary file, as
     * large as the archive it was writing; once a day old, it goes with the last object of its
     * directory, and so does the directory, instead of stopping the prune there forever.
     */
    @Test
    void staleTemporaryFilesGoWithTheLastObjectOfTheirDirectory() throws IOException {
        write("srv/base/b1/data.tar", bytes(10, 2));
        write("srv/base/b2/data.tar", bytes(10, 3));
        Path crashed = root().resolve("srv/base/b1/" + FileBlobStore.TEMP_PREFIX + "data_0001.tar.0123456789abcdef");
        Files.write(crashed, new byte[100]);
        Files.setLastModifiedTime(crashed, FileTime.from(Instant.now().minus(FileBlobStore.STALE_TEMPORARY_FILE_AGE)
                .minus(Duration.ofMinutes(1))));
        store.delete("srv/base/b1/data.tar");
        assertFalse(Files.exists(root().resolve("srv/base/b1")));
        assertTrue(Files.exists(root().resolve("srv/base/b2/data.tar")));
    }

    /**
     * A writer killed during the first archive of a backup leaves a directory holding only its temporary
     * file: no listing shows it and no object's delete ever prunes it, so the store names it as an
     * unfinished write, with its size and date, for the caller to judge and remove with its directory.
     */
    @Test
    void aDirectoryHoldingOnlyATemporaryFileIsNamedAsAnUnfinishedWriteAndRemovedWithIt() throws IOException {
        write("srv/base/b2/data.tar", bytes(10, 3));
        Files.createDirectories(root().resolve("srv/base/b1"));
        Path killed = root().resolve("srv/base/b1/" + FileBlobStore.TEMP_PREFIX + "data.tar.0123456789abcdef");
        Files.write(killed, new byte[100]);
        Instant written = Instant.now().minus(Duration.ofDays(2)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Files.setLastModifiedTime(killed, FileTime.from(written));
        assertEquals(List.of(), store.listPrefixes("srv/base/").stream().filter(p -> p.endsWith("b1/")).toList());

        UnfinishedWrites unfinished = (UnfinishedWrites) store;
        List<BlobInfo> found = unfinished.unfinishedWrites("srv/base/");
        assertEquals(List.of(new BlobInfo("srv/base/b1/" + killed.getFileName(), 100, written, null)), found);
        assertEquals(List.of(), unfinished.unfinishedWrites("srv/base/b2/"));
        assertEquals(List.of(), unfinished.unfinishedWrites("srv/nothing/"));

        unfinished.deleteUnfinishedWrite(found.get(0).key());
        assertFalse(Files.exists(root().resolve("srv/base/b1")), "the directory goes with its last entry");
        assertTrue(Files.exists(root().resolve("srv/base/b2/data.tar")));
        unfinished.deleteUnfinishedWrite(found.get(0).key()); // absent: removed already
        assertThrows(IllegalArgumentException.class, () -> unfinished.deleteUnfinishedWrite("srv/base/b2/data.tar"),
                "an object is no unfinished write");
    }

    /** A temporary file written to recently may be a write in progress: it stays, and so does its directory. */
    @Test
    void recentTemporaryFilesAreLeftToTheirWriter() throws IOException {
        write("srv/base/b1/data.tar", bytes(10, 2));
        BlobOutputStream open = store.openWrite("srv/base/b1/data_0001.tar", WriteOptions.DEFAULT);
        open.write(bytes(100, 3));
        Path stale = root().resolve("srv/base/b1/" + FileBlobStore.TEMP_PREFIX + "backup.info.0123456789abcdef");
        Files.write(stale, new byte[10]);
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(30))));
        store.delete("srv/base/b1/data.tar");
        assertTrue(Files.exists(stale));
        open.close();
        assertEquals(List.of("srv/base/b1/data_0001.tar"), listKeys(""));
    }

    @Test
    void abortedWriteRemovesItsTemporaryFile() throws IOException {
        BlobOutputStream out = store.openWrite("srv/x", WriteOptions.DEFAULT);
        out.write(bytes(100, 4));
        out.abort();
        try (Stream<Path> files = Files.walk(root())) {
            assertEquals(List.of(root(), root().resolve("srv")), files.sorted().toList());
        }
    }

    /** A full store's bare "No space left on device" names the object, its temporary file and what to free. */
    @Test
    void aWriteFailureNamesTheObjectAndWhereToFreeSpace() {
        Path root = temp.resolve("store");
        Path tmp = root.resolve("main/wals/.cumulus-tmp-000000010000000000000001.ab");
        IOException full = FileBlobStore.writeFailure(new IOException("No space left on device"),
                "file:///store/main/wals/000000010000000000000001", tmp, root);
        assertEquals("cannot write file:///store/main/wals/000000010000000000000001 (through " + tmp
                + "): No space left on device; free space on the file system of " + root
                + " (or raise the quota), then try again", full.getMessage());
        IOException other = FileBlobStore.writeFailure(new FileSystemException(tmp.toString(), null, "Input/output error"),
                "file:///store/k", tmp, root);
        assertEquals("cannot write file:///store/k (through " + tmp + "): Input/output error", other.getMessage());
    }

    @Test
    void keysThatCouldLeaveTheRootAreRejected() {
        for (String key : List.of("../outside", "a/../../outside", "a/./b", "/absolute", "a//b", "a/",
                FileBlobStore.TEMP_PREFIX + "x")) {
            assertThrows(IllegalArgumentException.class, () -> store.openWrite(key, WriteOptions.DEFAULT), key);
            assertThrows(IllegalArgumentException.class, () -> store.stat(key), key);
        }
    }

    @Test
    void racingIfAbsentCreatesLetExactlyOneWin() throws Exception {
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                byte[] data = bytes(1000, 100 + i);
                Callable<Boolean> writer = () -> {
                    BlobOutputStream out = store.openWrite("wal/race", WriteOptions.DEFAULT.withIfAbsent(true));
                    out.write(data);
                    start.await();
                    try {
                        out.close();
                        return true;
                    } catch (FileAlreadyExistsException e) {
                        return false;
                    }
                };
                results.add(pool.submit(writer));
            }
            start.countDown();
            int winners = 0;
            for (Future<Boolean> result : results) {
                try {
                    winners += result.get() ? 1 : 0;
                } catch (ExecutionException e) {
                    throw new AssertionError(e.getCause());
                }
            }
            assertEquals(1, winners);
            assertEquals(List.of("wal/race"), listKeys(""));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Each delete of the only object in {@code race/dir/} prunes the directory (and {@code race/}) while
     * the other threads are creating them for their own writes: every write must still land.
     */
    @Test
    void writesRacingDeletesInTheSameDirectoryAllSucceed() throws Exception {
        int threads = 4;
        int rounds = 1500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            Queue<IOException> failures = new ConcurrentLinkedQueue<>();
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String name = "race/dir/t" + t + "-";
                results.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        try {
                            write(name + i, bytes(10, i));
                            store.delete(name + i);
                        } catch (IOException e) {
                            failures.add(e);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> result : results) {
                result.get();
            }
            assertEquals(List.of(), failures.stream().map(Throwable::toString).toList(),
                    failures.size() + " of " + threads * rounds + " write-and-delete rounds failed");
            assertEquals(List.of(), listKeys(""));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A file where a directory should be (ENOTDIR) reaches Java as a plain FileSystemException whose
     * reason is strerror's text, translated under a French or German locale; what the store makes of
     * it must not depend on that text. Shown here with the reason such a locale gives.
     */
    @Test
    void aFileWhereADirectoryShouldBeMeansAbsentInAnyLanguage() throws IOException {
        write("a/b", bytes(1, 8));
        FileBlobStore files = (FileBlobStore) store;
        Path underAnObject = root().resolve("a/b/c");
        assertTrue(files.isAbsence(new FileSystemException(underAnObject.toString(), null,
                "N'est pas un répertoire"), underAnObject));
        assertTrue(files.isAbsence(new FileSystemException(root().resolve("a/b/c/d").toString(), null,
                "Ist kein Verzeichnis"), root().resolve("a/b/c/d")));
        Path underADirectory = root().resolve("a/x");
        assertFalse(files.isAbsence(new FileSystemException(underADirectory.toString(), null,
                "Erreur d'entrée/sortie"), underADirectory));
        assertEquals(Optional.empty(), store.stat("a/b/c"));
        assertThrows(FileNotFoundException.class, () -> store.openRead("a/b/c"));
        assertEquals(List.of(), listKeys("a/b/c/"));
    }

    @Test
    void aKeyCannotBeBothAnObjectAndAPrefix() throws IOException {
        write("a/b", bytes(1, 5));
        assertThrows(IOException.class, () -> write("a/b/c", bytes(1, 6)));
        assertThrows(IOException.class, () -> write("a", bytes(1, 7)));
        assertEquals(List.of("a/b"), listKeys(""));
    }

    private static void writeTo(BlobStore target, String key, byte[] data) throws IOException {
        try (BlobOutputStream out = target.openWrite(key, WriteOptions.DEFAULT)) {
            out.write(data);
        }
    }
}
