package io.cumulus.core.check;

import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * cumulus-check's {@value #NAME} line: reads the server's {@code wals/} and the history files it
 * needs, runs {@link WalContinuity} from the oldest DONE backup, and turns what it found, or why it
 * could not look, into one verdict. An object that cannot be parsed (a backup.info's begin_wal, a
 * history file) is named, since neither credentials nor the network are to blame for it.
 */
public final class WalContinuityCheck {

    /** The check's name in the output. */
    public static final String NAME = "WAL continuity";

    /** An object of the store whose content cannot be used: what is wrong with it, and what to do. */
    private static final class UnusableObject extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String fix;

        UnusableObject(String message, String fix) {
            super(message, null, false, false);
            this.fix = fix;
        }
    }

    private WalContinuityCheck() {
    }

    /**
     * The verdict for {@code backups} (the catalog, oldest first).
     *
     * @param segmentSize the WAL segment size to assume when no DONE backup records one (the server's,
     *     when it answered)
     * @throws IOException when the store cannot be listed or read
     */
    public static CheckResult run(BlobStore store, ServerLayout layout, List<CatalogBackup> backups,
            long segmentSize) throws IOException {
        List<CatalogBackup> done = backups.stream()
                .filter(b -> b.status() == BackupStatus.DONE && b.info().beginWal() != null).toList();
        if (done.isEmpty()) {
            return CheckResult.failed(NAME, "no DONE backup, so no WAL range a recovery would need",
                    "take a base backup with cumulus-backup");
        }
        CatalogBackup oldest = done.get(0);
        CatalogBackup newest = done.get(done.size() - 1);
        long size = done.stream().map(b -> b.info().xlogSegmentSize()).filter(s -> s != null).findFirst()
                .orElse(segmentSize);
        try {
            WalName begin = beginWal(layout, oldest);
            WalArchiveIndex index = WalArchiveIndex.scan(store, layout, size);
            WalContinuity.Result result = WalContinuity.check(index, timeline -> history(store, index, timeline),
                    begin, Optional.ofNullable(newest.info().endWal()).filter(WalContinuityCheck::isSegment)
                            .map(WalName::parse));
            String range = result.from() + " to " + result.to();
            if (result.problem().isPresent()) {
                return CheckResult.failed(NAME, result.problem().get(), "archive the missing history file (it is in"
                        + " pg_wal of the server that created the timeline), or take a new backup on this timeline");
            }
            if (!result.gaps().isEmpty()) {
                return CheckResult.failed(NAME, result.gaps().size() + " gap(s) in " + range + ": missing "
                        + String.join(", ", result.gaps().stream().map(Object::toString).toList()),
                        "recovery from backups before the gap stops at it: if the segments are still in pg_wal,"
                                + " archive them again; otherwise take a new base backup now");
            }
            return CheckResult.ok(NAME, "every segment from " + range + " is archived (from the oldest DONE"
                    + " backup " + oldest.info().beginWal() + ")");
        } catch (UnusableObject e) {
            return CheckResult.failed(NAME, e.getMessage(), e.fix);
        }
    }

    private static WalName beginWal(ServerLayout layout, CatalogBackup backup) {
        String value = backup.info().beginWal();
        if (!isSegment(value)) {
            String key = layout.backupPrefix(backup.id().value()) + "backup.info";
            throw new UnusableObject(key + " has begin_wal '" + value + "', which is not a WAL segment name",
                    "correct begin_wal in that backup.info (its backup_label's START WAL LOCATION names the segment),"
                            + " or delete the backup with cumulus-backup-delete -b " + backup.id().value());
        }
        return WalName.parse(value);
    }

    private static boolean isSegment(String name) {
        return WalName.isWalName(name) && WalName.parse(name).kind() == WalName.Kind.SEGMENT;
    }

    private static Optional<TimelineHistory> history(BlobStore store, WalArchiveIndex index, long timeline)
            throws IOException {
        if (timeline == 1) {
            return Optional.of(TimelineHistory.first());
        }
        Optional<String> key = index.historyKey(timeline);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        Compression compression = Compression.ofSuffix(key.get()).orElse(Compression.NONE);
        String text;
        try (InputStream in = compression.decompress(store.openRead(key.get()))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            return Optional.of(TimelineHistory.parse(timeline, text));
        } catch (IllegalArgumentException e) {
            throw new UnusableObject("cannot parse " + key.get() + ": " + e.getMessage(), "replace it with "
                    + WalName.history(timeline).name() + " from pg_wal of the server that created timeline " + timeline
                    + " (or from a copy of the archive)");
        }
    }
}
