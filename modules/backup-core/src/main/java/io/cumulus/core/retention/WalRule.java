package io.cumulus.core.retention;

import io.cumulus.core.wal.WalName;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which WAL the deletion of one backup frees (reference §6.4), as a test on each WAL name: the names
 * before {@code limit}, except history files, the timelines other backups are on and the ranges of the
 * keep:standalone backups before it. A test per name, not a list, lets a delete decide while it
 * streams a WAL listing of any length.
 *
 * @param limit the begin_wal of the next backup (of the deleted one when none follows); null when
 *     this deletion frees no WAL at all
 * @param protectedTimelines timelines whose WAL stays
 * @param protectedRanges begin_wal..end_wal of each keep:standalone backup before the deleted one
 * @param reason why that WAL may go, or why none may, in words a DBA reads
 */
public record WalRule(String limit, Set<Long> protectedTimelines, List<Range> protectedRanges, String reason) {

    /** A keep:standalone backup's WAL, both ends included; an end that is null protects nothing. */
    public record Range(String begin, String end) {
        boolean contains(String name) {
            return begin != null && end != null && name.compareTo(begin) >= 0 && name.compareTo(end) <= 0;
        }
    }

    public WalRule {
        protectedTimelines = Set.copyOf(protectedTimelines);
        protectedRanges = List.copyOf(protectedRanges);
        Objects.requireNonNull(reason, "reason");
    }

    /** A deletion that frees no WAL, and why. */
    static WalRule none(String reason) {
        return new WalRule(null, Set.of(), List.of(), reason);
    }

    /** True when this deletion frees the WAL named {@code wal}. */
    public boolean frees(WalName wal) {
        if (limit == null || wal.kind() == WalName.Kind.HISTORY || protectedTimelines.contains(wal.timeline())) {
            return false;
        }
        String name = wal.name();
        String rangeName = wal.kind() == WalName.Kind.BACKUP_LABEL ? name.substring(0, 24) : name;
        for (Range r : protectedRanges) {
            if (r.contains(rangeName)) {
                return false;
            }
        }
        return name.compareTo(limit) < 0;
    }
}
