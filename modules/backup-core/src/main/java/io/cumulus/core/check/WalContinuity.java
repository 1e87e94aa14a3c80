package io.cumulus.core.check;

import io.cumulus.core.wal.WalName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether every segment recovery needs is in the archive: from the oldest DONE backup's first
 * segment to the newest archived segment, following the newest timeline's history back to the
 * backup's timeline, choosing for each segment the timeline PostgreSQL would read it from ({@link
 * TimelineHistory#timelineOf}). A gap is named by its first and last missing segment.
 */
public final class WalContinuity {

    /** A stretch of missing segments on one timeline, first and last inclusive. */
    public record Gap(WalName first, WalName last) {
        @Override
        public String toString() {
            return first.equals(last) ? first.name() : first.name() + " to " + last.name();
        }
    }

    /**
     * What was found.
     *
     * @param from the first segment needed
     * @param to the last segment needed (the newest archived, or the backup's end when later)
     * @param gaps the missing stretches, oldest first; empty when the chain is complete
     * @param problem a reason the chain could not even be followed (missing or unrelated history), or empty
     */
    public record Result(WalName from, WalName to, List<Gap> gaps, Optional<String> problem) {
        public boolean complete() {
            return gaps.isEmpty() && problem.isEmpty();
        }
    }

    /** Reads the history of a timeline, or empty when its history file is not archived. */
    @FunctionalInterface
    public interface HistorySource {
        Optional<TimelineHistory> history(long timeline) throws java.io.IOException;
    }

    private WalContinuity() {
    }

    /**
     * Checks the chain from {@code begin} (the oldest DONE backup's begin_wal) to the newest segment
     * in {@code index}, and at least to {@code atLeastTo} (the newest DONE backup's end_wal) when given.
     */
    public static Result check(WalArchiveIndex index, HistorySource histories, WalName begin,
            Optional<WalName> atLeastTo) throws java.io.IOException {
        long size = index.segmentSize();
        WalName newest = index.newestSegment().orElse(begin);
        WalName target = newest;
        if (atLeastTo.isPresent() && (atLeastTo.get().timeline() > target.timeline()
                || (atLeastTo.get().timeline() == target.timeline()
                        && atLeastTo.get().segmentNumber(size) > target.segmentNumber(size)))) {
            target = atLeastTo.get();
        }
        if (target.timeline() < begin.timeline()) {
            // nothing archived on the backup's timeline or later: only the backup's own start is needed
            target = begin;
        }
        return between(index, histories, begin, target, "newest");
    }

    /**
     * Checks exactly the segments from {@code begin} to {@code end}, both included, following {@code
     * end}'s timeline history when it is newer: what a backup kept standalone needs, and nothing after.
     */
    public static Result range(WalArchiveIndex index, HistorySource histories, WalName begin, WalName end)
            throws java.io.IOException {
        return between(index, histories, begin, end, "end");
    }

    /** {@code begin} to {@code target}; {@code role} says what target is, for messages. */
    private static Result between(WalArchiveIndex index, HistorySource histories, WalName begin, WalName target,
            String role) throws java.io.IOException {
        long size = index.segmentSize();
        TimelineHistory history;
        if (target.timeline() == begin.timeline()) {
            history = new TimelineHistory(target.timeline(), List.of());
        } else {
            Optional<TimelineHistory> read = histories.history(target.timeline());
            if (read.isEmpty()) {
                return new Result(begin, target, List.of(), Optional.of("the history file "
                        + WalName.history(target.timeline()).name() + " of the " + role + " timeline is not archived,"
                        + " so recovery cannot follow timeline " + target.timeline()));
            }
            history = read.get();
            if (!history.descendsFrom(begin.timeline())) {
                return new Result(begin, target, List.of(), Optional.of("timeline " + target.timeline()
                        + " of the " + role + " segment " + target.name() + " does not descend from timeline "
                        + begin.timeline() + " of " + begin.name() + " (see " + WalName.history(target.timeline()).name()
                        + ")"));
            }
        }
        long first = begin.segmentNumber(size);
        long last = target.segmentNumber(size);
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
                gaps.add(new Gap(index.segment(timeline, gap[0]), index.segment(timeline, gap[1])));
            }
            start = end + 1;
        }
        return new Result(begin, index.segment(target.timeline() == begin.timeline() ? begin.timeline()
                : history.timelineOf(last, size), last), gaps, Optional.empty());
    }
}
