package io.cumulus.postgres;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * One member of a backup archive as the walk found it on disk: its name in the tar exactly as
 * barman-cloud writes it ({@code ./} for the data directory, {@code ./NAME} for its top-level files,
 * {@code base/1/} and {@code base/1/112} below, {@code PG_15_202209061/5/16385} in a tablespace
 * archive), where it lands in a restored data directory, and its metadata taken just before it is
 * handed out (so the size is current when the caller starts reading).
 *
 * @param name the tar member name; directories end with {@code /}
 * @param relativePath the path in a restored data directory ({@code .} for its root), as a
 *        backup_manifest names files: {@code PG_VERSION}, {@code pg_tblspc/16384/PG_15_…/5/16385}
 * @param kind directory, regular file or symbolic link
 * @param source the file on disk
 * @param size the size in bytes for a regular file, else 0
 * @param mode the permission bits (e.g. 0600)
 * @param modified the last modification time
 * @param uid the owner's numeric id
 * @param gid the group's numeric id
 * @param userName the owner's name, empty if unknown
 * @param groupName the group's name, empty if unknown
 * @param linkTarget a symbolic link's target, else empty
 */
public record PgDataEntry(String name, String relativePath, Kind kind, Path source, long size, int mode,
        FileTime modified, int uid, int gid, String userName, String groupName, String linkTarget) {

    /** The kinds of entries a backup stores (sockets, FIFOs and devices are skipped). */
    public enum Kind { DIRECTORY, FILE, SYMLINK }

    public PgDataEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(relativePath, "relativePath");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(modified, "modified");
        Objects.requireNonNull(userName, "userName");
        Objects.requireNonNull(groupName, "groupName");
        Objects.requireNonNull(linkTarget, "linkTarget");
        if (size < 0 || (kind != Kind.FILE && size != 0)) {
            throw new IllegalArgumentException("bad size " + size + " for " + kind + " " + name);
        }
    }
}
