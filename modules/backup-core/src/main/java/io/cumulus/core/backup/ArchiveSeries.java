package io.cumulus.core.backup;

import io.cumulus.core.compress.Compression;
import io.cumulus.storage.BlobOutputStream;
import io.cumulus.storage.BlobStore;
import io.cumulus.storage.WriteOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * One archive series being written: its content goes, member by member, into parts that are each a
 * complete compressed tar stream committed as one object, {@code <name>.tar[.ext]} then {@code
 * <name>_0001.tar[.ext]}..., a new part starting before a member once the current one has passed
 * {@code --max-archive-size} after compression, as barman-cloud splits (reference §2.3). At most
 * one part is open at a time; a failure aborts it, leaving the committed parts in place.
 *
 * <p>The content is written in the calling thread; compression and the store's writer run in a
 * thread of {@code compressor}, fed through a {@link PipelinedOutputStream} of {@value #CHUNKS}
 * chunks of {@value #CHUNK_SIZE} bytes. Near the limit, the check before a member waits for the
 * queued data to be compressed, so parts end exactly where a single-threaded writer would end them.
 */
final class ArchiveSeries {

    /** A committed part and when it was written, for copy_stats. */
    record Part(StoredArchive archive, long startNanos, long endNanos) {
    }

    private final BlobStore store;
    private final String keyPrefix;
    private final ArchiveContent content;
    private final BackupSettings settings;
    private final WriteOptions options;
    private final BandwidthLimit bandwidth;
    private final BackupListener listener;
    private final Supplier<String> cancellation;
    private final Executor compressor;
    private final List<Part> parts = new ArrayList<>();

    private String key;
    private BlobOutputStream blob;
    private OutputStream compressed;
    private PipelinedOutputStream pipe;
    private long startNanos;

    /** Bytes per chunk handed from the reading thread to the compressing one. */
    static final int CHUNK_SIZE = 512 * 1024;
    /** Chunks circulating between the two threads. */
    static final int CHUNKS = 4;

    /**
     * @param keyPrefix the backup's directory, {@code .../base/<id>/}
     * @param bandwidth the backup's limit, or null for none
     * @param cancellation the reason the backup was cancelled, or null while it runs
     * @param compressor runs the compression and store writes of each part, one part at a time
     */
    ArchiveSeries(BlobStore store, String keyPrefix, ArchiveContent content, BackupSettings settings,
            WriteOptions options, BandwidthLimit bandwidth, BackupListener listener, Supplier<String> cancellation,
            Executor compressor) {
        this.store = store;
        this.keyPrefix = keyPrefix;
        this.content = content;
        this.settings = settings;
        this.options = options;
        this.bandwidth = bandwidth;
        this.listener = listener;
        this.cancellation = cancellation;
        this.compressor = compressor;
    }

    /** The object name of part {@code index} of series {@code name}: {@code data.tar.gz}, {@code data_0001.tar.gz}. */
    static String partName(String name, int index, Compression compression) {
        String number = index == 0 ? "" : String.format(Locale.ROOT, "_%04d", index);
        return name + number + ".tar" + compression.suffix();
    }

    String name() {
        return content.name();
    }

    List<Part> parts() {
        return List.copyOf(parts);
    }

    /** Adds every member the content has left. */
    void copyMembers() throws IOException {
        while (content.hasNext()) {
            CopyingOutputStream.checkCancelled(cancellation);
            beforeMember();
            content.addNext();
        }
    }

    /** Makes room for one more member: opens the first part, or ends a full part and opens the next. */
    void beforeMember() throws IOException {
        if (blob == null) {
            openPart();
        } else if (blob.bytesWritten() + pipe.pendingBytes() > settings.maxArchiveSize()) {
            // near the limit: wait for the queued data, so the decision is on what the part holds
            pipe.drain();
            if (blob.bytesWritten() > settings.maxArchiveSize()) {
                closePart();
                openPart();
            }
        }
    }

    /** Commits the last part; a series without members still gets one (empty) archive. */
    void close() throws IOException {
        if (blob == null) {
            openPart();
        }
        closePart();
    }

    /** Discards the open part, if any; failures to do so are attached to {@code failure}. */
    void abort(Throwable failure) {
        if (blob == null) {
            return;
        }
        BlobOutputStream open = blob;
        OutputStream encoder = compressed;
        blob = null;
        compressed = null;
        pipe.abort();
        pipe = null;
        try {
            open.abort();
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        try {
            // releases the encoder (zstd holds native memory); what it flushes goes nowhere
            encoder.close();
        } catch (IOException | RuntimeException expected) {
            // the writer underneath is aborted
        }
    }

    private void openPart() throws IOException {
        key = keyPrefix + partName(content.name(), parts.size(), settings.compression());
        startNanos = System.nanoTime();
        BlobOutputStream metered = new MeteredBlobOutputStream(store.openWrite(key, options), bandwidth);
        // on failure, compress aborts the writer itself
        OutputStream encoder = settings.compression().compress(metered, settings.compressionLevel());
        blob = metered;
        compressed = encoder;
        pipe = new PipelinedOutputStream(encoder, compressor, CHUNK_SIZE, CHUNKS);
        listener.archiveOpened(key);
        content.startPart(new CopyingOutputStream(pipe, listener, cancellation));
    }

    private void closePart() throws IOException {
        content.finishPart();
        // hands over the rest; the compressing thread finishes the stream and commits
        pipe.close();
        BlobOutputStream committing = blob;
        blob = null;
        compressed = null;
        pipe = null;
        long size = committing.bytesWritten();
        parts.add(new Part(new StoredArchive(key, size), startNanos, System.nanoTime()));
        listener.archiveStored(key, size);
    }
}
