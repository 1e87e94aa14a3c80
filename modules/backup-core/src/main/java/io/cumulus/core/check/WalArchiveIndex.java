package io.cumulus.core.check;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.core.wal.WalName;
import io.cumulus.storage.BlobInfo;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.BlobStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one listing of a server's {@code wals/} holds, read the way barman-cloud reads it (reference
 * §8): each key is a WAL file after at most one known compression suffix is stripped (every suffix
 * Cumulus and barman-cloud 3.17 write, {@code .zst}, {@code .lz4} and {@code .xz} included), and
 * anything else is ignored. The listing is lazy and paginated, and what is kept is bounded by the
 * number of timelines and of gaps, not by the number of segments: complete segments are kept as
 * ranges of segment numbers per timeline, and their dates only where a segment was archived after a
 * higher one (archived again, or copied out of order). A segment's copy that cannot be a segment (an
 * uncompressed object whose size is not the segment size, or an empty compressed one) is not
 * complete: it is kept apart, with what is wrong with it, since cumulus-wal-restore refuses it.
 */
public final class WalArchiveIndex {

    /** WAL files of one timeline: how many objects, the first one's key, its complete segments. */
    private static final class Timeline {
        long objects;
        String firstKey;
        /** Ranges of present segment numbers, first to last inclusive, disjoint and not adjacent. */
        final NavigableMap<Long, Long> segments = new TreeMap<>();
        /**
         * The segments no other segment beats on both number and date (one that is higher and archived
         * no earlier): the newest segment when archiving went in order, a few more when segments were
         * archived again or copied out of order. Whether a segment past a number was archived after an
         * instant is answered by the lowest one past it, which is also the latest archived among them.
         */
        final NavigableMap<Long, Instant> latestArchived = new TreeMap<>();
        /** Segments whose copy cannot be a segment, with what is wrong with it: bounded by the gaps. */
        final NavigableMap<Long, String> unusable = new TreeMap<>();
        String historyKey;
        Instant historyModified;
    }

    private final long segmentSize;
    private final NavigableMap<Long, Timeline> timelines = new TreeMap<>();
    private long walObjects;

    private WalArchiveIndex(long segmentSize) {
        this.segmentSize = segmentSize;
    }

    /**
     * Lists {@code <server>/wals/} once.
     *
     * @param segmentSize the WAL segment size, to number segments across log boundaries and to tell
     *     a truncated uncompressed segment
     */
    public static WalArchiveIndex scan(BlobStore store, ServerLayout layout, long segmentSize) throws IOException {
        WalArchiveIndex index = new WalArchiveIndex(segmentSize);
        index.addListing(store, layout.walsPrefix());
        return index;
    }

    /**
     * As {@link #scan}, listing only the hash directories of {@code timeline}'s logs {@code firstLog} to
     * {@code lastLog} (a backup's WAL range: a listing of every {@code wals/} is not needed for it).
     */
    public static WalArchiveIndex scan(BlobStore store, ServerLayout layout, long segmentSize, long timeline,
            long firstLog, long lastLog) throws IOException {
        WalArchiveIndex index = new WalArchiveIndex(segmentSize);
        for (long log = firstLog; log <= lastLog; log++) {
            index.addListing(store, layout.walDirectory(WalName.segment(timeline, log, 0)));
        }
        return index;
    }

    private void addListing(BlobStore store, String prefix) throws IOException {
        BlobIterator objects = store.list(prefix);
        while (objects.hasNext()) {
            BlobInfo object = objects.next();
            WalName.ofObjectName(object.name()).ifPresent(wal -> add(object, wal));
        }
    }

    private void add(BlobInfo object, WalName wal) {
        walObjects++;
        Timeline timeline = timelines.computeIfAbsent(wal.timeline(), t -> new Timeline());
        timeline.objects++;
        if (timeline.firstKey == null) {
            timeline.firstKey = object.key();
        }
        switch (wal.kind()) {
            case SEGMENT -> {
                if (!wal.fitsSegmentSize(segmentSize)) {
                    return; // WAL of another segment size: numbered as this one's, it would fill this one's gaps
                }
                long n = wal.segmentNumber(segmentSize);
                // the listing is in key order, so the first copy seen is the one cumulus-wal-restore takes
                if (!hasSegment(timeline, n) && !timeline.unusable.containsKey(n)) {
                    Optional<String> wrong = unusable(object);
                    if (wrong.isPresent()) {
                        timeline.unusable.put(n, wrong.get());
                    } else {
                        addSegment(timeline.segments, n);
                    }
                }
                addArchived(timeline.latestArchived, n, object.lastModified());
            }
            case HISTORY -> {
                timeline.historyKey = object.key();
                timeline.historyModified = object.lastModified();
            }
            default -> {
                // .partial and .backup files are not segments recovery can replay as complete
            }
        }
    }

    /**
     * What makes {@code object} no segment: an uncompressed copy holds exactly one segment, and a
     * compressed one holds at least a header. A compressed copy's content is not read.
     */
    private Optional<String> unusable(BlobInfo object) {
        boolean compressed = Compression.ofSuffix(object.name()).isPresent();
        if (compressed ? object.size() > 0 : object.size() == segmentSize) {
            return Optional.empty();
        }
        return Optional.of(object.name() + " is " + object.size() + " bytes, not a " + (compressed
                ? "compressed segment" : describeSize(segmentSize) + " segment"));
    }

    /** A segment size as PostgreSQL's initdb --wal-segsize gives it: 16 MiB, 1 GiB. */
    static String describeSize(long bytes) {
        return bytes % (1L << 30) == 0 ? bytes / (1L << 30) + " GiB"
                : bytes % (1L << 20) == 0 ? bytes / (1L << 20) + " MiB" : bytes + " bytes";
    }

    private static void addSegment(NavigableMap<Long, Long> ranges, long n) {
        Map.Entry<Long, Long> before = ranges.floorEntry(n);
        if (before != null && before.getValue() >= n) {
            return; // the same segment under another compression
        }
        long start = n;
        long end = n;
        if (before != null && before.getValue() == n - 1) {
            start = before.getKey();
        }
        Long afterEnd = ranges.get(n + 1);
        if (afterEnd != null) {
            ranges.remove(n + 1);
            end = afterEnd;
        }
        ranges.put(start, end);
    }

    private static void addArchived(NavigableMap<Long, Instant> frontier, long n, Instant at) {
        Map.Entry<Long, Instant> higher = frontier.ceilingEntry(n);
        if (higher != null && !higher.getValue().isBefore(at)) {
            return; // a segment as high or higher was archived no earlier
        }
        for (Map.Entry<Long, Instant> lower = frontier.floorEntry(n); lower != null && !lower.getValue().isAfter(at);
                lower = frontier.floorEntry(n)) {
            frontier.remove(lower.getKey());
        }
        frontier.put(n, at);
    }

    /** The segment size segments were numbered with. */
    public long segmentSize() {
        return segmentSize;
    }

    /** How many objects are WAL files of any kind (segments, partial, backup and history files). */
    public long walObjects() {
        return walObjects;
    }

    /** How many WAL objects belong to timeline {@code timeline} or a later one (history files included). */
    public long objectsFromTimeline(long timeline) {
        return timelines.tailMap(timeline, true).values().stream().mapToLong(t -> t.objects).sum();
    }

    /** The key of one WAL object of the lowest timeline at or after {@code timeline}, for messages. */
    public Optional<String> firstKeyFromTimeline(long timeline) {
        return timelines.tailMap(timeline, true).values().stream().map(t -> t.firstKey).findFirst();
    }

    /** The key of timeline {@code timeline}'s history file, if archived. */
    public Optional<String> historyKey(long timeline) {
        return Optional.ofNullable(timelines.get(timeline)).map(t -> t.historyKey);
    }

    /** When timeline {@code timeline}'s history file was stored, if it is archived. */
    public Optional<Instant> historyModified(long timeline) {
        return Optional.ofNullable(timelines.get(timeline)).map(t -> t.historyModified);
    }

    /**
     * A complete segment of {@code timeline} numbered higher than {@code afterSegment} and stored after
     * {@code after}, if there is one: the latest stored of them.
     */
    public Optional<WalName> segmentStoredAfter(long timeline, long afterSegment, Instant after) {
        Timeline t = timelines.get(timeline);
        Map.Entry<Long, Instant> latest = t == null ? null : t.latestArchived.higherEntry(afterSegment);
        return latest != null && latest.getValue().isAfter(after) ? Optional.of(segment(timeline, latest.getKey()))
                : Optional.empty();
    }

    /** Whether segment number {@code segmentNumber} of {@code timeline} is archived complete. */
    public boolean hasSegment(long timeline, long segmentNumber) {
        Timeline t = timelines.get(timeline);
        return t != null && hasSegment(t, segmentNumber);
    }

    private static boolean hasSegment(Timeline t, long segmentNumber) {
        Map.Entry<Long, Long> range = t.segments.floorEntry(segmentNumber);
        return range != null && range.getValue() >= segmentNumber;
    }

    /**
     * What is wrong with the copies of segments {@code first} to {@code last} (inclusive) of {@code
     * timeline} that cannot be segments, in order: e.g. {@code 000000010000000000000024 is 0 bytes,
     * not a 16 MiB segment}.
     */
    public List<String> unusable(long timeline, long first, long last) {
        Timeline t = timelines.get(timeline);
        return t == null ? List.of() : List.copyOf(t.unusable.subMap(first, true, last, true).values());
    }

    /** The timelines newer than {@code timeline} that have a WAL file of any kind (a history file included). */
    public java.util.SortedSet<Long> timelinesAfter(long timeline) {
        return Collections.unmodifiableSortedSet(timelines.navigableKeySet().tailSet(timeline, false));
    }

    /**
     * The number of the newest segment of {@code timeline} that is at most {@code atMost} and is
     * archived, complete or not (a copy that cannot be a segment still marks where archiving got to),
     * if any.
     */
    public java.util.OptionalLong newestSegmentNumber(long timeline, long atMost) {
        Timeline t = timelines.get(timeline);
        Map.Entry<Long, Long> range = t == null ? null : t.segments.floorEntry(atMost);
        Long unusable = t == null ? null : t.unusable.floorKey(atMost);
        long newest = Math.max(range == null ? -1 : Math.min(range.getValue(), atMost),
                unusable == null ? -1 : unusable);
        return newest < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(newest);
    }

    /** The number of the oldest complete segment of {@code timeline} archived, if any. */
    public java.util.OptionalLong oldestSegmentNumber(long timeline) {
        Timeline t = timelines.get(timeline);
        return t == null || t.segments.isEmpty() ? java.util.OptionalLong.empty()
                : java.util.OptionalLong.of(t.segments.firstKey());
    }

    /**
     * The missing stretches of segments {@code first} to {@code last} (segment numbers, inclusive) of
     * {@code timeline}, each as {@code [firstMissing, lastMissing]}, in order.
     */
    public List<long[]> missing(long timeline, long first, long last) {
        Timeline t = timelines.get(timeline);
        NavigableMap<Long, Long> ranges = t == null ? Collections.emptyNavigableMap() : t.segments;
        List<long[]> gaps = new java.util.ArrayList<>();
        long next = first;
        Map.Entry<Long, Long> floor = ranges.floorEntry(first);
        if (floor != null && floor.getValue() >= first) {
            next = floor.getValue() + 1;
        }
        for (Map.Entry<Long, Long> range : ranges.subMap(first, false, last, true).entrySet()) {
            if (range.getKey() > next) {
                gaps.add(new long[] {next, range.getKey() - 1});
            }
            next = Math.max(next, range.getValue() + 1);
        }
        if (next <= last) {
            gaps.add(new long[] {next, last});
        }
        return gaps;
    }

    /** The segment with number {@code segmentNumber} on {@code timeline}. */
    public WalName segment(long timeline, long segmentNumber) {
        long perLog = 0x1_0000_0000L / segmentSize;
        return WalName.segment(timeline, segmentNumber / perLog, segmentNumber % perLog);
    }
}
