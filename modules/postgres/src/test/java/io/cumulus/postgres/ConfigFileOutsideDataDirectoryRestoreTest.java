package io.cumulus.postgres;

import io.cumulus.core.io.ChunkedBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.backup.ArchiveContent;
import io.cumulus.core.backup.BackupBegin;
import io.cumulus.core.backup.BackupEnd;
import io.cumulus.core.backup.BackupListener;
import io.cumulus.core.backup.BackupSettings;
import io.cumulus.core.backup.BackupSource;
import io.cumulus.core.backup.BaseBackup;
import io.cumulus.core.backup.DataArchiveContent;
import io.cumulus.core.backup.SourceFacts;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.core.restore.BaseRestore;
import io.cumulus.core.restore.RestoreListener;
import io.cumulus.core.restore.RestoreOutcome;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.file.FileBlobStores;
import io.cumulus.storage.file.FileStoreConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory whose server reads its postgresql.conf from elsewhere (the official Docker image's
 * {@code -c config_file=/etc/postgresql/postgresql.conf}) while initdb's copy is still in the data
 * directory, backed up by the walker, the tar writer and the manifest writer and restored by
 * {@link BaseRestore}: the restored, verified postgresql.conf is the one the server used.
 */
class ConfigFileOutsideDataDirectoryRestoreTest {

    private static final ServerLayout LAYOUT = new ServerLayout("pfx", "main");
    private static final String LABEL = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n";

    @TempDir
    Path temp;

    @Test
    void restoredConfigFileIsTheOneOutsideTheDataDirectory() throws Exception {
        Path pgdata = Files.createDirectories(temp.resolve("data"));
        Path etc = Files.createDirectories(temp.resolve("etc"));
        write(pgdata.resolve("PG_VERSION"), "15\n");
        write(pgdata.resolve("postgresql.conf"), "# initdb's postgresql.conf, which the server does not read\n");
        write(pgdata.resolve("pg_hba.conf"), "local all all trust\n");
        write(pgdata.resolve("base/1/112"), "relation");
        write(pgdata.resolve("global/pg_control"), "control");
        Files.createSymbolicLink(pgdata.resolve("link_to_version"), Path.of("PG_VERSION"));
        write(etc.resolve("postgresql.conf"), "listen_addresses = '*'\n");
        ServerFacts facts = new ServerFacts(150018, "15.18", "7710490106817857947", pgdata, 16L << 20,
                etc.resolve("postgresql.conf"), pgdata.resolve("pg_hba.conf"), pgdata.resolve("pg_ident.conf"),
                List.of(), List.of(), false, "replica", true);
        BlobStore store = FileBlobStores.open(new FileStoreConfig(Files.createDirectory(temp.resolve("bucket"))));
        BackupId id = new BackupId("20261121T051944");
        new BaseBackup(store, LAYOUT, BackupSettings.defaults(), BackupListener.NONE).run(id, new WalkedSource(facts));

        String manifest;
        try (var in = store.openRead(LAYOUT.backupPrefix(id.value()) + "backup_manifest")) {
            manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertEquals(1, manifest.split("\"Path\": \"postgresql.conf\"", -1).length - 1, manifest);

        Path restored = temp.resolve("restored");
        RestoreOutcome outcome = new BaseRestore(store, LAYOUT, 2, RestoreListener.NONE)
                .restore(new BackupCatalog(store, LAYOUT).resolve(id.value(), w -> { }), restored, Map.of());

        assertTrue(outcome.verified());
        assertEquals("listen_addresses = '*'\n", Files.readString(restored.resolve("postgresql.conf")));
        assertEquals("local all all trust\n", Files.readString(restored.resolve("pg_hba.conf")));
        assertEquals(Path.of("PG_VERSION"), Files.readSymbolicLink(restored.resolve("link_to_version")));
        assertEquals(LABEL, Files.readString(restored.resolve("backup_label")));
        // PG_VERSION, postgresql.conf, pg_hba.conf, base/1/112, global/pg_control, backup_label
        assertEquals(6, outcome.files());
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    /**
     * cumulus-backup's PostgresBackupSource without a server and in one part: the walk, written by
     * TarStreamWriter, each file added to BackupManifestWriter.
     */
    private static final class WalkedSource implements BackupSource, DataArchiveContent {
        private static final OffsetDateTime TIME = OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 0, ZoneOffset.UTC);

        private final ServerFacts facts;
        private final PgDataWalker walker;
        private final BackupManifestWriter manifest = new BackupManifestWriter();
        private Iterator<PgDataEntry> entries;
        private TarStreamWriter tar;

        WalkedSource(ServerFacts facts) {
            this.facts = facts;
            this.walker = new PgDataWalker(facts);
        }

        @Override
        public SourceFacts facts() {
            return facts.sourceFacts();
        }

        @Override
        public OptionalLong estimatedSize() {
            return OptionalLong.empty();
        }

        @Override
        public BackupBegin start(String label) {
            return new BackupBegin("0/4000028", "000000010000000000000004", 40, 1, TIME, List.of());
        }

        @Override
        public List<ArchiveContent> tablespaceArchives() {
            return List.of();
        }

        @Override
        public DataArchiveContent dataArchive() {
            return this;
        }

        @Override
        public BackupEnd stop(String restorePointName) {
            return new BackupEnd("0/579E488", "000000010000000000000005", 7988360, 1, TIME.plusMinutes(4), LABEL,
                    List.of());
        }

        @Override
        public ChunkedBytes manifest() {
            return manifest.finish(List.of(new WalRange(1, Lsn.parse("0/4000028"), Lsn.parse("0/579E488"))));
        }

        @Override
        public String name() {
            return "data";
        }

        @Override
        public void startPart(OutputStream out) {
            tar = new TarStreamWriter(out, ChecksumAlgorithm.CRC32C);
        }

        @Override
        public boolean hasNext() {
            if (entries == null) {
                entries = walker.dataDirectory().iterator();
            }
            return entries.hasNext();
        }

        @Override
        public void addNext() throws IOException {
            tar.write(entries.next()).ifPresent(manifest::addFile);
        }

        @Override
        public void addBackupLabel(String text, java.time.Instant stopped) throws IOException {
            manifest.addFile(tar.writeBackupLabel(text, walker.dataDirectoryRoot(), stopped));
        }

        @Override
        public void finishPart() throws IOException {
            tar.finish();
        }
    }
}
