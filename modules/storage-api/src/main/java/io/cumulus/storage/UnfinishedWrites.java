package io.cumulus.storage;

import java.io.IOException;
import java.util.List;

/**
 * An opt-in capability of a {@link BlobStore} whose writes, when the writing process dies (kill -9,
 * the OOM killer, a reboot), leave something under the target's prefix that listings do not show
 * and that nothing else would ever remove: the file:// store's hidden temporary files, up to a whole
 * archive each. The caller owns the policy (how old a leftover must be before it is taken for dead).
 * S3, Azure and GCS do not implement it: their unfinished uploads are outside the namespace and are
 * aborted by the writer or expired by a lifecycle rule.
 */
public interface UnfinishedWrites {

    /**
     * The unfinished writes under {@code prefix} (empty, or ending with {@code /}), at any depth, in
     * ascending order of key. Each key names the leftover, not an object: only {@link
     * #deleteUnfinishedWrite} takes it; its size is what was written so far, its date the last write.
     */
    List<BlobInfo> unfinishedWrites(String prefix) throws IOException;

    /**
     * Removes one unfinished write as {@link #unfinishedWrites} named it; an absent one counts as
     * removed. A writer still using it fails at its close, leaving no object: never a wrong one.
     */
    void deleteUnfinishedWrite(String key) throws IOException;
}
