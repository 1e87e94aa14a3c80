package io.cumulus.core.check;

import io.cumulus.core.OperationFailedException;
import java.util.OptionalLong;

/**
 * barman-cloud-check-wal-archive's test (reference §8): a new cluster may start archiving into a
 * server's {@code wals/} only when it holds no WAL file that would clash with it. Without a timeline,
 * any WAL file (segment, partial, backup or history file) is a clash; with {@code --timeline N}, only
 * files of timeline N or later are (history file {@code 0000000N.history} counts as timeline N).
 */
public final class ArchiveEmptiness {

    private ArchiveEmptiness() {
    }

    /**
     * Passes silently or throws.
     *
     * @param timeline the new cluster's timeline, or empty to require an empty archive
     * @param where the archive's location, for the message
     * @throws OperationFailedException naming how many files clash and one of them
     */
    public static void check(WalArchiveIndex index, OptionalLong timeline, String where)
            throws OperationFailedException {
        if (timeline.isEmpty()) {
            if (index.walObjects() > 0) {
                throw new OperationFailedException("Expected empty archive: " + where + " holds "
                        + index.walObjects() + " WAL file(s), e.g. " + index.firstKeyFromTimeline(0).orElseThrow()
                        + "; use another server name or prefix, or --timeline for a cluster on a new timeline");
            }
            return;
        }
        long clashes = index.objectsFromTimeline(timeline.getAsLong());
        if (clashes > 0) {
            throw new OperationFailedException("Found " + clashes + " file(s) in WAL archive equal to or newer"
                    + " than timeline " + timeline.getAsLong() + " in " + where + ", e.g. "
                    + index.firstKeyFromTimeline(timeline.getAsLong()).orElseThrow()
                    + "; use another server name or prefix, or a timeline above every archived one");
        }
    }
}
