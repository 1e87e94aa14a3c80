package io.cumulus.core.wal;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.check.TimelineHistory;
import io.cumulus.core.restore.BackupCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The timeline a recovery follows, as its data directory shows it, and where that timeline left the
 * timeline of a segment asked for inside that segment. PostgreSQL restores the history file of the timeline
 * it recovers along (and of each newer one a standby switches to) into {@code pg_wal} and keeps it there, so
 * the newest history file in {@code pg_wal} is the followed timeline's. It is read again at each question:
 * history files appear as recovery goes on.
 */
public final class FollowedTimeline {

    /** No data directory (a call by hand elsewhere, a test): no timeline is known to be followed. */
    public static final FollowedTimeline UNKNOWN = new FollowedTimeline(null, BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE);

    /**
     * Timeline {@code timeline}, which the recovery follows, left timeline {@code left} at {@code switchLsn}.
     */
    public record Fork(long timeline, long left, long switchLsn) {

        /** For messages: {@code timeline 2 (00000002.history in pg_wal), which this recovery follows, left timeline 1 at 0/8000128}. */
        public String describe() {
            return "timeline " + timeline + " (" + WalName.history(timeline).name() + " in pg_wal), which this"
                    + " recovery follows, left timeline " + left + " at " + BackupCatalog.formatLsn(switchLsn);
        }
    }

    /** The data directory's pg_wal, or null. */
    private final Path pgWal;
    private final long segmentSize;

    private FollowedTimeline(Path pgWal, long segmentSize) {
        this.pgWal = pgWal;
        this.segmentSize = segmentSize;
    }

    /**
     * The timeline the recovery run in {@code dataDirectory} follows, with segments of the size {@code cluster}
     * gives (its pg_control), else of the default size.
     */
    public static FollowedTimeline in(Path dataDirectory, PgControl cluster) {
        return new FollowedTimeline(dataDirectory.resolve("pg_wal"),
                cluster.segmentSize().orElse(BackupInfo.DEFAULT_XLOG_SEGMENT_SIZE));
    }

    /**
     * Where the followed timeline left the timeline of {@code wal}, a segment, when that switch point lies in
     * {@code wal}; else (no history file in pg_wal, another segment, a timeline the history does not leave,
     * not a segment) empty. A copy of {@code wal} archived whole by a server that stayed on its timeline then
     * holds WAL past the switch point, which is not the followed timeline's.
     */
    public Optional<Fork> forkIn(WalName wal) throws IOException {
        if (pgWal == null || wal.kind() != WalName.Kind.SEGMENT) {
            return Optional.empty();
        }
        Optional<TimelineHistory> followed = newestHistory();
        if (followed.isEmpty()) {
            return Optional.empty();
        }
        OptionalLong switchPoint = followed.get().switchPointIn(wal.timeline(), wal.segmentNumber(segmentSize),
                segmentSize);
        return switchPoint.isPresent()
                ? Optional.of(new Fork(followed.get().timeline(), wal.timeline(), switchPoint.getAsLong()))
                : Optional.empty();
    }

    /** The history file of the newest timeline in pg_wal, or empty when there is none (or none that parses). */
    private Optional<TimelineHistory> newestHistory() throws IOException {
        WalName newest = null;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(pgWal, "*.history")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (!WalName.isWalName(name)) {
                    continue;
                }
                WalName history = WalName.parse(name);
                if (history.kind() == WalName.Kind.HISTORY && (newest == null || history.timeline() > newest.timeline())) {
                    newest = history;
                }
            }
        } catch (NoSuchFileException | NotDirectoryException noPgWal) {
            return Optional.empty();
        }
        if (newest == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(TimelineHistory.parse(newest.timeline(),
                    new String(Files.readAllBytes(pgWal.resolve(newest.name())), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException | InvalidInputException e) {
            // removed in between, or not a history PostgreSQL can follow either (it stops on such a file)
            return Optional.empty();
        }
    }
}
