package io.cumulus.core.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What {@code cumulus-wal-restore} reads of the asking cluster's {@code global/pg_control}, to refuse WAL
 * that is not this cluster's: its database system identifier and its WAL segment size, each empty when it
 * cannot be told (no pg_control: a call by hand elsewhere).
 *
 * @param systemIdentifier {@code system_identifier}: the file's first eight bytes, in the machine's byte
 *     order, as PostgreSQL writes them (a shorter file reads zero-padded, as {@code od} reads it)
 * @param segmentSize {@code xlog_seg_size}
 */
public record PgControl(OptionalLong systemIdentifier, OptionalLong segmentSize) {

    /** No pg_control: nothing is checked. */
    public static final PgControl UNKNOWN = new PgControl(OptionalLong.empty(), OptionalLong.empty());

    /** PG_CONTROL_MAX_SAFE_SIZE: ControlFileData lies within the file's first 512 bytes. */
    private static final int READ_SIZE = 512;
    /** ControlFileData.floatFormat (FLOATFORMAT_VALUE), a double in the machine's byte order. */
    private static final long FLOAT_FORMAT = Double.doubleToRawLongBits(1234567.0);
    /** From floatFormat: blcksz and relseg_size (uint32 each), then xlog_blcksz and xlog_seg_size. */
    private static final int XLOG_BLCKSZ_AFTER_FLOAT_FORMAT = Double.BYTES + 2 * Integer.BYTES;
    private static final int XLOG_SEG_SIZE_AFTER_FLOAT_FORMAT = XLOG_BLCKSZ_AFTER_FLOAT_FORMAT + Integer.BYTES;

    public PgControl {
        Objects.requireNonNull(systemIdentifier, "systemIdentifier");
        Objects.requireNonNull(segmentSize, "segmentSize");
    }

    /** The pg_control of {@code dataDirectory}; {@link #UNKNOWN} when there is none or it cannot be read. */
    public static PgControl read(Path dataDirectory) {
        ByteBuffer bytes = ByteBuffer.allocate(READ_SIZE).order(ByteOrder.nativeOrder());
        try (FileChannel control = FileChannel.open(dataDirectory.resolve("global/pg_control"), StandardOpenOption.READ)) {
            while (bytes.hasRemaining() && control.read(bytes) >= 0) {
                // a file channel reads until the buffer is full or the file ends
            }
        } catch (IOException noControlFile) {
            return UNKNOWN;
        }
        return of(bytes.flip());
    }

    /**
     * What {@code control} (the start of a pg_control, from position 0 to its limit) says. xlog_seg_size's
     * offset moves with the fields before it from release to release, so it is found after floatFormat, which
     * PostgreSQL puts there to check a binary's float format: the first {@code 1234567.0} at an aligned offset
     * followed by a block size and a segment size that PostgreSQL can have. Without one, no segment size.
     */
    static PgControl of(ByteBuffer control) {
        if (!control.hasRemaining()) {
            return UNKNOWN;
        }
        byte[] bytes = new byte[Math.max(Long.BYTES, control.remaining())];
        control.duplicate().get(bytes, 0, control.remaining());
        ByteBuffer padded = ByteBuffer.wrap(bytes).order(control.order());
        OptionalLong system = OptionalLong.of(padded.getLong(0));
        // 4-aligned, not only 8: a double is 4-aligned where the C ABI says so (32-bit x86)
        for (int at = 0; at + XLOG_SEG_SIZE_AFTER_FLOAT_FORMAT + Integer.BYTES <= bytes.length; at += Integer.BYTES) {
            if (padded.getLong(at) != FLOAT_FORMAT) {
                continue;
            }
            long blockSize = Integer.toUnsignedLong(padded.getInt(at + XLOG_BLCKSZ_AFTER_FLOAT_FORMAT));
            long segmentSize = Integer.toUnsignedLong(padded.getInt(at + XLOG_SEG_SIZE_AFTER_FLOAT_FORMAT));
            if (WalRestorer.isBlockSize(blockSize) && WalRestorer.isSegmentSize(segmentSize)) {
                return new PgControl(system, OptionalLong.of(segmentSize));
            }
        }
        return new PgControl(system, OptionalLong.empty());
    }
}
