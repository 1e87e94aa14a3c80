package io.cumulus.e2e;

import io.cumulus.testsupport.PgCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * What a cluster's WAL archiver has done, as PostgreSQL itself reports it: pg_stat_archiver and the
 * marks in pg_wal/archive_status. Complements {@link PgCluster#awaitArchived}, which fails at the
 * first archive_command failure, for tests in which failures are expected.
 */
final class Archiver {

    private static final Duration POLL = Duration.ofMillis(100);

    private static final String STATUS_SQL = "SELECT pg_walfile_name(pg_current_wal_lsn()),"
            + " pg_current_wal_lsn() - '0/0'::pg_lsn, coalesce(last_archived_wal, ''), archived_count,"
            + " failed_count, coalesce(last_failed_wal, ''),"
            + " (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')"
            + " FROM pg_stat_archiver";

    private Archiver() {
    }

    /** One reading of the archiver's state. */
    record Status(String currentWal, long currentLsnBytes, String lastArchivedWal, long archivedCount,
                  long failedCount, String lastFailedWal, long ready) {

        /** The segment last archived (a history or backup file counts as its segment); empty if none. */
        String lastArchivedSegment() {
            return lastArchivedWal.length() >= 24 ? lastArchivedWal.substring(0, 24) : lastArchivedWal;
        }

        @Override
        public String toString() {
            return "current=" + currentWal + " last_archived_wal=" + lastArchivedWal + " archived_count="
                    + archivedCount + " failed_count=" + failedCount + " last_failed_wal=" + lastFailedWal
                    + " ready=" + ready;
        }
    }

    static Status status(PgCluster cluster) {
        try (Connection connection = cluster.connect()) {
            return status(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read pg_stat_archiver", e);
        }
    }

    static Status status(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(STATUS_SQL)) {
            row.next();
            return new Status(row.getString(1), row.getBigDecimal(2).longValueExact(), row.getString(3),
                    row.getLong(4), row.getLong(5), row.getString(6), row.getLong(7));
        }
    }

    /** The WAL file names PostgreSQL has marked {@code suffix} (".done" or ".ready") in archive_status, sorted. */
    static List<String> marked(PgCluster cluster, String suffix) {
        return cluster.queryColumn("SELECT left(name, -" + suffix.length() + ") FROM pg_ls_archive_statusdir()"
                + " WHERE name LIKE '%" + suffix + "' ORDER BY 1");
    }

    static List<String> marked(Connection connection, String suffix) throws SQLException {
        List<String> names = new java.util.ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(
                "SELECT left(name, -" + suffix.length() + ") FROM pg_ls_archive_statusdir()"
                        + " WHERE name LIKE '%" + suffix + "' ORDER BY 1")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    /**
     * Waits until {@code wal} (a segment name) has been archived and nothing waits for the archiver,
     * whatever failed before: for tests where archive_command is expected to fail for a while.
     */
    static Status awaitCaughtUp(PgCluster cluster, String wal, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Status status = status(cluster);
            if (status.ready() == 0 && !status.lastArchivedSegment().isEmpty()
                    && status.lastArchivedSegment().compareTo(wal) >= 0) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for the archiver to catch up"
                        + " with " + wal + " (" + status + ")\n--- server log tail ---\n" + cluster.serverLogTail(40));
            }
            sleep(POLL);
        }
    }

    /**
     * Empties archive_command and waits until the server uses that: with archive_mode still on,
     * PostgreSQL keeps every new file .ready and archives nothing, not even at shutdown.
     */
    static void stopArchiving(PgCluster cluster) {
        cluster.appendSettings(java.util.Map.of("archive_command", ""));
        cluster.reload();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cluster.queryString("SHOW archive_command").isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("archive_command still set after a reload");
            }
            sleep(POLL);
        }
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
