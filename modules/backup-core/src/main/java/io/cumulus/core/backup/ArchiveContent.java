package io.cumulus.core.backup;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The members of one archive series ({@code data}, or one tablespace) written as tar streams, one
 * member at a time, so that {@link BaseBackup} can end a part between two members when it has
 * reached {@code --max-archive-size} and go on in the next part. Each part is a complete tar stream.
 * Used by one thread.
 */
public interface ArchiveContent {

    /**
     * The series' name: {@code data} for the data directory, the tablespace OID in decimal for a
     * tablespace. Its parts are stored as {@code <name>.tar[.ext]}, {@code <name>_0001.tar[.ext]}...
     */
    String name();

    /** Begins a new tar stream on {@code out}: the next members go there. */
    void startPart(OutputStream out) throws IOException;

    /** Whether a member is left to add; may look ahead at the next one without writing it. */
    boolean hasNext() throws IOException;

    /** Adds the next member to the current part; only after {@link #hasNext()} said there is one. */
    void addNext() throws IOException;

    /** Ends the current tar stream (end-of-archive blocks) and flushes it, leaving {@code out} open. */
    void finishPart() throws IOException;
}
