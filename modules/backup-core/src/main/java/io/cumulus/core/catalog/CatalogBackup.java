package io.cumulus.core.catalog;

import java.util.Objects;
import java.util.Optional;

/**
 * One backup of the catalog as retention sees it: its id, its backup.info and its keep annotation.
 *
 * @param id the backup's id
 * @param info its backup.info
 * @param keep its keep target, empty when it has no keep annotation
 */
public record CatalogBackup(BackupId id, BackupInfo info, Optional<Keep> keep) implements Comparable<CatalogBackup> {

    public CatalogBackup {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(keep, "keep");
    }

    /** A backup without keep annotation. */
    public static CatalogBackup of(BackupId id, BackupInfo info) {
        return new CatalogBackup(id, info, Optional.empty());
    }

    /** The backup's status in backup.info. */
    public BackupStatus status() {
        return info.status();
    }

    /** Whether it is kept with {@code target}. */
    public boolean isKept(Keep target) {
        return keep.isPresent() && keep.get() == target;
    }

    @Override
    public int compareTo(CatalogBackup other) {
        return id.compareTo(other.id);
    }
}
