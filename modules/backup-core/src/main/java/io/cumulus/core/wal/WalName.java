package io.cumulus.core.wal;

import io.cumulus.core.InvalidInputException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a file PostgreSQL archives: a segment ({@code 000000010000000000000004}), a partial
 * segment ({@code ….partial}), a backup history file ({@code ….00000028.backup}) or a timeline
 * history file ({@code 00000002.history}). Names are kept as PostgreSQL wrote them; comparisons of
 * names of one kind follow WAL order because every field is fixed-width upper-case hex.
 */
public record WalName(String name, Kind kind, long timeline, long log, long segment) implements Comparable<WalName> {

    /** What a WAL file is. */
    public enum Kind { SEGMENT, PARTIAL, BACKUP_LABEL, HISTORY }

    private static final Pattern PATTERN = Pattern.compile(
            "([0-9A-Fa-f]{8})(?:([0-9A-Fa-f]{8})([0-9A-Fa-f]{8})(\\.partial|\\.[0-9A-Fa-f]{8}\\.backup)?|(\\.history))");

    public WalName {
        if (timeline < 0 || log < 0 || segment < 0) {
            throw new IllegalArgumentException("negative field in " + name);
        }
    }

    /**
     * Parses a WAL file name (no directory).
     *
     * @throws InvalidInputException if it is not the name of a WAL file
     */
    public static WalName parse(String name) {
        Matcher m = PATTERN.matcher(name);
        if (!m.matches()) {
            throw new InvalidInputException("'" + name + "' is not a WAL file name: expected a segment such as"
                    + " 000000010000000000000001, a .partial, .backup or .history file");
        }
        long timeline = Long.parseLong(m.group(1), 16);
        if (m.group(5) != null) {
            return new WalName(name, Kind.HISTORY, timeline, 0, 0);
        }
        long log = Long.parseLong(m.group(2), 16);
        long segment = Long.parseLong(m.group(3), 16);
        String suffix = m.group(4);
        Kind kind = suffix == null ? Kind.SEGMENT : suffix.equals(".partial") ? Kind.PARTIAL : Kind.BACKUP_LABEL;
        return new WalName(name, kind, timeline, log, segment);
    }

    /** True when {@code name} is a WAL file name. */
    public static boolean isWalName(String name) {
        return PATTERN.matcher(name).matches();
    }

    /**
     * The WAL file an object of the archive holds: its name (the last path component) once at most one
     * compression suffix is stripped, if that is a WAL name.
     */
    public static java.util.Optional<WalName> ofObjectName(String objectName) {
        String name = io.cumulus.core.compress.Compression.withoutSuffix(
                objectName.substring(objectName.lastIndexOf('/') + 1));
        return isWalName(name) ? java.util.Optional.of(parse(name)) : java.util.Optional.empty();
    }

    /** The segment with these coordinates. */
    public static WalName segment(long timeline, long log, long segment) {
        return new WalName(String.format(Locale.ROOT, "%08X%08X%08X", timeline, log, segment),
                Kind.SEGMENT, timeline, log, segment);
    }

    /** The timeline history file of a timeline. */
    public static WalName history(long timeline) {
        return new WalName(String.format(Locale.ROOT, "%08X.history", timeline), Kind.HISTORY, timeline, 0, 0);
    }

    /**
     * The directory barman-cloud files this name under: timeline and log as 16 upper-case hex digits,
     * or empty for history files, which live directly in {@code wals/}.
     */
    public String hashDirectory() {
        return kind == Kind.HISTORY ? "" : String.format(Locale.ROOT, "%08X%08X", timeline, log);
    }

    /** The 24-character segment name this file belongs to (the name itself for a segment). */
    public String segmentName() {
        return kind == Kind.HISTORY ? name : name.substring(0, 24).toUpperCase(Locale.ROOT);
    }

    /** The segment this file belongs to. */
    public WalName toSegment() {
        return kind == Kind.SEGMENT ? this : segment(timeline, log, segment);
    }

    /** The next segment of the same timeline, for segments of {@code segmentSize} bytes. */
    public WalName next(long segmentSize) {
        long perLog = 0x1_0000_0000L / segmentSize;
        return segment + 1 < perLog ? segment(timeline, log, segment + 1) : segment(timeline, log + 1, 0);
    }

    /** The segment before this one on the same timeline, for segments of {@code segmentSize} bytes. */
    public WalName previous(long segmentSize) {
        long perLog = 0x1_0000_0000L / segmentSize;
        if (segment == 0 && log == 0) {
            throw new IllegalStateException(name + " is the first segment of its timeline");
        }
        return segment > 0 ? segment(timeline, log, segment - 1) : segment(timeline, log - 1, perLog - 1);
    }

    /**
     * Whether a cluster with segments of {@code segmentSize} bytes can write this segment's name: its last eight
     * digits count to {@code 2^32 / segmentSize} only ({@code 000000010000000000000041} is a 16 MiB cluster's,
     * never a 64 MiB one's). A store holding WAL of two sizes under one server name (a cluster re-created
     * with another {@code --wal-segsize}, {@code pg_resetwal --wal-segsize}) holds such names of the other size.
     */
    public boolean fitsSegmentSize(long segmentSize) {
        return kind == Kind.SEGMENT && segment < 0x1_0000_0000L / segmentSize;
    }

    /** The position of this segment in its timeline, counting segments of {@code segmentSize}. */
    public long segmentNumber(long segmentSize) {
        return log * (0x1_0000_0000L / segmentSize) + segment;
    }

    @Override
    public int compareTo(WalName other) {
        return name.compareToIgnoreCase(other.name);
    }

    @Override
    public String toString() {
        return name;
    }
}
