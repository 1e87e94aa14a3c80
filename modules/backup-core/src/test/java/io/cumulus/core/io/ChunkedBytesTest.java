package io.cumulus.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkedBytesTest {

    /** Writes of every size, across chunk boundaries, come back whole and in order. */
    @Test
    void bytesComeBackInOrderAcrossChunkBoundaries() throws IOException {
        Random random = new Random(42);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        ChunkedBytes bytes = new ChunkedBytes();
        for (int i = 0; expected.size() < 3 * (1 << 20) + 12345; i++) {
            if (i % 7 == 0) {
                int b = random.nextInt(256);
                expected.write(b);
                bytes.write(b);
            } else {
                byte[] chunk = new byte[random.nextInt(i % 11 == 0 ? 1 << 20 : 5000)];
                random.nextBytes(chunk);
                expected.write(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }
        assertEquals(expected.size(), bytes.size());
        assertArrayEquals(expected.toByteArray(), bytes.toByteArray());
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        bytes.writeTo(copy);
        assertArrayEquals(expected.toByteArray(), copy.toByteArray());
    }

    @Test
    void emptyAndExactlyOneChunk() throws IOException {
        assertEquals(0, new ChunkedBytes().toByteArray().length);
        byte[] one = new byte[1 << 20];
        new Random(1).nextBytes(one);
        ChunkedBytes bytes = ChunkedBytes.of(one);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        bytes.writeTo(copy);
        assertArrayEquals(one, copy.toByteArray());
    }
}
