package io.cumulus.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restore spool's key holds the recovery it serves: a spool filled for one database system (or one
 * data directory) is never served to another, even under the same restore_command.
 */
class RestoreSpoolKeyTest {
    private static final List<String> OPTIONS = List.of("--prefetch", "8", "--spool-dir", "/spool", "s3://b/p", "main");

    @TempDir
    Path dir;

    /** A data directory whose pg_control starts with {@code sysid}, as PostgreSQL writes it (native order). */
    private Path dataDirectory(String name, long sysid) throws Exception {
        Path data = Files.createDirectories(dir.resolve(name).resolve("global")).getParent();
        ByteBuffer control = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());
        control.putLong(0, sysid);
        Files.write(data.resolve("global/pg_control"), control.array());
        return data;
    }

    @Test
    void theScopeIsTheSystemIdentifierAndThePhysicalDataDirectory() throws Exception {
        Path data = dataDirectory("data", 7716536663683337326L);
        Path link = Files.createSymbolicLink(dir.resolve("link"), data);
        assertEquals("7716536663683337326:" + data.toRealPath(), RestoreSpool.scopeOf(link));
        // an identifier above Long.MAX_VALUE reads unsigned, as od -tu8 prints it
        Path high = dataDirectory("high", -1L);
        assertEquals("18446744073709551615:" + high.toRealPath(), RestoreSpool.scopeOf(high));
        // no pg_control (a call by hand): the directory alone
        Path plain = Files.createDirectories(dir.resolve("plain"));
        assertEquals(":" + plain.toRealPath(), RestoreSpool.scopeOf(plain));
        assertEquals(":" + Path.of("").toRealPath(), RestoreSpool.scopeOf(Path.of("")));
    }

    @Test
    void anotherSystemOrDataDirectoryGetsAnotherSpoolUnderTheSameRestoreCommand() throws Exception {
        String first = RestoreSpool.keyOf(OPTIONS, Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(dataDirectory("a", 1))));
        // the data directory restored again in place, from a backup of another database system
        Files.delete(dir.resolve("a/global/pg_control"));
        Files.delete(dir.resolve("a/global"));
        Files.delete(dir.resolve("a"));
        String restoredInPlace = RestoreSpool.keyOf(OPTIONS, Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(dataDirectory("a", 2))));
        String secondCluster = RestoreSpool.keyOf(OPTIONS, Map.of(RestoreSpool.SCOPE, RestoreSpool.scopeOf(dataDirectory("b", 1))));
        assertNotEquals(first, restoredInPlace);
        assertNotEquals(first, secondCluster);
        assertEquals(first, RestoreSpool.keyOf(OPTIONS, Map.of(RestoreSpool.SCOPE, "1:" + dir.resolve("a").toRealPath())),
                "the same system in the same directory: the same spool");
        // hashed as the launcher hashes it: a line NUL NAME=value after the options and the store's variables
        assertEquals(ArchiveSpool.keyOf(List.of("--prefetch", "8", "--spool-dir", "/spool", "s3://b/p", "main",
                        "\0AWS_PROFILE=p", "\0CUMULUS_SPOOL_SCOPE=1:/data")),
                RestoreSpool.keyOf(OPTIONS, Map.of("AWS_PROFILE", "p", RestoreSpool.SCOPE, "1:/data")));
    }
}
