package io.cumulus.core.compress;

import com.github.luben.zstd.util.ZstdVersion;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Points zstd-jni at the native library that packaging unpacked from its jar into
 * {@code lib/native/zstd/linux/<arch>/} (on the launcher's {@code java.library.path}). Left to itself, zstd-jni
 * copies the library out of its jar into {@code java.io.tmpdir} on every first use and loads it from
 * there, which fails on a {@code /tmp} mounted noexec or read-only (and costs a megabyte written per call).
 * Its {@code ZstdNativePath} property, read before anything else, makes it load the given file instead.
 */
final class ZstdLibrary {
    static final String PROPERTY = "ZstdNativePath";

    private static volatile boolean chosen;

    private ZstdLibrary() {
    }

    /** Before the first use of zstd-jni: sets {@link #PROPERTY} to the packaged library, when there is one. */
    static void usePackaged() {
        if (chosen) {
            return;
        }
        synchronized (ZstdLibrary.class) {
            if (!chosen && System.getProperty(PROPERTY) == null) {
                Path packaged = packaged(System.getProperty("java.library.path", ""), System.getProperty("os.name", ""),
                        System.getProperty("os.arch", ""));
                if (packaged != null) {
                    System.setProperty(PROPERTY, packaged.toString());
                }
            }
            chosen = true;
        }
    }

    /**
     * The library of this zstd-jni version for this platform under an entry of {@code libraryPath}, at the
     * path zstd-jni's jar has it ({@code zstd/linux/amd64/libzstd-jni-1.5.7-4.so}), or null.
     */
    static Path packaged(String libraryPath, String osName, String arch) {
        if (!osName.toLowerCase(Locale.ROOT).startsWith("linux") || arch.isEmpty()) {
            return null;
        }
        String name = System.mapLibraryName("zstd-jni-" + ZstdVersion.VERSION);
        for (String entry : libraryPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            try {
                Path library = Path.of(entry, "zstd", "linux", arch, name);
                if (Files.isRegularFile(library)) {
                    return library.toAbsolutePath();
                }
            } catch (InvalidPathException e) {
                // an entry this locale cannot name: not ours
            }
        }
        return null;
    }
}
