package io.cumulus.core.retention;

import io.cumulus.storage.BlobStore;
import java.util.List;
import java.util.Optional;

/**
 * What one pass over the WAL listing found that a deletion frees: how many objects, the first and
 * the last, and every one of them only when the plan was made from a listing held in memory. A
 * delete streams the listing instead, so it holds these few fields whatever the archive's length.
 *
 * @param count how many WAL objects the deletion frees
 * @param first the first of them by key, null when none
 * @param last the last of them by key, null when none
 * @param lastListed the greatest of their keys in listing order ({@link BlobStore#KEY_ORDER}): a
 *     later listing finds none of them after it; null when none
 * @param objects every one, sorted by key, when the listing was held; empty when it was streamed
 */
public record FreedWal(long count, WalObject first, WalObject last, String lastListed,
                       Optional<List<WalObject>> objects) {

    /** Nothing freed. */
    public static final FreedWal NONE = new FreedWal(0, null, null, null, Optional.of(List.of()));

    public FreedWal {
        objects = objects.map(List::copyOf);
    }
}
