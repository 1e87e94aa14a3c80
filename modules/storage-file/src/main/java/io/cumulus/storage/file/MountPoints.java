package io.cumulus.storage.file;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a file system that /etc/fstab says is mounted on the way to a store's directory but that is
 * not mounted now (by /proc/self/mounts). A store whose URL names an NFS mount point itself would
 * otherwise not notice a missing mount: the empty mount-point directory is there, on the local disk,
 * and writes land there while every read finds nothing. Mounts made by other means (by hand, by a
 * systemd unit, by Kubernetes) are not in fstab, so this is a guard, not the protection: that is a
 * URL naming a directory inside the mount, which is missing when the mount is.
 *
 * @param fstab where the system lists its mounts (/etc/fstab)
 * @param mounts where the kernel lists what is mounted now (/proc/self/mounts); where it cannot be
 *     read (not Linux), nothing is known and nothing is refused
 */
record MountPoints(Path fstab, Path mounts) {

    static final MountPoints SYSTEM = new MountPoints(Path.of("/etc/fstab"), Path.of("/proc/self/mounts"));

    /** The mount points of fstab that hold {@code directory} (itself included), "/" aside: always mounted. */
    List<Path> declaredAbove(Path directory) {
        List<Path> above = new ArrayList<>();
        for (Path mountPoint : mountPoints(fstab)) {
            if (mountPoint.getParent() != null && directory.startsWith(mountPoint)) {
                above.add(mountPoint);
            }
        }
        return above;
    }

    /** The first of {@code declared} that nothing is mounted on now, if any. */
    Optional<Path> firstUnmounted(List<Path> declared) {
        if (declared.isEmpty() || !Files.isReadable(mounts)) {
            return Optional.empty();
        }
        Set<Path> mounted = new HashSet<>(mountPoints(mounts));
        return declared.stream().filter(mountPoint -> !mounted.contains(mountPoint)
                && !mounted.contains(realPath(mountPoint))).findFirst();
    }

    /** The kernel lists a mount at its path with links resolved: fstab may name it through a link. */
    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    /** The second field of each line of an fstab-like file, unescaped; nothing when it cannot be read. */
    private static List<Path> mountPoints(Path table) {
        List<String> lines;
        try {
            lines = Files.readAllLines(table, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of(); // no fstab, or unreadable: nothing is promised
        }
        List<Path> points = new ArrayList<>();
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] fields = trimmed.split("\\s+");
            if (fields.length < 2 || !fields[1].startsWith("/")) {
                continue; // swap ("none"), or malformed
            }
            try {
                points.add(Path.of(unescape(fields[1])).normalize());
            } catch (RuntimeException e) {
                // a name this system cannot hold cannot be a store's parent either
            }
        }
        return points;
    }

    /** fstab and /proc/self/mounts write a space as {@code \040}, a tab as {@code \011}, and so on. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
