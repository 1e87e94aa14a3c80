package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What cumulus-wal-restore reads of global/pg_control: the database system identifier and the WAL segment size. */
class PgControlTest {
    private static final long SYSID = 7716536663683337326L;
    /** offsetof(ControlFileData, floatFormat) in PostgreSQL 15 on x86-64, as pg_controldata's file shows it. */
    private static final int FLOAT_FORMAT_OF_PG15 = 208;

    @TempDir
    Path data;

    /**
     * A pg_control as PostgreSQL writes it (8192 bytes, the machine's byte order): {@code SYSID} first and, at
     * {@code floatFormat}, 1234567.0, then blcksz, relseg_size, xlog_blcksz and xlog_seg_size.
     */
    private static ByteBuffer control(int floatFormat, int blockSize, int segmentSize) {
        ByteBuffer control = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());
        control.putLong(0, SYSID);
        control.putDouble(floatFormat, 1234567.0);
        control.putInt(floatFormat + 8, 8192); // blcksz
        control.putInt(floatFormat + 12, 131072); // relseg_size
        control.putInt(floatFormat + 16, blockSize); // xlog_blcksz
        control.putInt(floatFormat + 20, segmentSize); // xlog_seg_size
        return control;
    }

    private PgControl read(ByteBuffer control) throws IOException {
        Files.createDirectories(data.resolve("global"));
        Files.write(data.resolve("global/pg_control"), control.array());
        return PgControl.read(data);
    }

    @Test
    void theSystemIdentifierIsReadFromPgControlsFirstEightBytes() throws IOException {
        assertEquals(PgControl.UNKNOWN, PgControl.read(data), "no pg_control");
        ByteBuffer control = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder()).putLong(0, SYSID);
        assertEquals(OptionalLong.of(SYSID), read(control).systemIdentifier());
        // a file cut short reads zero-padded, as od reads it
        Files.write(data.resolve("global/pg_control"), new byte[] {2, 1});
        long padded = ByteBuffer.wrap(new byte[] {2, 1, 0, 0, 0, 0, 0, 0}).order(ByteOrder.nativeOrder()).getLong();
        assertEquals(new PgControl(OptionalLong.of(padded), OptionalLong.empty()), PgControl.read(data));
    }

    @Test
    void theSegmentSizeIsTheOneAfterFloatFormatAsPostgresql15WritesIt() throws IOException {
        PgControl control = read(control(FLOAT_FORMAT_OF_PG15, 8192, 1 << 20));
        assertEquals(new PgControl(OptionalLong.of(SYSID), OptionalLong.of(1 << 20)), control);
        assertEquals(OptionalLong.of(16 << 20), read(control(FLOAT_FORMAT_OF_PG15, 8192, 16 << 20)).segmentSize());
    }

    @Test
    void floatFormatIsFoundWhereverAnotherReleaseOrAbiPutsIt() throws IOException {
        // fields added before it (another release), or doubles 4-aligned (32-bit x86)
        assertEquals(OptionalLong.of(64 << 20), read(control(232, 8192, 64 << 20)).segmentSize());
        assertEquals(OptionalLong.of(2 << 20), read(control(196, 16384, 2 << 20)).segmentSize());
    }

    @Test
    void aMarkerFollowedBySizesNoPostgresqlHasIsPassedOver() throws IOException {
        // 1234567.0 by chance in an earlier field (an LSN), its neighbours no sizes: the real one further on
        ByteBuffer control = control(FLOAT_FORMAT_OF_PG15, 8192, 16 << 20);
        control.putDouble(32, 1234567.0);
        assertEquals(OptionalLong.of(16 << 20), read(control).segmentSize());
    }

    @Test
    void withoutFloatFormatOrPlausibleSizesThereIsNoSegmentSize() throws IOException {
        // no marker (a file that is no pg_control, or one of a layout this does not know): no check
        ByteBuffer none = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder()).putLong(0, SYSID);
        assertEquals(new PgControl(OptionalLong.of(SYSID), OptionalLong.empty()), read(none));
        assertEquals(OptionalLong.empty(), read(control(FLOAT_FORMAT_OF_PG15, 8192, 3 << 20)).segmentSize(), "not a power of two");
        assertEquals(OptionalLong.empty(), read(control(FLOAT_FORMAT_OF_PG15, 8192, 2 << 30)).segmentSize(), "above 1 GB");
        assertEquals(OptionalLong.empty(), read(control(FLOAT_FORMAT_OF_PG15, 100, 16 << 20)).segmentSize(), "no block size");
        // a file cut short before xlog_seg_size
        ByteBuffer whole = control(FLOAT_FORMAT_OF_PG15, 8192, 16 << 20);
        ByteBuffer cut = ByteBuffer.wrap(java.util.Arrays.copyOf(whole.array(), FLOAT_FORMAT_OF_PG15 + 22))
                .order(ByteOrder.nativeOrder());
        assertEquals(OptionalLong.empty(), PgControl.of(cut).segmentSize());
        // read no further than PG_CONTROL_MAX_SAFE_SIZE (512): past it is padding, never ControlFileData
        assertEquals(OptionalLong.empty(), read(control(1024, 8192, 16 << 20)).segmentSize());
    }
}
