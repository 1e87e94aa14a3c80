package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * A throwaway PostgreSQL 15 cluster for one test class: its own temp directory (data, unix socket,
 * server log), a free loopback port, trust authentication, data checksums, run as {@link PostgresUser}.
 * Built fresh with initdb, or from a copy of an existing data directory (a base backup) to recover.
 * {@link #close()} stops the server and deletes everything, also when a test failed halfway.
 */
public final class PgCluster implements AutoCloseable {

    /** PostgreSQL's binaries; system property {@code cumulus.pg.bin}. */
    public static final Path PG_BIN = Path.of(System.getProperty("cumulus.pg.bin", "/usr/lib/postgresql/15/bin"));

    /** The superuser initdb creates and every connection uses. */
    public static final String SUPERUSER = "postgres";

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration BASE_BACKUP_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final int START_ATTEMPTS = 3;

    /** Which signal file a cluster built from an existing data directory starts with. */
    public enum Recovery {
        /** No signal file: crash recovery only. */
        NONE(null),
        /** {@code recovery.signal}: targeted archive recovery, then (by default) promotion. */
        ARCHIVE("recovery.signal"),
        /** {@code standby.signal}: stays in recovery until promoted. */
        STANDBY("standby.signal");

        private final String signalFile;

        Recovery(String signalFile) {
            this.signalFile = signalFile;
        }
    }

    /** How {@link #pgBasebackup} gets the WAL a copy needs to become consistent. */
    public enum WalMethod {
        /** No WAL in the copy: recovery must get it from the archive (restore_command). */
        NONE,
        /** The WAL is fetched into the copy's pg_wal at the end of the backup. */
        FETCH,
        /** The WAL is streamed into the copy's pg_wal while the backup runs. */
        STREAM
    }

    private final Path baseDir;
    private final Path dataDir;
    private final Path socketDir;
    private final Path logFile;
    private final Duration startTimeout;
    private final Thread shutdownHook;
    private int port;

    private PgCluster(Path baseDir, int port, Duration startTimeout) {
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.socketDir = baseDir.resolve("sock");
        this.logFile = baseDir.resolve("server.log");
        this.port = port;
        this.startTimeout = startTimeout;
        // a JVM stopped by Ctrl-C or a surefire timeout must not leave a server running
        this.shutdownHook = new Thread(this::stopImmediatelyAndDelete, "pgcluster-cleanup-" + baseDir.getFileName());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A fresh cluster (initdb) with {@code settings} added, started. */
    public static PgCluster start(Map<String, String> settings) {
        return builder().settings(settings).start();
    }

    public Path baseDir() {
        return baseDir;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path socketDir() {
        return socketDir;
    }

    public Path logFile() {
        return logFile;
    }

    public int port() {
        return port;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    // ---------------------------------------------------------------- server lifecycle

    /**
     * Starts the server with {@code pg_ctl -w} and returns once it accepts connections (as a primary,
     * or as a hot standby once consistent). Retries on a new port if the port was taken meanwhile.
     * On failure the server is stopped and the exception carries pg_ctl's output and the log's tail.
     */
    public void start() {
        for (int attempt = 1; ; attempt++) {
            ToolResult result = pgCtl(startTimeout.plusSeconds(30), "start", "-w",
                    "-t", Long.toString(Math.max(1, startTimeout.toSeconds())), "-l", logFile.toString());
            if (result.succeeded()) {
                return;
            }
            String log = serverLog();
            stopQuietly();
            boolean portTaken = log.contains("could not bind") || log.contains("Address already in use");
            if (portTaken && attempt < START_ATTEMPTS) {
                port = Ports.freeLoopbackPort();
                appendSettings(Map.of("port", Integer.toString(port)));
                continue;
            }
            throw new IllegalStateException("PostgreSQL did not start in " + dataDir + "\n" + result.describe()
                    + "\n--- server log tail ---\n" + serverLogTail(60));
        }
    }

    /** Stops the server (fast shutdown, then immediate if that does not finish); a stopped server is fine. */
    public void stop() {
        if (!isRunning()) {
            return;
        }
        ToolResult fast = pgCtl(STOP_TIMEOUT.plusSeconds(10), "stop", "-m", "fast", "-w",
                "-t", Long.toString(STOP_TIMEOUT.toSeconds()));
        if (fast.succeeded()) {
            return;
        }
        ToolResult immediate = pgCtl(STOP_TIMEOUT.plusSeconds(10), "stop", "-m", "immediate", "-w",
                "-t", Long.toString(STOP_TIMEOUT.toSeconds()));
        if (!immediate.succeeded()) {
            killPostmaster();
            throw new IllegalStateException("PostgreSQL did not stop\n" + fast.describe() + "\n"
                    + immediate.describe());
        }
    }

    public void restart() {
        stop();
        start();
    }

    /** Makes the server re-read postgresql.conf (after {@link #appendSettings}). */
    public void reload() {
        pgCtl(Duration.ofSeconds(30), "reload");
    }

    /** Promotes a standby or a paused recovery, waiting until it is done. */
    public void promote() {
        ToolResult result = pgCtl(startTimeout.plusSeconds(30), "promote", "-w",
                "-t", Long.toString(startTimeout.toSeconds()));
        if (!result.succeeded()) {
            throw new IllegalStateException("promotion failed\n" + result.describe()
                    + "\n--- server log tail ---\n" + serverLogTail(40));
        }
    }

    /** Whether a postmaster runs on this data directory (pg_ctl status). */
    public boolean isRunning() {
        if (!Files.exists(dataDir.resolve("postmaster.pid"))) {
            return false;
        }
        return pgCtl(Duration.ofSeconds(30), "status").succeeded();
    }

    /**
     * Appends settings to postgresql.conf, where the last occurrence of a name wins. They take effect
     * at the next {@link #reload()} or {@link #restart()}, as the setting's context requires.
     */
    public void appendSettings(Map<String, String> settings) {
        StringBuilder block = new StringBuilder();
        settings.forEach((name, value) -> block.append(name).append(" = ").append(confQuote(value)).append('\n'));
        appendToConf(block.toString());
    }

    private void appendToConf(String block) {
        try {
            Files.writeString(dataDir.resolve("postgresql.conf"), block, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- SQL

    /** A new connection as the superuser to database postgres, autocommit on. The caller closes it. */
    public Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "cumulus-tests");
        return DriverManager.getConnection(jdbcUrl(), props);
    }

    /** Runs one or more statements in a new connection; fails unchecked with the SQL in the message. */
    public void execute(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + sql, e);
        }
    }

    /** The first column of the first row, as a long; fails if there is no row or it is NULL. */
    public long queryLong(String sql) {
        String value = queryString(sql);
        if (value == null) {
            throw new IllegalStateException("NULL from: " + sql);
        }
        return Long.parseLong(value);
    }

    /** The first column of the first row, as text (NULL gives null); fails if there is no row. */
    public String queryString(String sql) {
        try (Connection connection = connect()) {
            return queryString(connection, sql);
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + sql, e);
        }
    }

    /** Every row's first column, as text. */
    public List<String> queryColumn(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rows.next()) {
                values.add(rows.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + sql, e);
        }
    }

    private static String queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            if (!rows.next()) {
                throw new IllegalStateException("no row from: " + sql);
            }
            return rows.getString(1);
        }
    }

    // ---------------------------------------------------------------- WAL and archiving

    /**
     * Closes the current WAL segment (pg_switch_wal) and returns the name of the segment it closed.
     * Write something first: with nothing written since the last switch, nothing is closed and the
     * previous segment's name comes back.
     */
    public String switchWal() {
        return queryString("SELECT pg_walfile_name(pg_switch_wal())");
    }

    /** The name of the segment being written. */
    public String currentWalFile() {
        return queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
    }

    /**
     * Waits until {@code walName} has been archived and nothing is left waiting for the archiver
     * ({@code .ready} files). Fails at once, with pg_stat_archiver and the log's tail, when
     * archive_command has failed, and when the timeout passes.
     */
    public void awaitArchived(String walName, Duration timeout) {
        String sql = "SELECT coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, ''),"
                + " (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')"
                + " FROM pg_stat_archiver";
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            while (true) {
                String lastArchived;
                long failed;
                String lastFailed;
                long ready;
                try (ResultSet row = statement.executeQuery(sql)) {
                    row.next();
                    lastArchived = row.getString(1);
                    failed = row.getLong(2);
                    lastFailed = row.getString(3);
                    ready = row.getLong(4);
                }
                String state = "last_archived_wal=" + lastArchived + " failed_count=" + failed
                        + " last_failed_wal=" + lastFailed + " ready=" + ready;
                if (failed > 0) {
                    throw new IllegalStateException("archive_command failed (" + state + ")\n--- server log tail ---\n"
                            + serverLogTail(40));
                }
                String archivedSegment = lastArchived.length() >= 24 ? lastArchived.substring(0, 24) : lastArchived;
                if (ready == 0 && !archivedSegment.isEmpty() && archivedSegment.compareTo(walName) >= 0) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out after " + timeout + " waiting for " + walName
                            + " to be archived (" + state + ")\n--- server log tail ---\n" + serverLogTail(40));
                }
                sleep(POLL_INTERVAL);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read pg_stat_archiver", e);
        }
    }

    /**
     * Takes a plain-format base backup into {@code targetDir} (which must not exist, in a directory
     * the PostgreSQL user can write) with a fast checkpoint. With {@link WalMethod#NONE} the server
     * waits until the WAL the backup needs has been archived, so archiving must work.
     */
    public void pgBasebackup(Path targetDir, WalMethod wal) {
        ToolResult result;
        try {
            result = pgCommand("pg_basebackup", "-D", targetDir.toString(), "-F", "p",
                    "-X", wal.name().toLowerCase(java.util.Locale.ROOT), "-c", "fast", "--no-sync")
                    .timeout(BASE_BACKUP_TIMEOUT)
                    .run();
        } catch (IllegalStateException timedOut) {
            // with -X none it waits for the archiver: the log says why archiving is stuck
            throw new IllegalStateException(timedOut.getMessage() + "\n--- server log tail ---\n" + serverLogTail(40),
                    timedOut);
        }
        if (!result.succeeded()) {
            throw new IllegalStateException("pg_basebackup failed\n" + result.describe()
                    + "\n--- server log tail ---\n" + serverLogTail(40));
        }
    }

    /** {@link #pgBasebackup(Path, WalMethod)} without WAL: recovery from it needs the archive. */
    public void pgBasebackup(Path targetDir) {
        pgBasebackup(targetDir, WalMethod.NONE);
    }

    public void checkpoint() {
        execute("CHECKPOINT");
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Waits until the server has left recovery (pg_is_in_recovery() is false), e.g. after reaching a
     * recovery target with recovery_target_action=promote. Fails with the log's tail if the server
     * stops meanwhile or the timeout passes.
     */
    public void awaitRecoveryEnd(Duration timeout) {
        awaitQuery("SELECT NOT pg_is_in_recovery()", timeout, "the end of recovery");
    }

    /** Waits until WAL replay is paused (recovery_target_action=pause, or pg_wal_replay_pause()). */
    public void awaitReplayPaused(Duration timeout) {
        awaitQuery("SELECT pg_get_wal_replay_pause_state() = 'paused'", timeout, "WAL replay to pause");
    }

    private void awaitQuery(String booleanSql, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException lastError = null;
        while (true) {
            try (Connection connection = connect()) {
                if ("t".equals(queryString(connection, booleanSql))) {
                    return;
                }
            } catch (SQLException e) {
                lastError = e;
                if (!isRunning()) {
                    throw new IllegalStateException("the server stopped while waiting for " + what
                            + "\n--- server log tail ---\n" + serverLogTail(60), e);
                }
            }
            if (System.nanoTime() > deadline) {
                IllegalStateException failure = new IllegalStateException("timed out after " + timeout
                        + " waiting for " + what + "\n--- server log tail ---\n" + serverLogTail(60));
                if (lastError != null) {
                    failure.initCause(lastError);
                }
                throw failure;
            }
            sleep(POLL_INTERVAL);
        }
    }

    // ---------------------------------------------------------------- logs and commands

    /** The whole server log (stderr of the postmaster, including archive/restore command output). */
    public String serverLog() {
        try {
            return Files.exists(logFile) ? new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    /** The last {@code lines} lines of the server log. */
    public String serverLogTail(int lines) {
        List<String> all = serverLog().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /**
     * A command running one of PostgreSQL's binaries ({@link #PG_BIN}) as the PostgreSQL user, with
     * PGHOST/PGPORT/PGUSER/PGDATABASE pointing at this cluster: e.g. {@code pgCommand("pgbench", "-i")}.
     */
    public Command pgCommand(String binary, String... args) {
        return Command.of(PG_BIN.resolve(binary), args)
                .asPostgres()
                .directory(baseDir)
                .env("PGHOST", socketDir.toString())
                .env("PGPORT", Integer.toString(port))
                .env("PGUSER", SUPERUSER)
                .env("PGDATABASE", "postgres");
    }

    private ToolResult pgCtl(Duration timeout, String... args) {
        List<String> all = new ArrayList<>(List.of("-D", dataDir.toString()));
        all.addAll(List.of(args));
        return Command.of(PG_BIN.resolve("pg_ctl")).args(all).asPostgres().directory(baseDir).timeout(timeout).run();
    }

    // ---------------------------------------------------------------- cleanup

    /** Stops the server and deletes the cluster's directory; cleanup failures surface after both ran. */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            stop();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            PostgresUser.deleteRecursively(baseDir);
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: nothing to remove
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (RuntimeException e) {
            // the caller is already reporting a failure
        }
    }

    private void stopImmediatelyAndDelete() {
        try {
            if (Files.exists(dataDir.resolve("postmaster.pid"))) {
                pgCtl(Duration.ofSeconds(30), "stop", "-m", "immediate", "-w");
            }
        } catch (RuntimeException ignored) {
            // best effort while the JVM exits
        }
        try {
            PostgresUser.deleteRecursively(baseDir);
        } catch (RuntimeException ignored) {
            // best effort while the JVM exits
        }
    }

    /** Last resort when pg_ctl cannot stop our own postmaster: kill it by the PID it recorded. */
    private void killPostmaster() {
        postmasterPid().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    }

    private Optional<Long> postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A postgresql.conf string literal: single quotes doubled, backslashes escaped. */
    static String confQuote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    /**
     * Builds a cluster: fresh from initdb, or from a copy of an existing data directory. Settings are
     * appended to postgresql.conf after the fixture's own (so they win), and the fixture's own come
     * after whatever a copied postgresql.conf holds (so a copy never reuses its origin's port,
     * socket directory or archive_command: archive_mode is off unless set here).
     */
    public static final class Builder {

        private final Map<String, String> settings = new LinkedHashMap<>();
        private Path sourceDataDir;
        private Recovery recovery = Recovery.NONE;
        private Duration startTimeout = Duration.ofSeconds(120);
        private int walSegmentSizeMb;

        private Builder() {
        }

        public Builder setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        public Builder settings(Map<String, String> values) {
            settings.putAll(values);
            return this;
        }

        /** Shorthand for the restore_command setting (use %f and %p unquoted). */
        public Builder restoreCommand(String command) {
            return setting("restore_command", command);
        }

        /** Shorthand for archive_mode=on and this archive_command (use %p and %f unquoted). */
        public Builder archiveCommand(String command) {
            return setting("archive_mode", "on").setting("archive_command", command);
        }

        /**
         * Builds from a copy of {@code dataDirectory} (e.g. a plain base backup; the original is left
         * as it is, so it can seed several clusters) instead of running initdb. It must be readable by
         * the PostgreSQL user.
         */
        public Builder fromDataDirectory(Path dataDirectory) {
            sourceDataDir = dataDirectory;
            return this;
        }

        /** The signal file to write into the data directory before the first start. */
        public Builder recovery(Recovery mode) {
            recovery = mode;
            return this;
        }

        /**
         * The WAL segment size initdb gives a fresh cluster ({@code initdb --wal-segsize}), in MB: a
         * power of two from 1 to 1024. Small segments let a test produce hundreds of segments cheaply.
         * Unset, initdb's default (16 MB). A cluster built {@link #fromDataDirectory from a copy} keeps
         * the copy's size, so this is refused there.
         */
        public Builder walSegmentSizeMb(int megabytes) {
            if (megabytes < 1 || megabytes > 1024 || Integer.bitCount(megabytes) != 1) {
                throw new IllegalArgumentException("WAL segment size must be a power of two from 1 to 1024 MB, not "
                        + megabytes);
            }
            walSegmentSizeMb = megabytes;
            return this;
        }

        /** How long pg_ctl start may wait (a recovery that replays much WAL needs longer). */
        public Builder startTimeout(Duration timeout) {
            startTimeout = timeout;
            return this;
        }

        /** Creates and configures the cluster without starting it. */
        public PgCluster create() {
            if (sourceDataDir != null && walSegmentSizeMb != 0) {
                throw new IllegalStateException("a cluster copied from a data directory keeps its WAL segment size");
            }
            Path base = PostgresUser.createTempDir("pgcluster-");
            PgCluster cluster;
            try {
                cluster = new PgCluster(base, Ports.freeLoopbackPort(), startTimeout);
            } catch (RuntimeException e) {
                PostgresUser.deleteRecursively(base);
                throw e;
            }
            try {
                Files.createDirectory(cluster.socketDir);
                PostgresUser.chown(cluster.socketDir);
                if (sourceDataDir == null) {
                    Command initdb = Command.of(PG_BIN.resolve("initdb"), "-D", cluster.dataDir.toString(),
                            "--auth=trust", "--username=" + SUPERUSER, "--data-checksums", "--encoding=UTF8",
                            "--locale=C", "--no-sync");
                    if (walSegmentSizeMb != 0) {
                        initdb.args("--wal-segsize=" + walSegmentSizeMb);
                    }
                    initdb.asPostgres().directory(base).runSuccessfully();
                } else {
                    Command.of("cp", "-a", sourceDataDir.toString(), cluster.dataDir.toString())
                            .asPostgres().directory(base).runSuccessfully();
                    Files.deleteIfExists(cluster.dataDir.resolve("postmaster.pid"));
                    Files.deleteIfExists(cluster.dataDir.resolve("postmaster.opts"));
                    Files.deleteIfExists(cluster.dataDir.resolve("recovery.signal"));
                    Files.deleteIfExists(cluster.dataDir.resolve("standby.signal"));
                }
                if (recovery.signalFile != null) {
                    Path signal = cluster.dataDir.resolve(recovery.signalFile);
                    Files.createFile(signal);
                    PostgresUser.chown(signal);
                }
                cluster.appendToConf("\n# added by the test fixture PgCluster; the last setting of a name wins\n");
                cluster.appendSettings(fixtureSettings(cluster));
                cluster.appendSettings(settings);
                return cluster;
            } catch (IOException | RuntimeException e) {
                try {
                    cluster.close();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                if (e instanceof IOException io) {
                    throw new UncheckedIOException(io);
                }
                throw (RuntimeException) e;
            }
        }

        /** Creates, configures and starts the cluster; on failure nothing is left behind. */
        public PgCluster start() {
            PgCluster cluster = create();
            try {
                cluster.start();
                return cluster;
            } catch (RuntimeException e) {
                try {
                    cluster.close();
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
                throw e;
            }
        }

        private static Map<String, String> fixtureSettings(PgCluster cluster) {
            Map<String, String> fixture = new LinkedHashMap<>();
            fixture.put("listen_addresses", "127.0.0.1");
            fixture.put("port", Integer.toString(cluster.port));
            fixture.put("unix_socket_directories", cluster.socketDir.toString());
            fixture.put("max_connections", "20");
            fixture.put("shared_buffers", "16MB");
            fixture.put("fsync", "off");
            fixture.put("checkpoint_timeout", "1h");
            fixture.put("max_wal_size", "1GB");
            fixture.put("archive_mode", "off");
            fixture.put("archive_command", "");
            fixture.put("restore_command", "");
            fixture.put("logging_collector", "off");
            fixture.put("log_line_prefix", "%m [%p] ");
            fixture.put("lc_messages", "C");
            return fixture;
        }
    }
}
