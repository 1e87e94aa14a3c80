package io.cumulus.core.retention;

import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.catalog.Keep;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Catalogs built for retention tests: backups by number, WAL by segment number (16 MiB segments). */
final class TestCatalog {

    static final ServerLayout LAYOUT = new ServerLayout("pfx", "pg");
    static final OffsetDateTime DAY_ZERO = OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    private static final long SEGMENT_SIZE = 16L << 20;

    final List<CatalogBackup> backups = new ArrayList<>();
    final List<WalObject> wal = new ArrayList<>();

    /** The id of backup {@code n}: taken {@code n} days after {@link #DAY_ZERO}. */
    static BackupId id(int n) {
        return BackupId.of(DAY_ZERO.plusDays(n).toLocalDateTime());
    }

    /** The name of segment {@code s} of timeline {@code tli}. */
    static String segment(int tli, long s) {
        return WalName.segment(tli, s / 256, s % 256).name();
    }

    /** Segment number of a WAL name (its first 24 characters). */
    static long segmentNumber(String walName) {
        WalName w = WalName.parse(walName);
        return w.log() * 256 + w.segment();
    }

    TestCatalog backup(int n, BackupStatus status, int tli, long beginSegment, Keep keep) {
        BackupInfo info = BackupInfo.builder()
                .status(status)
                .timeline(tli)
                .beginWal(segment(tli, beginSegment))
                .endWal(segment(tli, beginSegment + 1))
                .beginTime(DAY_ZERO.plusDays(n))
                .endTime(DAY_ZERO.plusDays(n).plusMinutes(30))
                .version(150000)
                .tablespaces(n % 3 == 0 ? List.of(new Tablespace("ts", 16385, "/ts"), new Tablespace("ts0", 16384, "/t0"))
                        : List.of())
                .build();
        backups.add(new CatalogBackup(id(n), info, Optional.ofNullable(keep)));
        return this;
    }

    TestCatalog done(int n, int tli, long beginSegment) {
        return backup(n, BackupStatus.DONE, tli, beginSegment, null);
    }

    /** Segments {@code from..to} of {@code tli}, gzip-compressed, in their hash directories. */
    TestCatalog segments(int tli, long from, long to) {
        for (long s = from; s <= to; s++) {
            WalName name = WalName.parse(segment(tli, s));
            wal.add(new WalObject(LAYOUT.walDirectory(name) + name.name() + ".gz", name));
        }
        return this;
    }

    /** A WAL object named {@code name} (no compression). */
    TestCatalog walFile(String name) {
        WalName w = WalName.parse(name);
        wal.add(new WalObject(LAYOUT.walDirectory(w) + name, w));
        return this;
    }

    /** The backup history file of every backup (its begin segment, offset 0x28). */
    TestCatalog backupHistoryFiles() {
        for (CatalogBackup b : backups) {
            walFile(b.info().beginWal() + ".00000028.backup");
        }
        return this;
    }

    CatalogBackup get(int n) {
        return backups.stream().filter(b -> b.id().equals(id(n))).findFirst().orElseThrow();
    }

    /** Writes everything into {@code store}: backup.info, archives, manifest, keep annotations, WAL. */
    void writeTo(BlobStore store) throws IOException {
        for (CatalogBackup b : backups) {
            String prefix = LAYOUT.backupPrefix(b.id().value());
            put(store, prefix + "backup.info", b.info().format());
            put(store, prefix + "data.tar.gz", "data");
            put(store, prefix + "data_0001.tar.gz", "data");
            for (Tablespace t : b.info().tablespaces()) {
                put(store, prefix + t.oid() + ".tar.gz", "ts");
            }
            put(store, prefix + "backup_manifest", "{}");
            if (b.keep().isPresent()) {
                put(store, prefix + "annotations/keep", b.keep().get().target());
            }
        }
        for (WalObject w : wal) {
            put(store, w.key(), "wal");
        }
    }

    static void put(BlobStore store, String key, String body) throws IOException {
        try (OutputStream out = store.openWrite(key, WriteOptions.DEFAULT)) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
    }
}
