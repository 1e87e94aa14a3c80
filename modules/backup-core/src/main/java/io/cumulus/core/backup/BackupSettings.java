package io.cumulus.core.backup;

import io.cumulus.core.catalog.BackupName;
import io.cumulus.core.compress.Compression;
import io.cumulus.core.compress.CompressionLevel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How a base backup is written: the choices of {@code cumulus-backup}'s options that reach the
 * bucket. The part size and {@code -J} belong to the store, which is opened with them.
 *
 * @param compression the archives' compression ({@code -z}, {@code -j}, {@code --snappy}, ...)
 * @param compressionLevel the level for algorithms that have one
 * @param maxArchiveSize {@code -S}: a part is ended before the next member once its compressed size
 *     passes this many bytes
 * @param tags the tags of every object the backup writes
 * @param backupName {@code -n}, recorded as backup.info's {@code backup_name}
 * @param maxBandwidth {@code --max-bandwidth}: the most compressed bytes per second handed to the
 *     store, averaged over a second; empty for no limit
 * @param workers {@code -J}, recorded as copy_stats' {@code number_of_workers}
 */
public record BackupSettings(Compression compression, CompressionLevel compressionLevel, long maxArchiveSize,
        Map<String, String> tags, Optional<BackupName> backupName, OptionalLong maxBandwidth, int workers) {

    public BackupSettings {
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(compressionLevel, "compressionLevel");
        Objects.requireNonNull(backupName, "backupName");
        Objects.requireNonNull(maxBandwidth, "maxBandwidth");
        tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        if (maxArchiveSize < 1) {
            throw new IllegalArgumentException("max archive size must be positive: " + maxArchiveSize);
        }
        if (maxBandwidth.isPresent() && maxBandwidth.getAsLong() < 1) {
            throw new IllegalArgumentException("max bandwidth must be positive: " + maxBandwidth.getAsLong());
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1: " + workers);
        }
    }

    /** Plain tars, barman's defaults: 100 GB archives, no tags, name or bandwidth limit, 2 workers. */
    public static BackupSettings defaults() {
        return new BackupSettings(Compression.NONE, CompressionLevel.DEFAULT, ArchiveSizing.DEFAULT_MAX_ARCHIVE_SIZE,
                Map.of(), Optional.empty(), OptionalLong.empty(), ArchiveSizing.DEFAULT_JOBS);
    }

    public BackupSettings withCompression(Compression value, CompressionLevel level) {
        return new BackupSettings(value, level, maxArchiveSize, tags, backupName, maxBandwidth, workers);
    }

    public BackupSettings withMaxArchiveSize(long value) {
        return new BackupSettings(compression, compressionLevel, value, tags, backupName, maxBandwidth, workers);
    }

    public BackupSettings withTags(Map<String, String> value) {
        return new BackupSettings(compression, compressionLevel, maxArchiveSize, value, backupName, maxBandwidth,
                workers);
    }

    public BackupSettings withBackupName(BackupName value) {
        return new BackupSettings(compression, compressionLevel, maxArchiveSize, tags, Optional.of(value),
                maxBandwidth, workers);
    }

    public BackupSettings withMaxBandwidth(long bytesPerSecond) {
        return new BackupSettings(compression, compressionLevel, maxArchiveSize, tags, backupName,
                OptionalLong.of(bytesPerSecond), workers);
    }

    public BackupSettings withWorkers(int value) {
        return new BackupSettings(compression, compressionLevel, maxArchiveSize, tags, backupName, maxBandwidth,
                value);
    }
}
