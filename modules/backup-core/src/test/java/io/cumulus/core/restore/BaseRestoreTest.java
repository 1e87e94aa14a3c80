package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.backup.BackupListener;
import io.cumulus.core.backup.BackupSettings;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupName;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.StoreUnavailableException;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.file.FileBlobStores;
import io.cumulus.storage.file.FileStoreConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Restores of backups made by the real {@link BaseBackup} pipeline into a file:// store. */
class BaseRestoreTest {

    private static final ServerLayout LAYOUT = new ServerLayout("pfx", "main");
    private static final BackupId ID = new BackupId("20261121T051944");
    private static final String DIR = "pfx/main/base/20261121T051944/";
    /**
     * Who the restores of these tests run as, unless a test says otherwise: a user that owns what it
     * creates, as postgres does, whoever runs the tests (as root, each restore would end with the
     * warning that its files are root's).
     */
    private static final OsUser NOT_ROOT = new OsUser(OptionalInt.empty(), "postgres");

    @TempDir
    Path temp;

    private Path bucket;
    private BlobStore store;
    private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    private final RestoreListener listener = new RestoreListener() {
        @Override
        public void warning(String message) {
            warnings.add(message);
        }
    };

    @BeforeEach
    void openStore() throws IOException {
        bucket = Files.createDirectory(temp.resolve("bucket"));
        store = FileBlobStores.open(new FileStoreConfig(bucket));
    }

    private TestCluster backup(Compression compression, long maxArchiveSize) throws IOException {
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/ts1", 3, 20_000)
                .withDataFiles(6, 30_000);
        backup(cluster, ID, compression, maxArchiveSize, null);
        return cluster;
    }

    private void backup(TestCluster cluster, BackupId id, Compression compression, long maxArchiveSize,
            String name) throws IOException {
        BackupSettings settings = BackupSettings.defaults().withCompression(compression, CompressionLevel.LOW)
                .withMaxArchiveSize(maxArchiveSize);
        if (name != null) {
            settings = settings.withBackupName(new BackupName(name));
        }
        new BaseBackup(store, LAYOUT, settings, BackupListener.NONE).run(id, cluster);
    }

    private RestoreOutcome restore(String wanted, Path destination, Map<String, Path> relocated, int jobs)
            throws IOException {
        BackupCatalog.Entry entry = new BackupCatalog(store, LAYOUT).resolve(wanted, w -> { });
        return new BaseRestore(store, LAYOUT, jobs, listener, Duration.ofSeconds(1), NOT_ROOT).restore(entry,
                destination, relocated);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void restoresEveryArchivePartAndTablespaceVerifiedWhateverTheCompression(Compression compression)
            throws Exception {
        TestCluster cluster = backup(compression, 50_000);
        long parts = Files.list(bucket.resolve(DIR)).filter(p -> p.getFileName().toString().startsWith("data_"))
                .count();
        // Compressors buffer, so only an uncompressed series splits this early for sure.
        assertTrue(compression != Compression.NONE || parts >= 2, "several data parts expected");
        Path pgdata = temp.resolve("restored");
        Path ts = temp.resolve("ts-new");

        RestoreOutcome outcome = restore(ID.value(), pgdata, Map.of("ts1", ts), 3);

        for (TestCluster.Member m : cluster.dataMembers()) {
            assertArrayEquals(m.content(), Files.readAllBytes(pgdata.resolve(m.name())), m.name());
        }
        for (TestCluster.Member m : cluster.tablespaceMembers(16384)) {
            assertArrayEquals(m.content(), Files.readAllBytes(ts.resolve(m.name())), m.name());
        }
        assertEquals(TestCluster.LABEL, Files.readString(pgdata.resolve("backup_label")));
        assertTrue(Files.isSymbolicLink(pgdata.resolve("pg_tblspc/16384")));
        assertEquals(ts.toAbsolutePath(), Files.readSymbolicLink(pgdata.resolve("pg_tblspc/16384")));
        assertArrayEquals(cluster.tablespaceMembers(16384).get(0).content(),
                Files.readAllBytes(pgdata.resolve("pg_tblspc/16384/PG_15_202209061/5/16385")));
        assertTrue(Files.isDirectory(pgdata.resolve("pg_wal")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgdata)));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(pgdata.resolve("base/5/16400"))));
        assertTrue(outcome.verified());
        assertEquals(cluster.dataMembers().size() + 1 + 3, outcome.files());
        assertEquals(List.of(), warnings);
    }

    @Test
    void tablespaceWithoutRuleGoesBackWhereItWas() throws Exception {
        Path original = temp.resolve("original-ts");
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16385, original.toString(), 1, 100)
                .withDataFiles(1, 100);
        backup(cluster, ID, Compression.GZIP, 1L << 30, null);

        restore("latest", temp.resolve("pgdata"), Map.of("nosuch", temp.resolve("x")), 2);

        assertTrue(Files.exists(original.resolve("PG_15_202209061/5/16385")));
        assertEquals(original, Files.readSymbolicLink(temp.resolve("pgdata/pg_tblspc/16385")));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("nosuch"), warnings.toString());
        assertFalse(Files.exists(temp.resolve("x")));
    }

    @Test
    void oneByteChangedInAnArchiveStopsTheRestoreNamingTheFile() throws Exception {
        TestCluster cluster = backup(Compression.NONE, 1L << 30);
        Path archive = bucket.resolve(DIR + "data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        byte[] file = cluster.dataMembers().get(3).content(); // base/5/16402
        int at = indexOf(bytes, java.util.Arrays.copyOf(file, 64)) + 1000;
        bytes[at] ^= 1;
        Files.write(archive, bytes);

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("base/5/16402"), failure.getMessage());
        assertTrue(failure.getMessage().contains("CRC32C"), failure.getMessage());
    }

    @Test
    void corruptTablespaceArchiveIsReportedRatherThanTheCancellationOfTheOthers() throws Exception {
        TestCluster cluster = backup(Compression.NONE, 40_000);
        Path archive = bucket.resolve(DIR + "16384.tar");
        byte[] bytes = Files.readAllBytes(archive);
        int at = indexOf(bytes, java.util.Arrays.copyOf(cluster.tablespaceMembers(16384).get(0).content(), 64));
        bytes[at + 10] ^= 1;
        Files.write(archive, bytes);

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", temp.resolve("ts")), 4));

        assertTrue(failure.getMessage().contains("pg_tblspc/16384/PG_15_202209061/5/16385"), failure.getMessage());
    }

    @Test
    void fileOfTheManifestMissingFromTheArchivesIsAnError() throws Exception {
        TestCluster cluster = new TestCluster().withDataFiles(2, 100).withPhantomInManifest("base/5/99999");
        backup(cluster, ID, Compression.GZIP, 1L << 30, null);

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 2));

        assertTrue(failure.getMessage().contains("missing from the archives: base/5/99999"), failure.getMessage());
    }

    @Test
    void backupWithoutManifestIsRestoredUnverified() throws Exception {
        TestCluster cluster = backup(Compression.BZIP2, 1L << 30);
        store.delete(DIR + "backup_manifest");

        RestoreOutcome outcome = restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", temp.resolve("ts")), 2);

        assertFalse(outcome.verified());
        assertArrayEquals(cluster.dataMembers().get(1).content(),
                Files.readAllBytes(temp.resolve("pgdata/base/5/16400")));
    }

    /** A backup without manifest in several uncompressed data parts, data.tar ... data_NNNN.tar; returns the parts. */
    private List<String> multiPartBackupWithoutManifest() throws IOException {
        backup(Compression.NONE, 50_000);
        store.delete(DIR + "backup_manifest");
        try (var entries = Files.list(bucket.resolve(DIR))) {
            List<String> parts = entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("data"))
                    .sorted().toList();
            assertTrue(parts.size() >= 3, parts.toString());
            return parts;
        }
    }

    @Test
    void missingMiddlePartOfABackupWithoutManifestIsRefusedBeforeAnythingIsRestored() throws Exception {
        multiPartBackupWithoutManifest();
        Files.delete(bucket.resolve(DIR + "data_0001.tar"));
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("backup " + ID.value() + " is incomplete: data_0001.tar is missing"),
                failure.getMessage());
        assertTrue(failure.getMessage().contains("nothing was restored"), failure.getMessage());
        assertFalse(Files.exists(pgdata));
    }

    /** cumulus-check's look at a backup: what the restore refuses from the listing, in its words, with no destination. */
    @Test
    void checkStoredRefusesWhatTheRestoreRefusesBeforeWritingWithTheRestoresReason() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        BackupCatalog.Entry entry = new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { });
        BaseRestore restore = new BaseRestore(store, LAYOUT, 1, listener);
        restore.checkStored(entry);

        Files.delete(bucket.resolve(DIR + "16384.tar.gz"));
        OperationFailedException failure = assertThrows(OperationFailedException.class, () -> restore.checkStored(entry));
        assertEquals("backup " + ID.value() + " is incomplete: 16384.tar is missing from " + DIR, failure.getMessage());

        Files.delete(bucket.resolve(DIR + "data.tar.gz"));
        failure = assertThrows(OperationFailedException.class, () -> restore.checkStored(entry));
        assertEquals("backup " + ID.value() + " is incomplete: data.tar is missing from " + DIR, failure.getMessage());
        failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", temp.resolve("ts")), 1));
        assertEquals("backup " + ID.value() + " is incomplete: data.tar is missing from " + DIR
                + "; nothing was restored", failure.getMessage());
    }

    @Test
    void missingLastDataPartOfABackupWithoutManifestIsIncompleteForWantOfBackupLabel() throws Exception {
        List<String> parts = multiPartBackupWithoutManifest();
        Files.delete(bucket.resolve(DIR + parts.get(parts.size() - 1)));
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("hold no backup_label"), failure.getMessage());
        assertTrue(failure.getMessage().contains("the part after " + parts.get(parts.size() - 2) + " is missing"),
                failure.getMessage());
        assertLeftIncomplete(pgdata);
    }

    /**
     * A stray last part of another backup (two runs under one id) brings its backup_label, from which
     * PostgreSQL would replay from another checkpoint; without a manifest nothing else sees it.
     */
    @Test
    void backupLabelOfAnotherBackupIsRefusedBeforePgControlIsInPlace() throws Exception {
        multiPartBackupWithoutManifest();
        editBackupInfo(text -> text.replace("begin_xlog=0/4000028", "begin_xlog=0/E000028"));
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("backup " + ID.value() + "'s data archives hold another backup's"
                + " backup_label (START WAL LOCATION: 0/4000028, where backup.info's begin_xlog is 0/E000028)"),
                failure.getMessage());
        assertLeftIncomplete(pgdata);
    }

    @Test
    void partNumberNoBackupWritesIsRefusedNamingTheObject() throws Exception {
        multiPartBackupWithoutManifest();
        Files.copy(bucket.resolve(DIR + "data.tar"), bucket.resolve(DIR + "data_99999999999.tar"));

        String refusal = refusedBeforeAnythingIsWritten(Map.of("ts1", temp.resolve("ts")));

        assertTrue(refusal.contains("data_99999999999.tar has a part number no backup writes"), refusal);
    }

    /** Edits the backup's backup.info as text: a hand edit, or what another tool wrote. */
    private void editBackupInfo(java.util.function.UnaryOperator<String> edit) throws IOException {
        Path info = bucket.resolve(DIR + "backup.info");
        Files.writeString(info, edit.apply(Files.readString(info)));
    }

    /** The message of the restore's refusal, checked to have created neither directory. */
    private String refusedBeforeAnythingIsWritten(Map<String, Path> relocated) {
        Path pgdata = temp.resolve("pgdata");
        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, relocated, 2));
        assertFalse(Files.exists(pgdata), failure.getMessage());
        relocated.values().forEach(ts -> assertFalse(Files.exists(ts), failure.getMessage()));
        return failure.getMessage();
    }

    /**
     * barman-cloud-backup overwrites an id: two runs in one second with different compression (or a
     * stray copy) leave two archives for one part, and extracting both mixes two backups' files.
     */
    @Test
    void twoArchivesForOnePartAreRefusedBeforeAnythingIsWrittenNamingBoth() throws Exception {
        backup(new TestCluster().withDataFiles(3, 1000), new BackupId("20261120T000000"), Compression.NONE,
                1L << 30, null);
        backup(Compression.GZIP, 1L << 30);
        store.delete(DIR + "backup_manifest"); // as barman-cloud writes them: nothing else would notice
        Files.copy(bucket.resolve("pfx/main/base/20261120T000000/data.tar"), bucket.resolve(DIR + "data.tar"));

        String message = refusedBeforeAnythingIsWritten(Map.of("ts1", temp.resolve("ts")));

        assertTrue(message.startsWith("backup " + ID.value() + " has both data.tar and data.tar.gz: two archives"
                + " for one part (two backups written under one id?)"), message);
        assertTrue(message.contains("START WAL LOCATION: 0/4000028"), message);
        assertTrue(message.endsWith("nothing was restored"), message);
    }

    @Test
    void twoArchivesForOneTablespacePartAreRefusedToo() throws Exception {
        backup(Compression.NONE, 1L << 30);
        Files.copy(bucket.resolve(DIR + "16384.tar"), bucket.resolve(DIR + "16384.tar.gz"));

        String message = refusedBeforeAnythingIsWritten(Map.of("ts1", temp.resolve("ts")));

        assertTrue(message.contains("has both 16384.tar and 16384.tar.gz"), message);
    }

    @Test
    void archiveWithASuffixCumulusCannotReadIsNamedRatherThanCalledMissing() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Files.move(bucket.resolve(DIR + "data.tar.gz"), bucket.resolve(DIR + "data.tar.gz.gpg"));

        String message = refusedBeforeAnythingIsWritten(Map.of("ts1", temp.resolve("ts")));

        assertTrue(message.contains("data.tar.gz.gpg has a suffix cumulus-restore cannot read ('.gz.gpg': a"
                + " compression or encryption it does not know)"), message);
        assertFalse(message.contains("missing"), message);
        assertTrue(message.endsWith("nothing was restored"), message);
        assertEquals(List.of(), warnings, "no 'skipping' warning before the error that refuses it");
    }

    @Test
    void anUnreadableCopyBesideAReadableArchiveOfItsPartIsSkippedWithAWarning() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Files.copy(bucket.resolve(DIR + "data.tar.gz"), bucket.resolve(DIR + "data.tar.gz.gpg"));

        restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", temp.resolve("ts")), 2);

        assertEquals(List.of("skipping " + DIR + "data.tar.gz.gpg: unknown compression '.gz.gpg'"), warnings);
    }

    /** Without a manifest a last part that cannot be read would otherwise be found only after extracting the rest. */
    @Test
    void lastPartWithASuffixCumulusCannotReadIsRefusedBeforeAnythingIsWritten() throws Exception {
        List<String> parts = multiPartBackupWithoutManifest();
        String last = parts.get(parts.size() - 1);
        Files.move(bucket.resolve(DIR + last), bucket.resolve(DIR + last + ".zstd"));

        String message = refusedBeforeAnythingIsWritten(Map.of("ts1", temp.resolve("ts")));

        assertTrue(message.contains(last + ".zstd has a suffix cumulus-restore cannot read ('.zstd':"), message);
    }

    @Test
    void tablespaceArchiveThatBackupInfoDoesNotListIsRefusedBeforeAnythingIsWritten() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        store.delete(DIR + "backup_manifest");
        editBackupInfo(text -> text.replace("tablespaces=[('ts1', 16384, '/srv/pg/ts1')]", "tablespaces=None"));

        String message = refusedBeforeAnythingIsWritten(Map.of());

        assertTrue(message.startsWith("backup " + ID.value() + ": archive 16384.tar.gz belongs to no tablespace in"
                + " backup.info (tablespaces: none): the backup.info does not describe this backup"), message);
        assertTrue(message.endsWith("nothing was restored"), message);
    }

    @Test
    void incrementalBackupIsRefusedBeforeTheDestinationIsTouched() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        editBackupInfo(text -> text.replace("pgdata=", "parent_backup_id=20261120T000000\npgdata="));
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertEquals("backup " + ID.value() + " is an incremental backup (parent 20261120T000000), which"
                + " cumulus-restore does not restore: restore it with Barman (pg_combinebackup), or choose a full"
                + " backup", failure.getMessage());
        assertFalse(Files.exists(pgdata));
    }

    @Test
    void snapshotBackupIsRefusedBeforeTheDestinationIsTouched() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        editBackupInfo(text -> text.replace("status=", "snapshots_info={'provider': 'gcp', 'snapshots': []}\nstatus="));
        Path pgdata = Files.createDirectory(temp.resolve("pgdata"));

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().startsWith("backup " + ID.value() + " is a snapshot backup, which"
                + " cumulus-restore does not restore"), failure.getMessage());
        try (var entries = Files.list(pgdata)) {
            assertEquals(List.of(), entries.toList());
        }
    }

    @Test
    void archiveCutAtAMemberBoundaryIsIncomplete() throws Exception {
        backup(Compression.NONE, 1L << 30);
        store.delete(DIR + "backup_manifest");
        Path archive = bucket.resolve(DIR + "data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        List<Integer> members = memberOffsets(bytes);
        Files.write(archive, java.util.Arrays.copyOf(bytes, members.get(members.size() / 2)));
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("backup " + ID.value() + " is incomplete: " + DIR
                + "data.tar is cut short (it ends without tar's end-of-archive marker"), failure.getMessage());
        assertTrue(failure.getMessage().contains("restore another backup"), failure.getMessage());
        assertLeftIncomplete(pgdata);
    }

    @Test
    void archiveCutInsideAMemberIsIncompleteAndSaysWhatToDo() throws Exception {
        backup(Compression.NONE, 1L << 30);
        Path archive = bucket.resolve(DIR + "data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        List<Integer> members = memberOffsets(bytes);
        Files.write(archive, java.util.Arrays.copyOf(bytes, members.get(members.size() / 2) - 5000)); // in base/5/*
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("data.tar is cut short"), failure.getMessage());
        assertTrue(failure.getMessage().contains("the stored object is damaged or incomplete; restore another backup"),
                failure.getMessage());
        assertLeftIncomplete(pgdata);
    }

    @Test
    void failureAfterTheDataArchivesLeavesNeitherPgControlNorRecoveryConfigurationButAMarker() throws Exception {
        TestCluster cluster = backup(Compression.NONE, 1L << 30);
        Path archive = bucket.resolve(DIR + "16384.tar");
        byte[] bytes = Files.readAllBytes(archive);
        bytes[indexOf(bytes, java.util.Arrays.copyOf(cluster.tablespaceMembers(16384).get(0).content(), 64)) + 10] ^= 1;
        Files.write(archive, bytes);
        Path pgdata = temp.resolve("pgdata");
        RecoveryConfiguration recovery = new RecoveryConfiguration("cumulus-wal-restore file:///b main %f %p",
                Map.of("recovery_target", "immediate"), false, true);

        // one job: the data series, pg_control included, is extracted before the tablespace fails
        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> new BaseRestore(store, LAYOUT, 1, listener).restore(new BackupCatalog(store, LAYOUT)
                        .resolve(ID.value(), w -> { }), pgdata, Map.of("ts1", temp.resolve("ts")), recovery));

        assertTrue(failure.getMessage().contains("verification failed"), failure.getMessage());
        assertTrue(Files.exists(pgdata.resolve("base/5/16405")), "the data series was extracted");
        assertLeftIncomplete(pgdata);
        assertTrue(failure.getMessage().contains("empty " + pgdata + ", " + temp.resolve("ts")
                + " and re-run cumulus-restore"), failure.getMessage());
        assertFalse(Files.exists(pgdata.resolve("recovery.signal")));
        assertFalse(Files.exists(pgdata.resolve("postgresql.auto.conf"))); // the made-up cluster has none
        assertTrue(Files.readString(pgdata.resolve(BaseRestore.INCOMPLETE)).contains("failed: verification failed"));
    }

    @Test
    void restoreKilledAfterTheDataSeriesWouldLeaveNoPgControlButTheMarker() throws Exception {
        backup(Compression.NONE, 50_000);
        Path pgdata = temp.resolve("pgdata");
        List<String> seen = new ArrayList<>();
        RestoreListener watcher = new RestoreListener() {
            @Override
            public void archiveStarted(String key, String target) {
                if (key.endsWith("16384.tar")) { // one job: every data part is extracted, as a kill -9 would find it
                    seen.add("pg_control " + Files.exists(pgdata.resolve("global/pg_control")));
                    seen.add("backup_label " + Files.exists(pgdata.resolve("backup_label")));
                    seen.add("marker " + Files.exists(pgdata.resolve(BaseRestore.INCOMPLETE)));
                }
            }
        };

        new BaseRestore(store, LAYOUT, 1, watcher).restore(new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }),
                pgdata, Map.of("ts1", temp.resolve("ts")));

        assertEquals(List.of("pg_control false", "backup_label false", "marker true"), seen);
    }

    @Test
    void successfulRestoreConfiguresRecoveryPutsPgControlInPlaceAndLeavesNoMarker() throws Exception {
        TestCluster cluster = backup(Compression.GZIP, 1L << 30);
        Path pgdata = temp.resolve("pgdata");
        RecoveryConfiguration recovery = new RecoveryConfiguration("cumulus-wal-restore file:///b main %f %p",
                Map.of("recovery_target", "immediate"), false, true);

        new BaseRestore(store, LAYOUT, 2, listener).restore(new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }),
                pgdata, Map.of("ts1", temp.resolve("ts")), recovery);

        assertArrayEquals(cluster.dataMembers().get(cluster.dataMembers().size() - 1).content(),
                Files.readAllBytes(pgdata.resolve("global/pg_control")));
        assertEquals(TestCluster.LABEL, Files.readString(pgdata.resolve("backup_label")));
        assertTrue(Files.exists(pgdata.resolve("recovery.signal")));
        assertFalse(Files.exists(pgdata.resolve(BaseRestore.INCOMPLETE)));
        try (var entries = Files.walk(pgdata)) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().contains("cumulus")).toList());
        }
    }

    /** What a restore that failed after creating the data directory leaves: no way for PostgreSQL to start. */
    private static void assertLeftIncomplete(Path pgdata) {
        assertFalse(Files.exists(pgdata.resolve("global/pg_control")), "global/pg_control left in place");
        assertFalse(Files.exists(pgdata.resolve("backup_label")), "backup_label left in place");
        assertTrue(Files.exists(pgdata.resolve(BaseRestore.INCOMPLETE)), "no " + BaseRestore.INCOMPLETE);
    }

    /** Where each member of a plain tar begins (its PAX header, when it has one), walking the 512-byte headers. */
    private static List<Integer> memberOffsets(byte[] tar) {
        List<Integer> offsets = new ArrayList<>();
        boolean inPax = false;
        int at = 0;
        while (at + 512 <= tar.length && tar[at] != 0) {
            String header = new String(tar, at, 512, StandardCharsets.ISO_8859_1);
            long size = Long.parseLong(header.substring(124, 136).replace("\0", "").trim(), 8);
            char type = header.charAt(156);
            if (!inPax) {
                offsets.add(at);
            }
            inPax = type == 'x';
            at += 512 + (int) ((size + 511) / 512 * 512);
        }
        return offsets;
    }

    @Test
    void nonEmptyDestinationIsRefusedAndNothingIsTouched() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Path pgdata = Files.createDirectory(temp.resolve("pgdata"));
        Files.writeString(pgdata.resolve("precious"), "keep");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", temp.resolve("ts")), 2));

        assertTrue(failure.getMessage().contains("not empty"), failure.getMessage());
        try (var entries = Files.list(pgdata)) {
            assertEquals(List.of(pgdata.resolve("precious")), entries.toList());
        }
        assertFalse(Files.exists(temp.resolve("ts")));
    }

    @Test
    void nonEmptyTablespaceTargetIsRefusedAndNothingIsTouched() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Path ts = Files.createDirectory(temp.resolve("ts"));
        Files.writeString(ts.resolve("precious"), "keep");

        assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", ts), 2));

        assertFalse(Files.exists(temp.resolve("pgdata")));
    }

    @Test
    void aMountPointsRootIsRefusedSayingToGiveADirectoryBelowIt() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Path volume = Files.createDirectories(temp.resolve("volume/lost+found")).getParent();

        String refusal = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", volume), 2)).getMessage();
        assertFalse(Files.exists(temp.resolve("pgdata")), refusal);

        assertTrue(refusal.contains("the directory of tablespace ts1 " + volume + " holds lost+found: it is a mount"
                + " point; give a directory below it instead (" + volume.resolve("pgdata") + ")"), refusal);
        assertTrue(Files.isDirectory(volume.resolve("lost+found")));
    }

    @Test
    void aTablespaceDirectoryThatCannotBeMadeFailsBeforeTheDestinationIsCreated() throws Exception {
        // (as root, a directory without write permission would not stop the test: a regular file in the path does)
        backup(Compression.GZIP, 1L << 30);
        Path blocked = Files.writeString(temp.resolve("not-a-directory"), "");

        IOException failure = assertThrows(IOException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of("ts1", blocked.resolve("ts1")), 2));

        assertFalse(Files.exists(temp.resolve("pgdata")), failure.toString());
        assertFalse(failure.getMessage().contains("incomplete"), failure.getMessage());
    }

    @Test
    void runAsRootIntoAnEmptyDirectoryAnotherUserOwnsEverythingCreatedIsThatUsers() throws Exception {
        assumeTrue(OsUser.current().isRoot(), "only root may give files away");
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/ts1", 2, 100)
                .withDataFiles(2, 100);
        addDataPart(cluster, out -> {
            putSymbolicLink(out, "conf.d", Path.of("/etc/postgresql/15/main/conf.d"));
            out.putArchiveEntry(new TarArchiveEntry("stray/"));
            out.closeArchiveEntry();
        });
        Path pgdata = Files.createDirectory(temp.resolve("pgdata")); // as a package's /var/lib/postgresql/15/main
        Files.setAttribute(pgdata, "unix:uid", 12345);
        Files.setAttribute(pgdata, "unix:gid", 12346);
        Path tablespaces = temp.resolve("tablespaces"); // made by the restore, with ts1 inside
        RecoveryConfiguration recovery = new RecoveryConfiguration("cumulus-wal-restore file:///b main %f %p",
                Map.of("recovery_target", "immediate"), false, true);

        new BaseRestore(store, LAYOUT, 2, listener, Duration.ofSeconds(1), OsUser.current()).restore(
                new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }), pgdata,
                Map.of("ts1", tablespaces.resolve("ts1")), recovery);

        List<String> notGiven = new ArrayList<>();
        for (Path top : List.of(pgdata, tablespaces)) {
            try (var entries = Files.walk(top)) {
                for (Path p : entries.toList()) {
                    if ((int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 12345
                            || (int) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS) != 12346) {
                        notGiven.add(p.toString());
                    }
                }
            }
        }
        assertEquals(List.of(), notGiven);
        for (String made : List.of("conf.d", "pg_tblspc/16384", "pg_wal", "recovery.signal", "postgresql.auto.conf",
                "global/pg_control", "backup_label", "stray", "pg_tblspc/16384/PG_15_202209061/5/16385")) {
            assertTrue(Files.exists(pgdata.resolve(made), LinkOption.NOFOLLOW_LINKS), made);
        }
        assertEquals(List.of(), warnings);
    }

    /**
     * A tablespace location given as a link to an empty directory root made (a mount point's): the link was
     * given to the owner, the directory it names stayed root's 0700, and PostgreSQL could not enter it.
     */
    @Test
    void runAsRootTheDirectoryATablespaceLinkNamesIsGivenNotTheLink() throws Exception {
        assumeTrue(OsUser.current().isRoot(), "only root may give files away");
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/ts1", 2, 100)
                .withDataFiles(2, 100);
        addDataPart(cluster, out -> { });
        Path pgdata = Files.createDirectory(temp.resolve("pgdata"));
        Files.setAttribute(pgdata, "unix:uid", 12345);
        Files.setAttribute(pgdata, "unix:gid", 12346);
        Path mount = Files.createDirectory(temp.resolve("mnt-ts1")); // root's, empty
        Path link = Files.createSymbolicLink(temp.resolve("ts1-link"), mount);

        new BaseRestore(store, LAYOUT, 2, listener, Duration.ofSeconds(1), OsUser.current()).restore(
                new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }), pgdata, Map.of("ts1", link));

        assertEquals(12345, (int) Files.getAttribute(mount, "unix:uid"));
        assertEquals(12346, (int) Files.getAttribute(mount, "unix:gid"));
        assertEquals(0, (int) Files.getAttribute(link, "unix:uid", LinkOption.NOFOLLOW_LINKS), "the DBA's link is left alone");
        assertEquals(12345, (int) Files.getAttribute(mount.resolve("PG_15_202209061"), "unix:uid"));
        assertEquals(List.of(), warnings);
    }

    @Test
    void runAsRootIntoADirectoryItMakesOrRootOwnsWarnsThatPostgresqlWillNotStartAndHowToFixIt() throws Exception {
        assumeTrue(OsUser.current().isRoot(), "the warning is root's");
        backup(Compression.GZIP, 1L << 30);
        Path made = temp.resolve("made");
        Path rootOwns = Files.createDirectory(temp.resolve("root-owns"));

        for (Path pgdata : List.of(made, rootOwns)) {
            new BaseRestore(store, LAYOUT, 2, listener, Duration.ofSeconds(1), OsUser.current()).restore(
                    new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }), pgdata,
                    Map.of("ts1", temp.resolve(pgdata.getFileName() + "-ts")));
        }

        String fix = ": every file is owned by root and PostgreSQL refuses to start on it; chown -R postgres: ";
        String or = ", or run cumulus-restore as the user that runs PostgreSQL (or, as root, into an empty data"
                + " directory that user owns)";
        assertEquals(List.of("restored as root into " + made + ", which did not exist" + fix + made + " " + made + "-ts"
                + or, "restored as root into " + rootOwns + ", which root owns" + fix + rootOwns + " " + rootOwns + "-ts"
                + or), warnings);
        assertEquals("root", Files.getOwner(made.resolve("base/5/16400")).getName());
    }

    /** The chown pasted from the warning must change the restored directories, whatever their names. */
    @Test
    void runAsRootTheChownOfTheWarningQuotesEachPathThatNeedsItAsOneShellWord() throws Exception {
        assumeTrue(OsUser.current().isRoot(), "the warning is root's");
        backup(Compression.GZIP, 1L << 30);
        Path pgdata = temp.resolve("pg data");
        Path ts = temp.resolve("ts it's");

        new BaseRestore(store, LAYOUT, 2, listener, Duration.ofSeconds(1), OsUser.current()).restore(
                new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }), pgdata, Map.of("ts1", ts));

        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).contains("; chown -R postgres: '" + pgdata + "' '" + temp + "/ts it'\\''s', or run"),
                warnings.get(0));
    }

    @Test
    void theChownAndMkdirOfARefusalQuoteEachPathThatNeedsItAsOneShellWord() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        OsUser alice = new OsUser(OptionalInt.of(12345), "alice");
        Path pgdata = Files.createDirectory(temp.resolve("pg data")); // this JVM's user's, not alice's
        Path blocked = Files.writeString(temp.resolve("a file"), ""); // no one may create a directory in it
        Path ts = blocked.resolve("ts 1");

        IOException owned = assertThrows(IOException.class, () -> new BaseRestore(store, LAYOUT, 2, listener,
                Duration.ofSeconds(1), alice).restore(new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }),
                pgdata, Map.of("ts1", temp.resolve("ts"))));
        IOException uncreatable = assertThrows(IOException.class, () -> new BaseRestore(store, LAYOUT, 2, listener,
                Duration.ofSeconds(1), alice).restore(new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }),
                temp.resolve("pgdata"), Map.of("ts1", ts)));

        assertTrue(owned.getMessage().contains("(as root: chown alice: '" + pgdata + "') and run"), owned.getMessage());
        assertTrue(uncreatable.getMessage().contains("(as root: mkdir -p '" + ts + "' && chown alice: '" + ts
                + "') and run"), uncreatable.getMessage());
    }

    @Test
    void aDestinationAnotherUserOwnsIsRefusedNamingTheFixBeforeAnyTablespaceDirectoryIsMade() throws Exception {
        backup(Compression.GZIP, 1L << 30);
        Path pgdata = Files.createDirectory(temp.resolve("pgdata")); // this JVM's user's, not alice's
        Path ts = temp.resolve("ts");
        OsUser alice = new OsUser(OptionalInt.of(12345), "alice");

        IOException failure = assertThrows(IOException.class, () -> new BaseRestore(store, LAYOUT, 2, listener,
                Duration.ofSeconds(1), alice).restore(new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { }),
                pgdata, Map.of("ts1", ts)));

        assertFalse(failure instanceof OperationFailedException, "exit 4, as any local I/O error");
        assertEquals("cannot set mode 0700 on the destination directory " + pgdata + ", as PostgreSQL requires: it is"
                + " owned by " + Files.getOwner(pgdata).getName() + ", not by alice, who runs cumulus-restore; give it"
                + " to alice (as root: chown alice: " + pgdata + ") and run cumulus-restore again; nothing was"
                + " restored", failure.getMessage());
        assertFalse(Files.exists(ts));
        try (var entries = Files.list(pgdata)) {
            assertEquals(List.of(), entries.toList());
        }
    }

    @Test
    void fifoAndDeviceMembersAreSkipped() throws Exception {
        addDataPart(out -> {
            for (byte type : new byte[] {TarArchiveEntry.LF_FIFO, TarArchiveEntry.LF_CHR, TarArchiveEntry.LF_BLK}) {
                out.putArchiveEntry(new TarArchiveEntry("stray/special" + (char) type, type));
                out.closeArchiveEntry();
            }
            TarArchiveEntry after = new TarArchiveEntry("stray/after");
            after.setSize(1);
            out.putArchiveEntry(after);
            out.write('x');
            out.closeArchiveEntry();
        });
        Path pgdata = temp.resolve("pgdata");

        restore(ID.value(), pgdata, Map.of(), 1);

        try (var entries = Files.list(pgdata.resolve("stray"))) {
            assertEquals(List.of(pgdata.resolve("stray/after")), entries.toList());
        }
    }

    @Test
    void directoriesGetTheirModificationTimesOnceNothingMoreIsWrittenInThem() throws Exception {
        FileTime global = FileTime.from(Instant.parse("2001-02-03T04:05:06Z"));
        FileTime stray = FileTime.from(Instant.parse("1960-01-01T00:00:00Z"));
        FileTime file = FileTime.from(Instant.parse("2003-04-05T06:07:08.123456Z"));
        FileTime empty = FileTime.from(Instant.parse("2002-01-01T00:00:00.5Z"));
        addDataPart(out -> {
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            putDirectory(out, "global/", 0700, global); // pg_control is put in it last
            putDirectory(out, "stray/", 0751, stray);
            TarArchiveEntry f = new TarArchiveEntry("stray/f");
            f.setSize(1);
            f.setLastModifiedTime(file);
            out.putArchiveEntry(f);
            out.write('x');
            out.closeArchiveEntry();
            putDirectory(out, "stray/empty/", 0700, empty);
        });
        Path pgdata = temp.resolve("pgdata");

        restore(ID.value(), pgdata, Map.of(), 1);

        assertTrue(Files.exists(pgdata.resolve("global/pg_control")));
        assertEquals(global, Files.getLastModifiedTime(pgdata.resolve("global")));
        assertEquals(stray, Files.getLastModifiedTime(pgdata.resolve("stray")));
        assertEquals("rwxr-x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(pgdata.resolve("stray"))));
        assertEquals(empty, Files.getLastModifiedTime(pgdata.resolve("stray/empty")));
        assertEquals(file, Files.getLastModifiedTime(pgdata.resolve("stray/f")));
    }

    private static void putDirectory(TarArchiveOutputStream out, String name, int mode, FileTime modified)
            throws IOException {
        TarArchiveEntry directory = new TarArchiveEntry(name);
        directory.setMode(040000 | mode);
        directory.setLastModifiedTime(modified);
        out.putArchiveEntry(directory);
        out.closeArchiveEntry();
    }

    @Test
    void memberLeadingOutsideTheTargetIsRefused() throws Exception {
        backup(new TestCluster().withDataFiles(1, 10), ID, Compression.NONE, 1L << 30, null);
        store.delete(DIR + "backup_manifest");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            TarArchiveEntry entry = new TarArchiveEntry("base/../../escaped");
            byte[] content = "x".getBytes(StandardCharsets.UTF_8);
            entry.setSize(content.length);
            out.putArchiveEntry(entry);
            out.write(content);
            out.closeArchiveEntry();
        }
        try (OutputStream out = store.openWrite(DIR + "data_0001.tar", WriteOptions.DEFAULT)) {
            out.write(tar.toByteArray());
        }

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("outside the target directory"), failure.getMessage());
        assertFalse(Files.exists(temp.resolve("escaped")));
    }

    @Test
    void symbolicLinkReplacingADirectoryCannotCarryLaterMembersOutside() throws Exception {
        backup(new TestCluster().withDataFiles(1, 10), ID, Compression.NONE, 1L << 30, null);
        store.delete(DIR + "backup_manifest");
        Path outside = Files.createDirectory(temp.resolve("outside"));
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.putArchiveEntry(new TarArchiveEntry("trap/"));
            out.closeArchiveEntry();
            putSymbolicLink(out, "trap", outside);
            TarArchiveEntry file = new TarArchiveEntry("trap/escaped");
            file.setSize(1);
            out.putArchiveEntry(file);
            out.write('x');
            out.closeArchiveEntry();
        }
        try (OutputStream out = store.openWrite(DIR + "data_0001.tar", WriteOptions.DEFAULT)) {
            out.write(tar.toByteArray());
        }

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("symbolic link"), failure.getMessage());
        assertFalse(Files.exists(outside.resolve("escaped")));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3})
    void olderBackupHoldingAConfigFileTwiceRestoresTheOutsideCopyWrittenLast(int jobs) throws Exception {
        byte[] initdbCopy = "# initdb's postgresql.conf, longer than the one in use\n".getBytes(StandardCharsets.UTF_8);
        byte[] outsideCopy = "listen_addresses = '*'\n".getBytes(StandardCharsets.UTF_8);
        // as cumulus-backup wrote it before: the data directory's copy first, the outside one after
        // pg_control, and both in the manifest under one path; small parts put them in different ones
        TestCluster cluster = new TestCluster().withDataMember("./postgresql.conf", initdbCopy)
                .withDataFiles(6, 30_000).withDataMember("postgresql.conf", outsideCopy);
        backup(cluster, ID, Compression.NONE, 50_000, null);
        String manifest = Files.readString(bucket.resolve(DIR + "backup_manifest"));
        assertEquals(2, manifest.split("\"Path\": \"postgresql.conf\"", -1).length - 1, manifest);
        Path pgdata = temp.resolve("pgdata");

        RestoreOutcome outcome = restore(ID.value(), pgdata, Map.of(), jobs);

        assertArrayEquals(outsideCopy, Files.readAllBytes(pgdata.resolve("postgresql.conf")));
        assertTrue(outcome.verified());
        assertEquals(cluster.dataMembers().size() - 1 + 1, outcome.files()); // one copy kept, plus backup_label
        try (var entries = Files.list(pgdata)) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().startsWith(".cumulus")).toList());
        }
    }

    @Test
    void olderBackupHoldingTwoEqualCopiesOfAConfigFileRestoresIt() throws Exception {
        byte[] conf = "shared_buffers = 128MB\n".getBytes(StandardCharsets.UTF_8);
        TestCluster cluster = new TestCluster().withDataMember("./postgresql.conf", conf).withDataFiles(1, 100)
                .withDataMember("postgresql.conf", conf);
        backup(cluster, ID, Compression.GZIP, 1L << 30, null);

        restore(ID.value(), temp.resolve("pgdata"), Map.of(), 2);

        assertArrayEquals(conf, Files.readAllBytes(temp.resolve("pgdata/postgresql.conf")));
    }

    @Test
    void copyOfATwiceListedFileMatchingNeitherListingStopsTheRestore() throws Exception {
        TestCluster cluster = new TestCluster().withDataMember("./postgresql.conf", new byte[] {1, 2, 3})
                .withDataFiles(1, 100).withDataMember("postgresql.conf", new byte[] {4, 5, 6});
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        Path archive = bucket.resolve(DIR + "data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        bytes[indexOf(bytes, new byte[] {4, 5, 6})] = 9;
        Files.write(archive, bytes);

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("postgresql.conf has 3 bytes"), failure.getMessage());
    }

    @Test
    void directoryMemberThroughASymbolicLinkLeavesTheOutsideDirectoryAlone() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-x---"));
        addDataPart(out -> {
            putSymbolicLink(out, "trap", outside);
            TarArchiveEntry directory = new TarArchiveEntry("trap/");
            directory.setMode(040777);
            out.putArchiveEntry(directory);
            out.closeArchiveEntry();
        });

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("'trap' is a symbolic link"), failure.getMessage());
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    }

    @Test
    void memberBelowASymbolicLinkCreatesNothingOutside() throws Exception {
        Path outside = Files.createDirectory(temp.resolve("outside"));
        addDataPart(out -> {
            putSymbolicLink(out, "trap", outside);
            TarArchiveEntry file = new TarArchiveEntry("trap/a/b/f");
            file.setSize(1);
            out.putArchiveEntry(file);
            out.write('x');
            out.closeArchiveEntry();
        });

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("refusing member 'trap/a/b/f'"), failure.getMessage());
        assertTrue(failure.getMessage().contains("'trap' is a symbolic link"), failure.getMessage());
        assertFalse(Files.exists(outside.resolve("a")));
    }

    /** What a test writes into an extra tar part. */
    private interface TarContent {
        void writeTo(TarArchiveOutputStream out) throws IOException;
    }

    private static void putSymbolicLink(TarArchiveOutputStream out, String name, Path target) throws IOException {
        TarArchiveEntry link = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
        link.setLinkName(target.toString());
        out.putArchiveEntry(link);
        out.closeArchiveEntry();
    }

    /** A backup without manifest whose data series has one more part, written by {@code content}. */
    private void addDataPart(TarContent content) throws IOException {
        addDataPart(new TestCluster().withDataFiles(1, 10), content);
    }

    private void addDataPart(TestCluster cluster, TarContent content) throws IOException {
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        store.delete(DIR + "backup_manifest");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            content.writeTo(out);
        }
        try (OutputStream out = store.openWrite(DIR + "data_0001.tar", WriteOptions.DEFAULT)) {
            out.write(tar.toByteArray());
        }
    }

    @Test
    void tablespaceInsideTheDataDirectoryIsRefused() throws Exception {
        backup(Compression.NONE, 1L << 30);
        Path pgdata = temp.resolve("pgdata");

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", pgdata.resolve("ts")), 1));

        assertTrue(failure.getMessage().contains("overlaps the data directory or another tablespace's: give it a"
                + " directory of its own outside the data directory with --tablespace ts1:DIR"), failure.getMessage());
        assertFalse(Files.exists(pgdata));
    }

    /** Two tablespaces, or a tablespace and the data directory, in one directory reached through a link. */
    @Test
    void aLocationThatIsASymbolicLinkToAnotherDirectoryOfTheRestoreIsRefusedBeforeAnythingIsWritten()
            throws Exception {
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/ts1", 1, 100)
                .withTablespace("ts2", 16386, "/srv/pg/ts2", 1, 100).withDataFiles(1, 100);
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        Path disk = Files.createDirectory(temp.resolve("disk"));
        Path alias = Files.createSymbolicLink(temp.resolve("alias"), disk);
        Path pgdata = Files.createDirectory(temp.resolve("pgdata"));
        Path dataAlias = Files.createSymbolicLink(temp.resolve("data-alias"), pgdata);

        for (Map<String, Path> relocated : List.of(Map.of("ts1", disk, "ts2", alias),
                Map.of("ts1", disk.resolve("sub"), "ts2", alias.resolve("sub")), // the deepest existing ancestor's
                Map.of("ts1", dataAlias, "ts2", disk), Map.of("ts1", dataAlias.resolve("ts"), "ts2", disk))) {
            OperationFailedException failure = assertThrows(OperationFailedException.class,
                    () -> restore(ID.value(), pgdata, relocated, 2), relocated::toString);

            assertTrue(failure.getMessage().contains("overlaps the data directory or another tablespace's"),
                    failure.getMessage());
            assertTrue(failure.getMessage().contains("once symbolic links are followed"), failure.getMessage());
            for (Path empty : List.of(disk, pgdata)) {
                try (var entries = Files.list(empty)) {
                    assertEquals(List.of(), entries.toList(), relocated::toString);
                }
            }
        }
    }

    /**
     * barman-cloud-backup 3.4 copies a tablespace_map left at the data directory's root; PostgreSQL, starting
     * with backup_label, would re-create the pg_tblspc links from it and undo the relocation. It is checked
     * against the manifest when there is one, not written, and named in a warning; one deeper is restored.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aLeftoverTablespaceMapAtTheDataRootIsNotRestoredWithAWarning(boolean manifest) throws Exception {
        byte[] map = "16384 /srv/pg/ts1\n".getBytes(StandardCharsets.UTF_8);
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/ts1", 2, 1000)
                .withDataFiles(2, 100).withDataMember("tablespace_map", map)
                .withDataMember("stray/tablespace_map", map);
        backup(cluster, ID, Compression.GZIP, 1L << 30, null);
        if (!manifest) {
            store.delete(DIR + "backup_manifest");
        }
        Path pgdata = temp.resolve("restored");
        Path ts = temp.resolve("ts-new");

        RestoreOutcome outcome = restore(ID.value(), pgdata, Map.of("ts1", ts), 2);

        assertFalse(Files.exists(pgdata.resolve("tablespace_map"), LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(map, Files.readAllBytes(pgdata.resolve("stray/tablespace_map")));
        assertEquals(ts.toAbsolutePath(), Files.readSymbolicLink(pgdata.resolve("pg_tblspc/16384")));
        assertTrue(Files.exists(pgdata.resolve("global/pg_control")));
        try (var entries = Files.list(pgdata)) {
            assertEquals(List.of(), entries.filter(p -> p.getFileName().toString().contains("cumulus")).toList());
        }
        assertEquals(manifest, outcome.verified());
        // the data members but the dropped map, with backup_label, and the tablespace's two
        assertEquals(cluster.dataMembers().size() - 1 + 1 + 2, outcome.files());
        assertEquals(List.of(DIR + "data.tar.gz holds a tablespace_map (left at the data directory's root by an"
                + " exclusive pg_start_backup of PostgreSQL 14 or older, or by one that crashed, and copied by"
                + " barman-cloud-backup): not restored, since PostgreSQL would re-create the pg_tblspc links from it"
                + " at its first start; the links cumulus-restore made from backup.info give the tablespaces'"
                + " locations"), warnings);
    }

    /** A dropped tablespace_map is still read against the manifest: a changed byte stops the restore. */
    @Test
    void aLeftoverTablespaceMapThatDiffersFromTheManifestStopsTheRestore() throws Exception {
        byte[] map = "16384 /srv/pg/ts1\n".getBytes(StandardCharsets.UTF_8);
        TestCluster cluster = new TestCluster().withDataFiles(1, 100).withDataMember("tablespace_map", map);
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        Path archive = bucket.resolve(DIR + "data.tar");
        byte[] bytes = Files.readAllBytes(archive);
        bytes[indexOf(bytes, map) + 7] ^= 1;
        Files.write(archive, bytes);

        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), temp.resolve("pgdata"), Map.of(), 1));

        assertTrue(failure.getMessage().contains("verification failed: tablespace_map has CRC32C"),
                failure.getMessage());
    }

    @Test
    void tablespaceInsideTheDataDirectoryGoesBackToTheSamePlaceInside() throws Exception {
        // made as /srv/pg/data/ts (PostgreSQL only warns); barman-cloud-backup copies its files into data.tar too
        byte[] stale = "the copy in data.tar, not the tablespace's archive".getBytes(StandardCharsets.UTF_8);
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/data/ts", 2, 1000)
                .withDataFiles(2, 100).withDataMember("ts/PG_15_202209061/5/16385", stale);
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        store.delete(DIR + "backup_manifest"); // as barman-cloud's backups: the copy in data.tar is not listed
        Path pgdata = temp.resolve("restored");

        restore(ID.value(), pgdata, Map.of("ts1", pgdata.resolve("ts")), 3);

        for (TestCluster.Member m : cluster.tablespaceMembers(16384)) {
            assertArrayEquals(m.content(), Files.readAllBytes(pgdata.resolve("ts").resolve(m.name())), m.name());
        }
        assertArrayEquals(cluster.dataMembers().get(1).content(), Files.readAllBytes(pgdata.resolve("base/5/16400")));
        assertEquals(pgdata.resolve("ts").toAbsolutePath(), Files.readSymbolicLink(pgdata.resolve("pg_tblspc/16384")));
        assertTrue(Files.exists(pgdata.resolve("global/pg_control")));
        assertEquals(List.of(), warnings);
    }

    @Test
    void tablespaceInsideTheDataDirectoryGoesNowhereElseInside() throws Exception {
        TestCluster cluster = new TestCluster().withTablespace("ts1", 16384, "/srv/pg/data/ts", 1, 100)
                .withDataFiles(1, 100);
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        Path pgdata = temp.resolve("restored");

        // base/ would be skipped in data.tar as the tablespace's: refused, nothing written
        OperationFailedException failure = assertThrows(OperationFailedException.class,
                () -> restore(ID.value(), pgdata, Map.of("ts1", pgdata.resolve("base")), 1));

        assertTrue(failure.getMessage().contains("overlaps the data directory"), failure.getMessage());
        assertFalse(Files.exists(pgdata));
    }

    @Test
    void absoluteAndParentMemberNamesAreRefused() {
        assertThrows(OperationFailedException.class, () -> TarExtractor.normalize("/etc/passwd", "a"));
        assertThrows(OperationFailedException.class, () -> TarExtractor.normalize("../x", "a"));
        assertThrows(OperationFailedException.class, () -> TarExtractor.normalize("./a/../../x", "a"));
    }

    @Test
    void memberNamesLoseTheirLeadingDot() throws Exception {
        assertEquals("PG_VERSION", TarExtractor.normalize("./PG_VERSION", "a"));
        assertEquals("", TarExtractor.normalize("./", "a"));
        assertEquals("pg_wal", TarExtractor.normalize("pg_wal/", "a"));
    }

    @Test
    void catalogResolvesIdsNamesAndShortcuts() throws Exception {
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20260101T000000"), Compression.NONE,
                1L << 30, "first-one");
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20260102T000000"), Compression.NONE,
                1L << 30, null);
        store.delete("pfx/main/base/20260102T000000/backup.info"); // unfinished: invisible
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20260103T000000"), Compression.NONE,
                1L << 30, null);
        BackupCatalog catalog = new BackupCatalog(store, LAYOUT);

        assertEquals("20260103T000000", catalog.resolve("latest", w -> { }).id().value());
        assertEquals("20260103T000000", catalog.resolve("last", w -> { }).id().value());
        assertEquals("20260101T000000", catalog.resolve("oldest", w -> { }).id().value());
        assertEquals("20260101T000000", catalog.resolve("first", w -> { }).id().value());
        assertEquals("20260101T000000", catalog.resolve("first-one", w -> { }).id().value());
        assertEquals("20260103T000000", catalog.resolve("20260103T000000", w -> { }).id().value());
        assertThrows(OperationFailedException.class, () -> catalog.resolve("20260102T000000", w -> { }));
        assertThrows(OperationFailedException.class, () -> catalog.resolve("no-such-name", w -> { }));
        assertThrows(OperationFailedException.class, () -> catalog.resolve("last-failed", w -> { }));
    }

    /**
     * A file store whose reads of {@code data.tar} break (as a reset connection does, typed {@link
     * StoreUnavailableException} by the provider) after {@code cutAfter} bytes, {@code breaks} times;
     * with {@code staysDown}, every read of it is refused once one broke.
     */
    private BlobStore breakingReads(int breaks, long cutAfter, boolean staysDown) {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(breaks);
        return new io.cumulus.storage.testkit.ForwardingBlobStore(store) {
            @Override
            public java.io.InputStream openRead(String key) throws IOException {
                return cut(key, delegate().openRead(key));
            }

            @Override
            public java.io.InputStream openRead(String key, long offset, long length) throws IOException {
                if (staysDown && left.get() < breaks) {
                    throw new StoreUnavailableException("cannot reach the store: Connection refused", null);
                }
                return cut(key, delegate().openRead(key, offset, length));
            }

            private java.io.InputStream cut(String key, java.io.InputStream in) {
                if (!key.endsWith("/data.tar")) {
                    return in;
                }
                return new java.io.FilterInputStream(in) {
                    private long read;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (read >= cutAfter && left.getAndDecrement() > 0) {
                            throw new StoreUnavailableException("cannot reach the store: Connection reset", null);
                        }
                        int n = super.read(b, off, (int) Math.min(len, Math.max(1, cutAfter - read)));
                        read += Math.max(n, 0);
                        return n;
                    }
                };
            }
        };
    }

    @Test
    void aReadThatBreaksIsResumedWhereItStoppedAndTheRestoreIsVerified() throws Exception {
        TestCluster cluster = new TestCluster().withDataFiles(6, 30_000);
        backup(cluster, ID, Compression.NONE, 1L << 30, null);
        BackupCatalog.Entry entry = new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { });
        Path pgdata = temp.resolve("resumed");

        RestoreOutcome outcome = new BaseRestore(breakingReads(2, 70_000, false), LAYOUT, 1, listener, Duration.ZERO, NOT_ROOT)
                .restore(entry, pgdata, Map.of());

        assertTrue(outcome.verified());
        for (TestCluster.Member m : cluster.dataMembers()) {
            assertArrayEquals(m.content(), Files.readAllBytes(pgdata.resolve(m.name())), m.name());
        }
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).matches("reading .*/data.tar broke at byte \\d+ of \\d+ \\(cannot reach the store:"
                + " Connection reset\\); resuming from there \\(1 of 3\\)"), warnings.toString());
    }

    /** A cumulus-backup-delete -b removing the backup while it is restored: a missing part, exit 1, said so. */
    @Test
    void anArchiveDeletedDuringTheRestoreIsAnIncompleteBackupNamingIt() throws Exception {
        backup(new TestCluster().withDataFiles(6, 30_000), ID, Compression.NONE, 40_000, null);
        BackupCatalog.Entry entry = new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { });
        String gone = LAYOUT.backupPrefix(ID.value()) + "data_0002.tar";
        assertTrue(store.stat(gone).isPresent(), "the backup has a third data part");
        BlobStore deleting = new io.cumulus.storage.testkit.ForwardingBlobStore(store) {
            @Override
            public java.io.InputStream openRead(String key) throws IOException {
                if (key.equals(gone)) {
                    delegate().delete(key);
                }
                return delegate().openRead(key);
            }

            @Override
            public java.io.InputStream openRead(String key, long offset, long length) throws IOException {
                if (key.equals(gone)) {
                    delegate().delete(key);
                }
                return delegate().openRead(key, offset, length);
            }
        };

        OperationFailedException e = assertThrows(OperationFailedException.class, () -> new BaseRestore(
                deleting, LAYOUT, 1, listener, Duration.ZERO).restore(entry, temp.resolve("cut"), Map.of()));

        assertTrue(e.getMessage().startsWith("backup " + ID + " is incomplete: " + gone + " is no longer in the store"),
                e.getMessage());
    }

    @Test
    void aStoreThatStaysAwayFailsAsUnavailableSayingTheDirectoryIsIncomplete() throws Exception {
        backup(new TestCluster().withDataFiles(6, 30_000), ID, Compression.NONE, 1L << 30, null);
        BackupCatalog.Entry entry = new BackupCatalog(store, LAYOUT).resolve(ID.value(), w -> { });
        Path pgdata = temp.resolve("broken");

        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, () -> new BaseRestore(
                breakingReads(1, 70_000, true), LAYOUT, 1, listener, Duration.ZERO)
                .restore(entry, pgdata, Map.of()));

        assertTrue(e.getMessage().matches("the store stopped answering while reading .*/data.tar \\(at byte 70000 of"
                + " \\d+, 3 resumes failed\\): .*; " + Pattern.quote(pgdata.toString()) + " is incomplete \\(it has no"
                + " global/pg_control, so PostgreSQL will not start from it\\): empty it and re-run cumulus-restore"),
                e.getMessage());
        assertEquals(3, warnings.size(), warnings.toString());
    }

    @Test
    void shortcutsNamesAndAutoSkipAnUnreadableBackupInfoWithAWarningNamingItAndItsIdFailsNamingIt()
            throws Exception {
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20260101T000000"), Compression.NONE,
                1L << 30, "older");
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20260103T000000"), Compression.NONE,
                1L << 30, null);
        try (var out = store.openWrite("pfx/main/base/20260101T000000/backup.info", WriteOptions.DEFAULT)) {
            out.write("garbage\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        BackupCatalog catalog = new BackupCatalog(store, LAYOUT);
        List<String> warnings = new ArrayList<>();

        assertEquals("20260103T000000", catalog.resolve("latest", warnings::add).id().value());
        assertEquals("20260103T000000", catalog.resolve("oldest", warnings::add).id().value());
        assertEquals("20260103T000000", catalog.resolveAuto(null, null, RecoveryTimeline.any(), warnings::add).id().value());
        assertThrows(OperationFailedException.class, () -> catalog.resolve("older", warnings::add));
        assertEquals(4, warnings.size(), warnings.toString());
        assertTrue(warnings.stream().allMatch(w -> w.startsWith("skipping backup 20260101T000000: its backup.info"
                + " cannot be read (")), warnings.toString());
        IOException explicit = assertThrows(IOException.class, () -> catalog.resolve("20260101T000000", w -> { }));
        assertFalse(explicit instanceof OperationFailedException);
        assertTrue(explicit.getMessage().startsWith("backup 20260101T000000: its backup.info cannot be read"),
                explicit.getMessage());
    }

    @Test
    void autoChoosesTheNewestBackupThatEndedBeforeTheTarget() throws Exception {
        backup(new TestCluster().withDataFiles(1, 10), new BackupId("20261121T051944"), Compression.NONE,
                1L << 30, null); // ends 05:24:05 at 0/579E488 (TestCluster.END)
        BackupCatalog catalog = new BackupCatalog(store, LAYOUT);

        assertEquals(ID, catalog.resolveAuto(null, null, RecoveryTimeline.any(), w -> { }).id());
        assertEquals(ID, catalog.resolveAuto(TestCluster.END, null, RecoveryTimeline.exactly(1), w -> { }).id());
        assertEquals(ID, catalog.resolveAuto(null, BackupCatalog.parseLsn("0/579E488"), RecoveryTimeline.any(), w -> { }).id());
        assertThrows(OperationFailedException.class, () -> catalog.resolveAuto(TestCluster.END.minusSeconds(1),
                null, RecoveryTimeline.any(), w -> { }));
        assertThrows(OperationFailedException.class, () -> catalog.resolveAuto(null,
                BackupCatalog.parseLsn("0/579E487"), RecoveryTimeline.any(), w -> { }));
        assertThrows(OperationFailedException.class, () -> catalog.resolveAuto(null, null, RecoveryTimeline.exactly(2), w -> { }));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
