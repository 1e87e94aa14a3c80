package io.cumulus.e2e;

import io.cumulus.testsupport.PgCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Samples a cluster's archiver once a second while a load runs: how many finished segments
 * pg_stat_archiver is behind the segment being written, and every file PostgreSQL marked
 * {@code .done} meanwhile (a checkpoint may delete the marks before the test looks). It records, it
 * does not judge: the numbers are printed, not asserted, since timing on a shared machine is no test.
 */
final class ArchiverLagSampler implements AutoCloseable {

    /** One sample. {@code segmentsBehind}: finished segments not yet archived; {@code bytesBehind}: WAL past the last archived segment. */
    record Sample(long millis, String currentWal, String lastArchivedWal, long segmentsBehind, long bytesBehind,
                  long ready, long archivedCount) {
    }

    private final PgCluster cluster;
    private final long segmentSize;
    private final Duration interval;
    private final List<Sample> samples = new ArrayList<>();
    private final Set<String> done = new TreeSet<>();
    private final Thread thread;
    private final long started = System.nanoTime();
    private volatile boolean stopping;
    private volatile Exception failure;

    private ArchiverLagSampler(PgCluster cluster, long segmentSize, Duration interval) {
        this.cluster = cluster;
        this.segmentSize = segmentSize;
        this.interval = interval;
        this.thread = new Thread(this::run, "archiver-lag-sampler");
        this.thread.setDaemon(true);
    }

    /** Starts sampling {@code cluster}, whose WAL segments are {@code segmentSize} bytes, every {@code interval}. */
    static ArchiverLagSampler start(PgCluster cluster, long segmentSize, Duration interval) {
        ArchiverLagSampler sampler = new ArchiverLagSampler(cluster, segmentSize, interval);
        sampler.thread.start();
        return sampler;
    }

    private void run() {
        try (Connection connection = cluster.connect()) {
            while (!stopping) {
                sampleOnce(connection);
                Thread.sleep(interval.toMillis());
            }
            sampleOnce(connection);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure = e;
        }
    }

    private void sampleOnce(Connection connection) throws SQLException {
        Archiver.Status status = Archiver.status(connection);
        List<String> doneNow = Archiver.marked(connection, ".done");
        long current = Wal.segmentNumber(status.currentWal(), segmentSize);
        String last = status.lastArchivedSegment();
        // nothing archived yet: everything before the current segment is behind
        long lastNumber = last.isEmpty() ? 0 : Wal.segmentNumber(last, segmentSize);
        long segmentsBehind = Math.max(0, current - lastNumber - 1);
        long bytesBehind = Math.max(0, status.currentLsnBytes() - (lastNumber + 1) * segmentSize);
        synchronized (this) {
            samples.add(new Sample((System.nanoTime() - started) / 1_000_000, status.currentWal(),
                    status.lastArchivedWal(), segmentsBehind, bytesBehind, status.ready(), status.archivedCount()));
            done.addAll(doneNow);
        }
    }

    /** Stops sampling (after a last sample) and fails if sampling failed. */
    @Override
    public void close() {
        stopping = true; // not interrupt(): that could break a query in flight
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw new IllegalStateException("sampling pg_stat_archiver failed", failure);
        }
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** Every WAL file marked .done in any sample. */
    synchronized Set<String> doneSeen() {
        return Set.copyOf(done);
    }

    /** A few lines for the test output: the distribution of the lag and the archiving rate. */
    synchronized String report(String title) {
        if (samples.isEmpty()) {
            return title + ": no samples";
        }
        long maxBehind = samples.stream().mapToLong(Sample::segmentsBehind).max().orElse(0);
        double meanBehind = samples.stream().mapToLong(Sample::segmentsBehind).average().orElse(0);
        long maxBytes = samples.stream().mapToLong(Sample::bytesBehind).max().orElse(0);
        long maxReady = samples.stream().mapToLong(Sample::ready).max().orElse(0);
        long[] sorted = samples.stream().mapToLong(Sample::segmentsBehind).sorted().toArray();
        long p50 = sorted[sorted.length / 2];
        long p90 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.9) - 1)];
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        double seconds = Math.max(0.001, (last.millis() - first.millis()) / 1000.0);
        long segmentsWritten = Wal.segmentNumber(last.currentWal(), segmentSize)
                - Wal.segmentNumber(first.currentWal(), segmentSize);
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s: %d samples over %.1f s, %d-byte segments%n", title,
                samples.size(), seconds, segmentSize));
        out.append(String.format(Locale.ROOT, "  WAL written: %d segments (%.1f/s); archived: %d files (%.1f/s)%n",
                segmentsWritten, segmentsWritten / seconds, last.archivedCount() - first.archivedCount(),
                (last.archivedCount() - first.archivedCount()) / seconds));
        out.append(String.format(Locale.ROOT, "  segments behind: max %d, mean %.2f, p50 %d, p90 %d;"
                + " .ready max %d; bytes behind max %d (%.2f MB)%n", maxBehind, meanBehind, p50, p90, maxReady,
                maxBytes, maxBytes / 1048576.0));
        out.append("  per second (segments behind / .ready):");
        for (Sample sample : samples) {
            out.append(' ').append(sample.segmentsBehind()).append('/').append(sample.ready());
        }
        return out.toString();
    }
}
