package io.cumulus.postgres;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.wal.WalName;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WAL position (log sequence number) as PostgreSQL prints it, {@code %X/%X}: the high and low
 * 32 bits in upper-case hex. Knows which segment holds it and where, given the timeline and the
 * cluster's {@code wal_segment_size} (the segment file names come from backup-core's {@link WalName}).
 *
 * @param value the position as an unsigned 64-bit number
 */
public record Lsn(long value) implements Comparable<Lsn> {

    private static final Pattern TEXT = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");
    private static final long MIN_SEGMENT_SIZE = 1L << 20;
    private static final long MAX_SEGMENT_SIZE = 1L << 30;

    /**
     * Parses PostgreSQL's text form, e.g. {@code 0/4000028}.
     *
     * @throws InvalidInputException if {@code text} is not two 1-8 digit hex numbers separated by '/'
     */
    public static Lsn parse(String text) {
        Matcher m = TEXT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new InvalidInputException("'" + text + "' is not a WAL location such as 0/4000028");
        }
        return new Lsn(Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16));
    }

    /**
     * The segment that holds this position: the byte at the position, so a position exactly on a
     * segment boundary names the segment that starts there (as barman computes begin/end_wal).
     */
    public WalName walSegment(long timeline, long segmentSize) {
        long segmentsPerLog = 0x1_0000_0000L / checkSegmentSize(segmentSize);
        long segmentNumber = Long.divideUnsigned(value, segmentSize);
        return WalName.segment(timeline, Long.divideUnsigned(segmentNumber, segmentsPerLog),
                Long.remainderUnsigned(segmentNumber, segmentsPerLog));
    }

    /** The byte offset of this position inside its segment (barman's begin_offset / end_offset). */
    public long segmentOffset(long segmentSize) {
        return Long.remainderUnsigned(value, checkSegmentSize(segmentSize));
    }

    private static long checkSegmentSize(long segmentSize) {
        if (Long.bitCount(segmentSize) != 1 || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
            throw new IllegalArgumentException("WAL segment size must be a power of two between 1 MiB and 1 GiB: "
                    + segmentSize);
        }
        return segmentSize;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    /** {@code %X/%X}, as PostgreSQL and backup.info write it. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFF_FFFFL);
    }
}
