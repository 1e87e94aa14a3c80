package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which backup {@code latest} and {@code auto} choose for cumulus-restore, among backups it cannot restore. */
class BackupCatalogTest {

    private static final ServerLayout LAYOUT = new ServerLayout("pfx", "main");
    private static final OffsetDateTime DAY = OffsetDateTime.of(2026, 1, 1, 0, 5, 0, 0, ZoneOffset.UTC);

    private final InMemoryBlobStore store = new InMemoryBlobStore();

    @Test
    void latestAndAutoForARestoreSkipSnapshotAndIncrementalBackupsNamingEach() throws Exception {
        put("20260101T000000", "");
        put("20260102T000000", "children_backup_ids=20260104T000000\n");
        put("20260103T000000", "snapshots_info={'provider': 'gcp', 'snapshots': []}\n");
        put("20260104T000000", "parent_backup_id=20260102T000000\n");
        BackupCatalog catalog = new BackupCatalog(store, LAYOUT);
        List<String> warnings = new ArrayList<>();

        assertEquals("20260102T000000", catalog.resolveForRestore("latest", warnings::add).id().value());
        assertEquals(List.of(
                "skipping backup 20260104T000000 for 'latest': it is an incremental backup (parent 20260102T000000),"
                        + " which cumulus-restore does not restore: restore it with Barman (pg_combinebackup), or"
                        + " choose a full backup",
                "skipping backup 20260103T000000 for 'latest': it is a snapshot backup, which cumulus-restore does not"
                        + " restore: restore it with barman-cloud-restore --snapshot-recovery-instance, or choose"
                        + " another backup"), warnings);

        warnings.clear();
        assertEquals("20260102T000000",
                catalog.resolveAuto(null, null, RecoveryTimeline.any(), warnings::add).id().value());
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("skipping backup 20260104T000000 for auto: it is an incremental backup"),
                warnings.toString());

        // asked for by id, or by the catalog tools, a backup is what it is: the restore refuses it by name
        assertEquals("20260103T000000", catalog.resolveForRestore("20260103T000000", w -> { }).id().value());
        assertEquals("20260104T000000", catalog.resolve("latest", w -> { }).id().value());
    }

    @Test
    void latestFailsWhenNoBackupCanBeRestoredSayingWhy() throws Exception {
        put("20260103T000000", "snapshots_info={'provider': 'gcp', 'snapshots': []}\n");
        BackupCatalog catalog = new BackupCatalog(store, LAYOUT);
        OperationFailedException none = assertThrows(OperationFailedException.class,
                () -> catalog.resolveForRestore("latest", w -> { }));
        assertEquals("no backup matches 'latest' in memory:/pfx/main/base/ that cumulus-restore can restore (see the"
                + " warnings); restore with Barman", none.getMessage());
        OperationFailedException auto = assertThrows(OperationFailedException.class,
                () -> catalog.resolveAuto(null, null, RecoveryTimeline.any(), w -> { }));
        assertTrue(auto.getMessage().startsWith("no DONE backup that cumulus-restore can restore (see the warnings)"),
                auto.getMessage());
    }

    @Test
    void unrestorableNamesSnapshotAndIncrementalBackups() {
        BackupInfo full = info().build();
        assertEquals(java.util.Optional.empty(), full.unrestorableKind());
        assertEquals(java.util.Optional.of("a snapshot backup"),
                full.toBuilder().snapshotsInfo(Map.of("provider", "aws")).build().unrestorableKind());
        assertEquals(java.util.Optional.of("an incremental backup (parent 20260101T000000)"),
                info().newerKeys(Map.of("parent_backup_id", "20260101T000000")).build().unrestorableKind());
    }

    private static BackupInfo.Builder info() {
        return BackupInfo.builder().status(BackupStatus.DONE).timeline(1).beginWal("000000010000000000000002")
                .endTime(DAY).endXlog("0/3000000");
    }

    /** A DONE backup with this id, ending on its day, with {@code newerLines} of backup.info added. */
    private void put(String id, String newerLines) throws IOException {
        OffsetDateTime end = DAY.withDayOfMonth(Integer.parseInt(id.substring(6, 8)));
        String text = info().endTime(end).build().format() + newerLines;
        try (OutputStream out = store.openWrite(LAYOUT.backupPrefix(id) + "backup.info", WriteOptions.DEFAULT)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
