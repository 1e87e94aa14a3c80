package io.cumulus.postgres;

import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * A regular file as it went into a tar stream: the size fixed in its header (what a restore gets,
 * whether the file shrank or grew meanwhile) and the checksum of exactly those bytes, ready for the
 * backup_manifest.
 *
 * @param name the tar member name
 * @param relativePath the path in a restored data directory, as the manifest names it
 * @param size the bytes stored
 * @param modified the modification time stored in the header
 * @param algorithm how {@code checksum} was computed
 * @param checksum lower-case hex, as backup_manifest writes it
 */
public record WrittenFile(String name, String relativePath, long size, FileTime modified,
        ChecksumAlgorithm algorithm, String checksum) {

    public WrittenFile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(relativePath, "relativePath");
        Objects.requireNonNull(modified, "modified");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(checksum, "checksum");
    }
}
