package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import io.cumulus.core.io.ObjectWrites;
import io.cumulus.core.layout.ServerLayout;
import io.cumulus.storage.WriteOptions;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class WalRestorerTest {
    private static final ServerLayout LAYOUT = new ServerLayout("", "pg");
    private static final String DIR = "pg/wals/0000000100000000/";

    @TempDir
    Path pgWal;

    private final InMemoryBlobStore store = new InMemoryBlobStore();
    private final WalRestorer restorer = new WalRestorer(store, LAYOUT);

    private static byte[] content(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void put(String key, byte[] content) throws IOException {
        Compression c = Compression.ofSuffix(key).orElse(Compression.NONE);
        ObjectWrites.write(store, key, WriteOptions.DEFAULT, out -> {
            try (OutputStream compressed = c.compress(out, CompressionLevel.DEFAULT)) {
                compressed.write(content);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void restoresASegmentStoredUnderAnyCompression(Compression compression) throws IOException {
        byte[] wal = content(1, 1 << 20);
        put(DIR + "000000010000000000000007" + compression.suffix(), wal);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        assertArrayEquals(wal, Files.readAllBytes(dest));
    }

    @Test
    void prefersTheFullSegmentOverItsPartial() throws IOException {
        byte[] full = content(1, 1 << 20);
        put(DIR + "000000010000000000000007", full);
        put(DIR + "000000010000000000000007.partial", content(2, 1 << 20));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        assertArrayEquals(full, Files.readAllBytes(dest));
    }

    @Test
    void servesThePartialWhenItIsAllThereIsUnlessPartialsAreRefused() throws IOException {
        byte[] partial = content(2, 1 << 20);
        put(DIR + "000000010000000000000007.partial.gz", partial);
        Path dest = pgWal.resolve("RECOVERYXLOG");
        WalName wal = WalName.parse("000000010000000000000007");
        assertThrows(WalNotFoundException.class, () -> restorer.restore(wal, dest, false));
        restorer.restore(wal, dest, true);
        assertArrayEquals(partial, Files.readAllBytes(dest));
    }

    @Test
    void aMissingSegmentIsNotFoundAndLeavesNoFileBehind() throws IOException {
        put(DIR + "000000010000000000000007.00000028.backup", "label".getBytes());
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertThrows(WalNotFoundException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void restoresHistoryFilesFromTheWalsDirectory() throws IOException {
        byte[] history = "1\t0/3000000\tno recovery target specified\n".getBytes();
        put("pg/wals/00000002.history", history);
        Path dest = pgWal.resolve("RECOVERYHISTORY");
        restorer.restore(WalName.parse("00000002.history"), dest, true);
        assertArrayEquals(history, Files.readAllBytes(dest));
    }

    @Test
    void refusesAnObjectThatCannotBeASegmentAndKeepsTheOldDestination() throws IOException {
        put(DIR + "000000010000000000000007", content(1, 1000));
        Path dest = Files.write(pgWal.resolve("RECOVERYXLOG"), new byte[] {1, 2, 3});
        assertThrows(OperationFailedException.class,
                () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dest));
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
    }

    @Test
    void theTemporaryFilesOfKilledCallsForTheSameDestinationAreDeleted() throws IOException {
        // a call killed while it wrote (pg_ctl stop, a timeout) leaves its partial copy: each one another
        put(DIR + "000000010000000000000007", content(1, 1 << 20));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        for (String stale : new String[] {".RECOVERYXLOG.cumulus-12345", ".RECOVERYXLOG.cumulus-7"}) {
            Files.write(pgWal.resolve(stale), new byte[4096]);
        }
        // not this destination's, nor a name of this tool's
        for (String other : new String[] {".000000010000000000000008.cumulus-12345", ".RECOVERYXLOG.cumulus-tmp",
                ".RECOVERYHISTORY.cumulus-9", "000000010000000000000006"}) {
            Files.write(pgWal.resolve(other), new byte[1]);
        }
        restorer.restore(WalName.parse("000000010000000000000007"), dest, true);
        try (Stream<Path> files = Files.list(pgWal)) {
            assertEquals(java.util.Set.of("RECOVERYXLOG", ".000000010000000000000008.cumulus-12345", ".RECOVERYXLOG.cumulus-tmp",
                    ".RECOVERYHISTORY.cumulus-9", "000000010000000000000006"),
                    files.map(f -> f.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void aCorruptCompressedObjectFailsAndWritesNothing() throws IOException {
        byte[] wal = content(1, 1 << 20);
        put(DIR + "000000010000000000000007.gz", wal);
        byte[] gz = store.openRead(DIR + "000000010000000000000007.gz").readAllBytes();
        gz[gz.length / 2] ^= 0x55;
        store.delete(DIR + "000000010000000000000007.gz");
        ObjectWrites.write(store, DIR + "000000010000000000000007.gz", WriteOptions.DEFAULT, out -> out.write(gz));
        Path dest = pgWal.resolve("RECOVERYXLOG");
        assertThrows(IOException.class, () -> restorer.restore(WalName.parse("000000010000000000000007"), dest, true));
        assertFalse(Files.exists(dest));
    }
}
