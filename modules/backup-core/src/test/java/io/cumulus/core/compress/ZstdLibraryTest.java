package io.cumulus.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.github.luben.zstd.util.ZstdVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * zstd-jni's library comes from lib/native/zstd/ as packaging unpacked it, never from java.io.tmpdir: a /tmp
 * mounted noexec or read-only made every --zstd call fail.
 */
class ZstdLibraryTest {

    @TempDir
    Path dir;

    @Test
    void findsTheLibraryOfThisVersionAndPlatformUnderALibraryPathEntry() throws Exception {
        String name = "libzstd-jni-" + ZstdVersion.VERSION + ".so";
        Path library = Files.createDirectories(dir.resolve("native/zstd/linux/amd64")).resolve(name);
        Files.write(library, new byte[1]);
        Files.write(Files.createDirectories(dir.resolve("native/zstd/linux/aarch64")).resolve("libzstd-jni-0.0.1-1.so"), new byte[1]);
        String path = "/nonexistent" + File.pathSeparator + dir.resolve("native");
        assertEquals(library, ZstdLibrary.packaged(path, "Linux", "amd64"));
        assertNull(ZstdLibrary.packaged(path, "Linux", "aarch64"), "another version's library is not this jar's");
        assertNull(ZstdLibrary.packaged(path, "Mac OS X", "amd64"));
        assertNull(ZstdLibrary.packaged("", "Linux", "amd64"));
    }

    @Test
    void zstdWorksWithATemporaryDirectoryItCannotWriteTo() throws Exception {
        String arch = System.getProperty("os.arch");
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux") && List.of("amd64", "aarch64").contains(arch));
        // lib/native/zstd/ as packaging lays it out, from the jar on this class path
        String jar = null;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains("zstd-jni")) {
                jar = entry;
            }
        }
        Assumptions.assumeTrue(jar != null);
        String entry = "linux/" + arch + "/libzstd-jni-" + ZstdVersion.VERSION + ".so";
        Path natives = dir.resolve("native");
        try (ZipFile zip = new ZipFile(jar); InputStream in = zip.getInputStream(zip.getEntry(entry))) {
            Files.copy(in, Files.createDirectories(natives.resolve("zstd/" + entry).getParent()).resolve(entry.substring(entry.lastIndexOf('/') + 1)));
        }
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + dir.resolve("no-such-tmp"), "-Djava.library.path=" + natives, "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), RoundTrip.class.getName()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        assertEquals(natives.resolve("zstd/" + entry).toString(), output.trim());
    }

    /** Compresses and decompresses with zstd, and prints the library zstd-jni was pointed at. */
    public static final class RoundTrip {
        public static void main(String[] args) throws Exception {
            byte[] data = "segment ".repeat(10_000).getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            try (OutputStream out = Compression.ZSTD.compress(compressed, CompressionLevel.DEFAULT)) {
                out.write(data);
            }
            try (InputStream in = Compression.ZSTD.decompress(new ByteArrayInputStream(compressed.toByteArray()))) {
                assertArrayEquals(data, in.readAllBytes());
            }
            System.out.println(System.getProperty(ZstdLibrary.PROPERTY));
        }
    }
}
