package io.cumulus.core.check;

import io.cumulus.core.wal.WalName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether every segment recovery needs is in the archive: from the oldest DONE backup's first
 * segment to the newest segment archived on the way to a timeline (the cluster's, or else the
 * highest archived), following that timeline's history back to the backup's timeline and choosing
 * for each segment the timeline PostgreSQL would read it from ({@link TimelineHistory#timelineOf}).
 * A gap is named by its first and last missing segment; a copy that cannot be a segment (see
 * {@link WalArchiveIndex}) is missing too, and named with what is wrong with it.
 */
public final class WalContinuity {

    /**
     * A stretch of missing segments on one timeline, first and last inclusive.
     *
     * @param unusable what is wrong with the copies in it that cannot be segments (a truncated or
     *     empty object), in order: such a segment is missing to recovery too
     */
    public record Gap(WalName first, WalName last, List<String> unusable) {
        /** How many of {@link #unusable} are told, at most. */
        private static final int TOLD = 3;

        public Gap {
            unusable = List.copyOf(unusable);
        }

        @Override
        public String toString() {
            String range = first.equals(last) ? first.name() : first.name() + " to " + last.name();
            if (unusable.isEmpty()) {
                return range;
            }
            return range + " (" + String.join("; ", unusable.subList(0, Math.min(TOLD, unusable.size())))
                    + (unusable.size() > TOLD ? "; " + (unusable.size() - TOLD) + " more such object(s)" : "") + ")";
        }
    }

    /**
     * What was found.
     *
     * @param from the first segment needed
     * @param to the last segment needed (the newest archived, complete or not, or the backup's end when later)
     * @param timeline the timeline whose history was followed
     * @param gaps the missing stretches, oldest first; empty when the chain is complete
     * @param problem a reason the chain could not even be followed (missing or unrelated history), or empty
     */
    public record Result(WalName from, WalName to, long timeline, List<Gap> gaps, Optional<String> problem) {
        public boolean complete() {
            return gaps.isEmpty() && problem.isEmpty();
        }
    }

    /** Reads the history of a timeline, or empty when its history file is not archived. */
    @FunctionalInterface
    public interface HistorySource {
        Optional<TimelineHistory> history(long timeline) throws java.io.IOException;
    }

    /** The history followed to a timeline, or why it cannot be. */
    private record Lineage(TimelineHistory history, Optional<String> problem) {
    }

    private WalContinuity() {
    }

    /**
     * {@link #check(WalArchiveIndex, HistorySource, WalName, Optional, long)} along the highest
     * timeline archived, whatever its files (or {@code atLeastTo}'s, when higher): for when the
     * cluster's own timeline cannot be read.
     */
    public static Result check(WalArchiveIndex index, HistorySource histories, WalName begin,
            Optional<WalName> atLeastTo) throws java.io.IOException {
        java.util.SortedSet<Long> archived = index.timelinesAfter(0);
        long timeline = Math.max(begin.timeline(), archived.isEmpty() ? 0 : archived.last());
        if (atLeastTo.isPresent()) {
            timeline = Math.max(timeline, atLeastTo.get().timeline());
        }
        return check(index, histories, begin, atLeastTo, timeline);
    }

    /**
     * Checks the chain from {@code begin} (the oldest DONE backup's begin_wal) to the newest segment
     * archived on the way to {@code timeline}, and at least to {@code atLeastTo} (the newest DONE
     * backup's end_wal) when given and on that way. Segments an ancestor timeline holds past the
     * point where {@code timeline}'s history leaves it, and other timelines, are not on the way.
     */
    public static Result check(WalArchiveIndex index, HistorySource histories, WalName begin,
            Optional<WalName> atLeastTo, long timeline) throws java.io.IOException {
        long size = index.segmentSize();
        Lineage lineage = lineage(histories, begin, timeline, "");
        if (lineage.problem().isPresent()) {
            return new Result(begin, begin, timeline, List.of(), lineage.problem());
        }
        TimelineHistory history = lineage.history();
        long last = begin.segmentNumber(size);
        last = Math.max(last, index.newestSegmentNumber(timeline, Long.MAX_VALUE).orElse(last));
        for (TimelineHistory.Switch s : history.ancestors()) {
            if (s.timeline() >= begin.timeline()) {
                last = Math.max(last, index.newestSegmentNumber(s.timeline(), s.switchLsn() / size - 1).orElse(last));
            }
        }
        if (atLeastTo.isPresent() && history.descendsFrom(atLeastTo.get().timeline())) {
            last = Math.max(last, atLeastTo.get().segmentNumber(size));
        }
        return walk(index, history, begin, last);
    }

    /**
     * Checks exactly the segments from {@code begin} to {@code end}, both included, following {@code
     * end}'s timeline history when it is newer: what a backup kept standalone needs, and nothing after.
     */
    public static Result range(WalArchiveIndex index, HistorySource histories, WalName begin, WalName end)
            throws java.io.IOException {
        Lineage lineage = lineage(histories, begin, end.timeline(), " of the end segment " + end.name());
        if (lineage.problem().isPresent()) {
            return new Result(begin, end, end.timeline(), List.of(), lineage.problem());
        }
        return walk(index, lineage.history(), begin, end.segmentNumber(index.segmentSize()));
    }

    /** {@code timeline}'s history, checked to lead back to {@code begin}'s timeline. */
    private static Lineage lineage(HistorySource histories, WalName begin, long timeline, String whose)
            throws java.io.IOException {
        if (timeline == begin.timeline()) {
            return new Lineage(new TimelineHistory(timeline, List.of()), Optional.empty());
        }
        String file = WalName.history(timeline).name();
        Optional<TimelineHistory> read = histories.history(timeline);
        if (read.isEmpty()) {
            return new Lineage(null, Optional.of("the history file " + file + " of timeline " + timeline + whose
                    + " is not archived, so recovery cannot follow timeline " + timeline));
        }
        if (!read.get().descendsFrom(begin.timeline())) {
            return new Lineage(null, Optional.of("timeline " + timeline + whose + " does not descend from timeline "
                    + begin.timeline() + " of " + begin.name() + (timeline == 1 ? "" : " (see " + file + ")")));
        }
        return new Lineage(read.get(), Optional.empty());
    }

    /** The gaps from {@code begin} to segment number {@code last}, each segment on the timeline it is read from. */
    private static Result walk(WalArchiveIndex index, TimelineHistory history, WalName begin, long last) {
        long size = index.segmentSize();
        long first = begin.segmentNumber(size);
        List<Gap> gaps = new ArrayList<>();
        long start = first;
        while (start <= last) {
            long timeline = Math.max(begin.timeline(), history.timelineOf(start, size));
            long end = last;
            // the stretch of segments read from this same timeline
            for (TimelineHistory.Switch s : history.ancestors()) {
                if (s.timeline() == timeline) {
                    end = Math.min(last, s.switchLsn() / size - 1);
                }
            }
            if (end < start) {
                end = start;
            }
            for (long[] gap : index.missing(timeline, start, end)) {
                gaps.add(new Gap(index.segment(timeline, gap[0]), index.segment(timeline, gap[1]),
                        index.unusable(timeline, gap[0], gap[1])));
            }
            start = end + 1;
        }
        WalName to = index.segment(Math.max(begin.timeline(), history.timelineOf(last, size)), last);
        return new Result(begin, to, history.timeline(), gaps, Optional.empty());
    }
}
