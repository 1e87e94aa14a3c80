package io.cumulus.core.check;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.restore.BackupCatalog;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The content of a timeline history file ({@code 00000003.history}): for each ancestor timeline, the
 * LSN at which the next timeline branched off it. PostgreSQL writes one line per ancestor, oldest
 * first, {@code parentTLI<TAB>switchpoint<TAB>reason}; blank lines and lines starting with {@code #}
 * are comments.
 *
 * @param timeline the timeline the file describes
 * @param ancestors its ancestors, oldest first
 */
public record TimelineHistory(long timeline, List<Switch> ancestors) {

    /** One ancestor: timeline {@code timeline} was left at {@code switchLsn}. */
    public record Switch(long timeline, long switchLsn) {
    }

    public TimelineHistory {
        ancestors = List.copyOf(ancestors);
    }

    /** The history of timeline 1, which has no ancestor and no history file. */
    public static TimelineHistory first() {
        return new TimelineHistory(1, List.of());
    }

    /**
     * Parses the text of timeline {@code timeline}'s history file.
     *
     * @throws InvalidInputException when a line is not {@code TLI LSN [reason]}
     */
    public static TimelineHistory parse(long timeline, String text) {
        List<Switch> ancestors = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+", 3);
            try {
                long parent = Long.parseLong(fields[0]);
                ancestors.add(new Switch(parent, BackupCatalog.parseLsn(fields[1])));
            } catch (RuntimeException e) {
                throw new InvalidInputException("line '" + line + "' of the history file of timeline " + timeline
                        + " is not 'TIMELINE LSN REASON'");
            }
        }
        return new TimelineHistory(timeline, ancestors);
    }

    /**
     * Reads and parses the history file of {@code timeline} stored under {@code key}, compressed as its
     * suffix says.
     *
     * @throws java.io.FileNotFoundException when there is no such object
     * @throws InvalidInputException when a line is not {@code TLI LSN [reason]}
     */
    public static TimelineHistory read(BlobStore store, String key, long timeline) throws IOException {
        Compression compression = Compression.ofSuffix(key).orElse(Compression.NONE);
        try (InputStream in = compression.decompress(store.openRead(key))) {
            return parse(timeline, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The LSN at which this history leaves {@code ancestor}, or empty when it is not one of its ancestors. */
    public OptionalLong switchPoint(long ancestor) {
        return ancestors.stream().filter(s -> s.timeline() == ancestor).mapToLong(Switch::switchLsn).findFirst();
    }

    /** Whether {@code other} is this timeline or one of its ancestors. */
    public boolean descendsFrom(long other) {
        return other == timeline || ancestors.stream().anyMatch(s -> s.timeline() == other);
    }

    /**
     * The switch point at which this history leaves timeline {@code ancestor}, when it lies in that timeline's
     * segment {@code segmentNumber} (segments of {@code segmentSize} bytes, from the segment's first byte to
     * its last); else empty. That segment, archived whole by a server that stayed on {@code ancestor}, holds
     * WAL past the switch point, which is not this history's.
     */
    public OptionalLong switchPointIn(long ancestor, long segmentNumber, long segmentSize) {
        OptionalLong switchPoint = switchPoint(ancestor);
        return switchPoint.isPresent() && Long.divideUnsigned(switchPoint.getAsLong(), segmentSize) == segmentNumber
                ? switchPoint : OptionalLong.empty();
    }

    /**
     * The timeline PostgreSQL replays segment {@code segmentNumber} from when it recovers along this
     * history: the oldest timeline whose switch point lies beyond the segment's start, as
     * {@code XLogFileReadAnyTLI} chooses (a segment holding a switch point is read from the newer timeline).
     */
    public long timelineOf(long segmentNumber, long segmentSize) {
        for (Switch s : ancestors) {
            if (segmentNumber < s.switchLsn() / segmentSize) {
                return s.timeline();
            }
        }
        return timeline;
    }
}
