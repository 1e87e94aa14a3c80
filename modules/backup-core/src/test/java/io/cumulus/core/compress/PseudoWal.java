package io.cumulus.core.compress;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Deterministic test data shaped like a WAL segment: 8 KiB pages with a header, records that mix
 * repeated structure with random payload, and a zero-filled tail, so it compresses about as much
 * as real WAL does.
 */
final class PseudoWal {

    static final int SEGMENT_SIZE = 16 * 1024 * 1024;
    private static final int PAGE = 8192;

    private PseudoWal() {}

    static byte[] of(int size, long seed) {
        Random random = new Random(seed);
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        int used = size * 3 / 4; // the rest stays zero, like a segment switched early
        for (int page = 0; page + PAGE <= used; page += PAGE) {
            buffer.position(page);
            buffer.putShort((short) 0xD110).putShort((short) 5).putInt(1).putLong(page);
            while (buffer.position() + 64 <= page + PAGE) {
                int length = 24 + random.nextInt(40);
                buffer.putInt(length).putInt(random.nextInt(16)).putLong(page + buffer.position());
                byte[] payload = new byte[length - 16];
                if (random.nextBoolean()) {
                    random.nextBytes(payload);
                }
                buffer.put(payload);
            }
        }
        return buffer.array();
    }
}
