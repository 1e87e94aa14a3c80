package io.cumulus.postgres;

import io.cumulus.core.catalog.Tablespace;
import io.cumulus.postgres.PostgresException.Reason;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.postgresql.PGConnection;

/**
 * One session with the PostgreSQL server being backed up, held from the first fact read to the end
 * of the backup: reads the server's facts, checks that a backup is possible, and starts the
 * non-exclusive backup whose {@link BackupSession} stops it on this same session. Sessions are set
 * up never to time out ({@code statement_timeout = 0}, {@code idle_session_timeout = 0} on 14 and
 * later) and are kept alive while idle by a periodic query. Supports PostgreSQL 10 and later.
 * Meant for one thread; the keepalive thread shares the connection with it safely.
 */
public final class PostgresServer implements AutoCloseable {

    /** How often an idle session sends its keepalive query unless told otherwise. */
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(60);

    /** The oldest server_version_num supported: PostgreSQL 10 renamed xlog to wal everywhere. */
    public static final int MIN_VERSION_NUM = 100000;

    private static final int VERSION_15 = 150000;
    private static final String PGJDBC_REJECTED = "08004";
    /** SQLSTATE query_canceled: a statement timeout or a cancel request, see {@link #stopCancelled}. */
    private static final String QUERY_CANCELED = "57014";
    /** SQLSTATE serialization_failure, which a standby's recovery conflict cancels a statement with. */
    private static final String RECOVERY_CONFLICT = "40001";
    private static final int VERSION_14 = 140000;

    private final GuardedConnection session;
    private final int versionNum;
    private final int backendPid;
    /** Whether {@link #cancelRunningStatement} was called: a cancel then is ours, not the server's. */
    private volatile boolean cancelRequested;
    private BackupSession backup;

    private PostgresServer(GuardedConnection session, int versionNum, int backendPid) {
        this.session = session;
        this.versionNum = versionNum;
        this.backendPid = backendPid;
    }

    /** {@link #connect(ConnectionSettings, Duration)} with the {@link #DEFAULT_KEEPALIVE_INTERVAL}. */
    public static PostgresServer connect(ConnectionSettings settings) throws PostgresException {
        return connect(settings, DEFAULT_KEEPALIVE_INTERVAL);
    }

    /**
     * Opens the session and prepares it for a long backup.
     *
     * @param keepaliveInterval idle time between keepalive queries; zero disables them
     * @throws PostgresException {@link Reason#CONNECTION} or {@link Reason#AUTHENTICATION} when the
     *         server cannot be reached or refuses us, {@link Reason#UNSUPPORTED_VERSION} before 10
     */
    public static PostgresServer connect(ConnectionSettings settings, Duration keepaliveInterval)
            throws PostgresException {
        Objects.requireNonNull(keepaliveInterval, "keepaliveInterval");
        Connection connection;
        try {
            connection = new org.postgresql.Driver().connect(settings.jdbcUrl(), settings.jdbcProperties());
        } catch (SQLException e) {
            throw connectFailure(settings, e);
        } catch (LinkageError e) {
            if (!settings.unixSocket()) {
                throw e;
            }
            // junixsocket could not load its native library: not in lib/native/ for this machine, and
            // java.io.tmpdir, where it would unpack one, is missing or mounted noexec
            throw new PostgresException(Reason.CONNECTION, "cannot connect to PostgreSQL (" + settings.describe()
                    + ") over the unix socket: the native library for unix sockets cannot be loaded (" + e
                    + "); give CUMULUS_JAVA_OPTS=-Dorg.newsclub.net.unix.library.tmpdir=DIR with DIR a directory"
                    + " the user may write and execute files in, or connect over TCP (-h localhost)", e);
        }
        try {
            connection.setAutoCommit(true);
            int versionNum;
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT current_setting('server_version_num')::int")) {
                row.next();
                versionNum = row.getInt(1);
            }
            if (versionNum < MIN_VERSION_NUM) {
                connection.close();
                throw new PostgresException(Reason.UNSUPPORTED_VERSION, "PostgreSQL " + versionNum + " at "
                        + settings.describe() + " is too old: cumulus supports PostgreSQL 10 and later");
            }
            try (Statement statement = connection.createStatement()) {
                // pg_backup_start may wait for a spread checkpoint, pg_backup_stop for the archiver,
                // and the session sits idle for the whole copy: no server-side timeout may end it
                statement.execute("SET statement_timeout = 0");
                if (versionNum >= VERSION_14) {
                    statement.execute("SET idle_session_timeout = 0");
                }
            }
            int backendPid = connection.unwrap(PGConnection.class).getBackendPID();
            String server = settings.describe();
            GuardedConnection guarded = new GuardedConnection(connection, server, keepaliveInterval);
            return new PostgresServer(guarded, versionNum, backendPid);
        } catch (SQLException e) {
            closeQuietly(connection);
            throw new PostgresException(Reason.CONNECTION, "cannot prepare the session with " + settings.describe()
                    + ": " + e.getMessage(), e);
        }
    }

    private static PostgresException connectFailure(ConnectionSettings settings, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        // pgjdbc rejects the connection itself (08004) when the server wants a password we do not have
        boolean passwordMissing = settings.password().isEmpty() && PGJDBC_REJECTED.equals(state);
        Reason reason = state.startsWith("28") || passwordMissing ? Reason.AUTHENTICATION : Reason.CONNECTION;
        StringBuilder message = new StringBuilder("cannot connect to PostgreSQL (").append(settings.describe())
                .append("): ").append(e.getMessage());
        if (passwordMissing) {
            message.append(" [no password was given: put one in the connection string, PGPASSWORD, or a matching"
                    + " line of PGPASSFILE or ~/.pgpass]");
        }
        if (settings.unixSocket() && !state.startsWith("28") && !passwordMissing) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            // libpq's words: the socket, the system's reason, and what to look at
            message.append(" [on socket \"").append(settings.socketPath().orElseThrow()).append('"')
                    .append(cause == e || cause.getMessage() == null ? "" : ": " + cause.getMessage())
                    .append("; is the server running locally and accepting connections on that socket?]");
        }
        settings.notices().stream().filter(notice -> notice.contains("unix socket")).findFirst()
                .ifPresent(notice -> message.append(" [note: ").append(notice).append(']'));
        return new PostgresException(reason, message.toString(), e);
    }

    /** server_version_num, e.g. 150018. */
    public int versionNum() {
        return versionNum;
    }

    /** The PID of our backend, as pg_stat_activity shows it. */
    public int backendPid() {
        return backendPid;
    }

    /** The server as messages name it: host, port, user, database. */
    public String describe() {
        return session.server();
    }

    /** What the connected user may do for a backup; readable by any user. */
    public BackupRights rights() throws PostgresException {
        boolean modern = versionNum >= VERSION_15;
        String start = modern ? "'pg_backup_start(text, boolean)'" : "'pg_start_backup(text, boolean, boolean)'";
        String stop = modern ? "has_function_privilege(current_user, 'pg_backup_stop(boolean)', 'EXECUTE')"
                : "(has_function_privilege(current_user, 'pg_stop_backup()', 'EXECUTE')"
                + " OR has_function_privilege(current_user, 'pg_stop_backup(boolean, boolean)', 'EXECUTE'))";
        String sql = "SELECT current_user, r.rolsuper,"
                + " pg_has_role(current_user, 'pg_monitor', 'MEMBER')"
                + " OR (pg_has_role(current_user, 'pg_read_all_settings', 'MEMBER')"
                + " AND pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')),"
                + " has_function_privilege(current_user, " + start + ", 'EXECUTE'),"
                + " " + stop + ","
                + " has_function_privilege(current_user, 'pg_switch_wal()', 'EXECUTE'),"
                + " has_function_privilege(current_user, 'pg_create_restore_point(text)', 'EXECUTE')"
                + " FROM pg_roles r WHERE r.rolname = current_user";
        return session.call("reading the user's rights", Reason.PRIVILEGES, connection -> {
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
                row.next();
                return new BackupRights(row.getString(1), row.getBoolean(2), row.getBoolean(3), row.getBoolean(4),
                        row.getBoolean(5), row.getBoolean(6), row.getBoolean(7));
            }
        });
    }

    /**
     * Reads the server's facts. The file locations are visible only to superusers and members of
     * pg_read_all_settings (or pg_monitor).
     *
     * @throws PostgresException {@link Reason#PRIVILEGES} if the user may not read them
     */
    public ServerFacts facts() throws PostgresException {
        String sql = "SELECT current_setting('server_version_num')::int, current_setting('server_version'),"
                + " (SELECT system_identifier::text FROM pg_control_system()),"
                + " current_setting('data_directory'), pg_size_bytes(current_setting('wal_segment_size')),"
                + " current_setting('config_file'), current_setting('hba_file'), current_setting('ident_file'),"
                + " pg_is_in_recovery(), current_setting('wal_level'), current_setting('data_checksums')";
        // barman's query, word for word: the same list in the same order (the database's collation) for included_files
        String includedFilesSql = "SELECT DISTINCT sourcefile AS included_file FROM pg_settings"
                + " WHERE sourcefile IS NOT NULL AND sourcefile NOT IN"
                + " (SELECT setting FROM pg_settings WHERE name = 'config_file') ORDER BY 1";
        try {
            return session.call("reading the server's settings", Reason.BACKUP_FAILED, connection -> {
                List<Tablespace> tablespaces = readTablespaces(connection);
                List<String> includedFiles = new ArrayList<>();
                try (Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery(includedFilesSql)) {
                    while (rows.next()) {
                        includedFiles.add(rows.getString(1));
                    }
                }
                try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
                    row.next();
                    return new ServerFacts(row.getInt(1), row.getString(2), row.getString(3), Path.of(row.getString(4)),
                            row.getLong(5), Path.of(row.getString(6)), Path.of(row.getString(7)),
                            Path.of(row.getString(8)), includedFiles, tablespaces, row.getBoolean(9),
                            row.getString(10), "on".equals(row.getString(11)));
                }
            });
        } catch (PostgresException e) {
            if (e.getCause() instanceof SQLException cause && "42501".equals(cause.getSQLState())) {
                throw new PostgresException(Reason.PRIVILEGES, "user " + rights().user() + " may not read the"
                        + " server's settings on " + describe() + ": it needs to be a superuser or a member of"
                        + " pg_read_all_settings (or pg_monitor)", e.getCause());
            }
            throw e;
        }
    }

    /**
     * Reads what cumulus-check needs to judge archiving: the settings, pg_stat_archiver, the segment
     * being written, the timeline and the system identifier (pg_control's functions are open to every user)
     * and, when the user may list pg_wal/archive_status (superuser or pg_monitor), the segments waiting
     * to be archived. Read-only.
     */
    public ArchivingStatus archivingStatus() throws PostgresException {
        String sql = "SELECT current_setting('server_version'), current_setting('wal_level'),"
                + " current_setting('archive_mode'), current_setting('archive_command'),"
                + " coalesce(current_setting('archive_library', true), ''), pg_is_in_recovery(),"
                + " pg_size_bytes(current_setting('wal_segment_size')), a.last_archived_wal, a.last_archived_time,"
                + " a.failed_count, a.last_failed_wal, a.last_failed_time,"
                + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END, now(),"
                + " CASE WHEN pg_is_in_recovery() THEN greatest(c.timeline_id, r.min_recovery_end_timeline,"
                + " (SELECT max(received_tli) FROM pg_stat_wal_receiver)) ELSE c.timeline_id END"
                + " FROM pg_stat_archiver a, pg_control_checkpoint() c, pg_control_recovery() r";
        String readySql = "SELECT count(*), min(modification) FROM pg_ls_archive_statusdir()"
                + " WHERE name LIKE '%.ready'";
        // with archive_mode off PostgreSQL shows archive_command as "(disabled)"; the files still say it
        String configuredCommandSql = "SELECT setting FROM pg_file_settings WHERE name = 'archive_command'"
                + " AND error IS NULL ORDER BY seqno DESC LIMIT 1";
        // backup.info's systemid is this text (barman and cumulus-backup read it so)
        String systemSql = "SELECT system_identifier::text FROM pg_control_system()";
        return session.call("reading the archiving settings and pg_stat_archiver", Reason.CONNECTION, connection -> {
            OptionalLong ready = OptionalLong.empty();
            OffsetDateTime oldestReady = null;
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(readySql)) {
                row.next();
                ready = OptionalLong.of(row.getLong(1));
                oldestReady = row.getObject(2, OffsetDateTime.class);
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState())) {
                    throw e;
                }
                // not allowed to list pg_wal/archive_status: the lag is estimated from pg_stat_archiver
            }
            String configured = null;
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery(configuredCommandSql)) {
                configured = row.next() ? row.getString(1) : "";
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState())) {
                    throw e;
                }
                // pg_file_settings is for superusers: a hidden archive_command stays "(disabled)"
            }
            String system = null;
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(systemSql)) {
                row.next();
                system = row.getString(1);
            } catch (SQLException e) {
                if (!"42501".equals(e.getSQLState())) {
                    throw e;
                }
                // open to every user unless a DBA revoked it: the backups' system is then not compared
            }
            try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
                row.next();
                String command = row.getString(4);
                if (ArchivingStatus.HIDDEN_COMMAND.equals(command) && configured != null) {
                    command = configured;
                }
                return new ArchivingStatus(row.getString(1), row.getString(2), row.getString(3), command,
                        row.getString(5), row.getBoolean(6), row.getLong(7), row.getLong(15),
                        Optional.ofNullable(row.getString(8)),
                        Optional.ofNullable(row.getObject(9, OffsetDateTime.class)), row.getLong(10),
                        Optional.ofNullable(row.getString(11)), Optional.ofNullable(row.getObject(12, OffsetDateTime.class)),
                        Optional.ofNullable(row.getString(13)), ready, Optional.ofNullable(oldestReady),
                        row.getObject(14, OffsetDateTime.class), Optional.ofNullable(system));
            }
        });
    }

    /**
     * The tablespaces with a location of their own (pg_tablespace_location an absolute path: not
     * pg_default and pg_global, nor an in-place tablespace inside the data directory), in oid order, as
     * the catalog lists them now. A backup reads them once pg_backup_start returned: see {@code BackupBegin#tablespaces()}.
     */
    public List<Tablespace> tablespaces() throws PostgresException {
        return session.call("reading the tablespaces", Reason.BACKUP_FAILED, PostgresServer::readTablespaces);
    }

    private static List<Tablespace> readTablespaces(Connection connection) throws SQLException {
        List<Tablespace> tablespaces = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                // an in-place tablespace (allow_in_place_tablespaces: a directory pg_tblspc/OID, its location
                // given relative to the data directory) is the data directory's own: data.tar holds it
                ResultSet rows = statement.executeQuery("SELECT spcname, oid, pg_tablespace_location(oid)"
                        + " FROM pg_tablespace WHERE pg_tablespace_location(oid) LIKE '/%' ORDER BY oid")) {
            while (rows.next()) {
                tablespaces.add(new Tablespace(rows.getString(1), rows.getLong(2), rows.getString(3)));
            }
        }
        return tablespaces;
    }

    /**
     * The disk space of every tablespace (pg_default, pg_global and those with a location), barman's
     * {@code cluster_size}: about what a backup copies before compression, for progress estimates.
     * Empty when the user may not read a tablespace's size (that needs pg_read_all_stats, or CREATE
     * on the tablespace) or the query fails: an estimate is never worth failing a backup for.
     */
    public OptionalLong clusterSize() {
        try {
            return session.call("reading the tablespaces' sizes", Reason.BACKUP_FAILED, connection -> {
                try (Statement statement = connection.createStatement();
                        ResultSet row = statement.executeQuery(
                                "SELECT sum(pg_tablespace_size(oid))::bigint FROM pg_tablespace")) {
                    row.next();
                    long size = row.getLong(1);
                    return row.wasNull() ? OptionalLong.empty() : OptionalLong.of(size);
                }
            });
        } catch (PostgresException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Fails when no online backup can be taken: {@link Reason#WAL_LEVEL} when wal_level is minimal,
     * {@link Reason#PRIVILEGES} when the user is no superuser and lacks any right barman requires.
     */
    public void checkBackupPossible() throws PostgresException {
        String walLevel = session.call("reading wal_level", Reason.BACKUP_FAILED, connection -> {
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT current_setting('wal_level')")) {
                row.next();
                return row.getString(1);
            }
        });
        if ("minimal".equals(walLevel)) {
            throw new PostgresException(Reason.WAL_LEVEL, "wal_level must be replica or logical to take a backup"
                    + " of " + describe() + ", but it is minimal: set wal_level = replica and restart PostgreSQL");
        }
        BackupRights rights = rights();
        if (!rights.mayRunBackups()) {
            throw new PostgresException(Reason.PRIVILEGES, "user " + rights.user() + " may not run backups on "
                    + describe() + ": it is not a superuser and lacks " + String.join("; ", rights.missing()));
        }
    }

    /**
     * Checks that a backup is possible and starts a non-exclusive one on this session:
     * {@code pg_backup_start(label, fast)} (PostgreSQL 15+) or {@code pg_start_backup(label, fast, false)}.
     * The backup lasts until {@link BackupSession#stop} or until this session closes (PostgreSQL then
     * aborts it).
     *
     * @param label the label recorded in backup_label
     * @param fastCheckpoint true for an immediate checkpoint, false to let it spread
     *        (up to checkpoint_timeout × checkpoint_completion_target)
     * @throws IllegalStateException if a backup is already running on this session
     */
    public BackupSession startBackup(String label, boolean fastCheckpoint) throws PostgresException {
        Objects.requireNonNull(label, "label");
        if (backup != null && backup.isActive()) {
            throw new IllegalStateException("a backup is already in progress on this session");
        }
        checkBackupPossible();
        String function = versionNum >= VERSION_15 ? "pg_backup_start(?, ?)" : "pg_start_backup(?, ?, false)";
        String sql = "SELECT lsn::text, (SELECT timeline_id FROM pg_control_checkpoint()), now()"
                + " FROM " + function + " AS lsn";
        BackupStart start;
        try {
            start = session.call(backupFunction(true), Reason.BACKUP_FAILED, connection -> {
                try (PreparedStatement statement = connection.prepareStatement(sql)) {
                    statement.setString(1, label);
                    statement.setBoolean(2, fastCheckpoint);
                    try (ResultSet row = statement.executeQuery()) {
                        row.next();
                        return new BackupStart(Lsn.parse(row.getString(1)), row.getLong(2), localTime(row, 3));
                    }
                }
            });
        } catch (PostgresException e) {
            throw withRecoveryConflictHint(e);
        }
        backup = new BackupSession(this, start);
        return backup;
    }

    /** Stops the backup on this session; see {@link BackupSession#stop}. */
    BackupStop stopBackup(String restorePointName, Duration archiveWait) throws PostgresException {
        String function = versionNum >= VERSION_15 ? "pg_backup_stop()" : "pg_stop_backup(false)";
        String sql = "SELECT end_row.lsn::text,"
                + " (SELECT CASE WHEN pg_is_in_recovery() THEN min_recovery_end_timeline ELSE timeline_id END"
                + " FROM pg_control_checkpoint(), pg_control_recovery()),"
                + " end_row.labelfile, now(), end_row.spcmapfile FROM " + function + " AS end_row";
        List<String> notices = new ArrayList<>();
        boolean bounded = archiveWait != null && !archiveWait.isZero();
        BackupStop stopped;
        long stopStarted = System.nanoTime();
        try {
            stopped = session.call(backupFunction(false), Reason.BACKUP_FAILED, connection -> {
                try (Statement statement = connection.createStatement()) {
                    // the stop waits until the WAL the backup needs is archived: as long as that takes
                    // (for ever when archive_command keeps failing) unless bounded here
                    if (bounded) {
                        statement.execute("SET statement_timeout = " + archiveWait.toMillis());
                    }
                    try (ResultSet row = statement.executeQuery(sql)) {
                        row.next();
                        Lsn lsn = Lsn.parse(row.getString(1));
                        long timeline = row.getLong(2);
                        String label = row.getString(3);
                        OffsetDateTime time = localTime(row, 4);
                        String tablespaceMap = row.getString(5);
                        collectWarnings(statement.getWarnings(), notices);
                        return new BackupStop(lsn, timeline, label, time,
                                tablespaceMap == null ? "" : tablespaceMap, List.of());
                    } finally {
                        if (bounded) {
                            statement.execute("RESET statement_timeout");
                        }
                    }
                }
            });
        } catch (PostgresException e) {
            if (e.getCause() instanceof SQLException cause && QUERY_CANCELED.equals(cause.getSQLState())) {
                throw stopCancelled(e, cause, bounded ? archiveWait : null, Duration.ofNanos(System.nanoTime() - stopStarted));
            }
            throw withRecoveryConflictHint(e);
        }
        // Best effort, as in barman: the backup is complete whatever happens below
        boolean inRecovery;
        try {
            inRecovery = inRecovery();
        } catch (PostgresException e) {
            notices.add("cannot tell whether the server is a standby, so no WAL switch or restore point: "
                    + e.getMessage());
            return withNotices(stopped, notices);
        }
        if (!inRecovery) {
            try {
                session.call("pg_switch_wal()", Reason.BACKUP_FAILED, connection -> {
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SELECT pg_switch_wal()");
                    }
                    return null;
                });
            } catch (PostgresException e) {
                notices.add(e.getMessage());
            }
            if (restorePointName != null) {
                try {
                    session.call("pg_create_restore_point", Reason.BACKUP_FAILED, connection -> {
                        try (PreparedStatement statement = connection.prepareStatement(
                                "SELECT pg_create_restore_point(?)")) {
                            statement.setString(1, restorePointName);
                            statement.execute();
                        }
                        return null;
                    });
                } catch (PostgresException e) {
                    notices.add(e.getMessage());
                }
            }
        }
        return withNotices(stopped, notices);
    }

    /**
     * Why pg_backup_stop ended in SQLSTATE 57014 (query_canceled), which PostgreSQL raises for three
     * different causes: our statement timeout ({@code --archive-wait-timeout}), our own cancel request
     * ({@link #cancelRunningStatement}, when the tool is being stopped), and anyone else's ({@code
     * pg_cancel_backend}, a SIGINT to the backend). The server's words are translated by {@code
     * lc_messages}, so the timeout is also told by the time the stop took.
     *
     * @param archiveWait the statement timeout, or null when the stop was not bounded
     */
    private PostgresException stopCancelled(PostgresException failure, SQLException cause, Duration archiveWait,
            Duration elapsed) {
        String serverMessage = String.valueOf(cause.getMessage());
        boolean timedOut = archiveWait != null
                && (serverMessage.contains("statement timeout") || elapsed.compareTo(archiveWait) >= 0);
        if (timedOut) {
            if (isStandby()) {
                // archive_mode = always: the standby archives the segment only once its primary has completed it,
                // which a quiet primary without archive_timeout may not do for hours; archiving itself is fine
                return new PostgresException(Reason.BACKUP_FAILED, "PostgreSQL did not archive the WAL this backup"
                        + " needs within " + archiveWait.toSeconds() + " s (--archive-wait-timeout): on a standby the"
                        + " backup's last segment is archived only once the primary completes it; run SELECT"
                        + " pg_switch_wal() on the primary, or set archive_timeout there, and take the backup again (if"
                        + " this standby's pg_stat_archiver shows failures, fix its archive_command first)", failure);
            }
            return new PostgresException(Reason.BACKUP_FAILED, "PostgreSQL did not archive the WAL this backup"
                    + " needs within " + archiveWait.toSeconds() + " s (--archive-wait-timeout): archiving"
                    + " is failing or far behind; see pg_stat_archiver and the server log, fix archive_command,"
                    + " and take the backup again", failure);
        }
        if (cancelRequested) {
            return new PostgresException(Reason.BACKUP_FAILED, "pg_backup_stop was cancelled because cumulus-backup"
                    + " is being stopped", failure);
        }
        return new PostgresException(Reason.BACKUP_FAILED, "pg_backup_stop was cancelled by PostgreSQL after "
                + elapsed.toSeconds() + " s, while it waited for WAL archiving (pg_cancel_backend or a SIGINT to the"
                + " backend?); take the backup again", failure);
    }

    /** Whether the server is in recovery (a standby), asked now: a standby may have been promoted meanwhile. */
    private boolean inRecovery() throws PostgresException {
        return session.call("pg_is_in_recovery()", Reason.BACKUP_FAILED, connection -> {
            try (Statement statement = connection.createStatement();
                    ResultSet row = statement.executeQuery("SELECT pg_is_in_recovery()")) {
                row.next();
                return row.getBoolean(1);
            }
        });
    }

    /** {@link #inRecovery()}, or false when the server cannot say (for a message only). */
    private boolean isStandby() {
        try {
            return inRecovery();
        } catch (PostgresException e) {
            return false;
        }
    }

    /**
     * A backup function cancelled on a standby to replay the primary's WAL ("canceling statement due to
     * conflict with recovery", SQLSTATE 40001): pg_backup_start holds a snapshot while it waits for a
     * spread restartpoint, pg_backup_stop while it waits for archiving, longer than
     * max_standby_streaming_delay allows on a busy primary. Said with what avoids it; else {@code failure}.
     */
    static PostgresException withRecoveryConflictHint(PostgresException failure) {
        if (failure.getCause() instanceof SQLException cause && RECOVERY_CONFLICT.equals(cause.getSQLState())
                && String.valueOf(cause.getMessage()).contains("conflict with recovery")) {
            // on the first line, which is the one a failure shows (PostgreSQL's Detail lines follow it)
            String message = failure.getMessage();
            int lineEnd = message.indexOf('\n');
            String first = lineEnd < 0 ? message : message.substring(0, lineEnd);
            return new PostgresException(failure.reason(), first + ": the standby cancelled it to replay the"
                    + " primary's WAL (max_standby_streaming_delay); take standby backups with --immediate-checkpoint,"
                    + " or set hot_standby_feedback = on (or a longer max_standby_streaming_delay) on the standby"
                    + (lineEnd < 0 ? "" : message.substring(lineEnd)), failure);
        }
        return failure;
    }

    /** Fails with {@link Reason#SESSION_LOST} if the idle session was found broken. */
    void checkAlive() throws PostgresException {
        session.checkUsable();
    }

    private String backupFunction(boolean start) {
        if (versionNum >= VERSION_15) {
            return start ? "pg_backup_start" : "pg_backup_stop";
        }
        return start ? "pg_start_backup" : "pg_stop_backup";
    }

    private static BackupStop withNotices(BackupStop stop, List<String> notices) {
        return new BackupStop(stop.lsn(), stop.timeline(), stop.backupLabel(), stop.time(), stop.tablespaceMap(),
                notices);
    }

    private static void collectWarnings(SQLWarning warning, List<String> notices) {
        for (SQLWarning w = warning; w != null; w = w.getNextWarning()) {
            notices.add(w.getMessage());
        }
    }

    private static OffsetDateTime localTime(ResultSet row, int column) throws SQLException {
        OffsetDateTime utc = row.getObject(column, OffsetDateTime.class);
        return utc.atZoneSameInstant(ZoneId.systemDefault()).toOffsetDateTime();
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // already failing
        }
    }

    /**
     * Cancels the statement this session is running (pg_backup_start's checkpoint, pg_backup_stop's
     * wait for WAL archiving), from another thread: the call running it fails soon after.
     */
    public void cancelRunningStatement() {
        cancelRequested = true;
        session.cancelRunning();
    }

    /** Ends the session; a backup still in progress is aborted by PostgreSQL. */
    @Override
    public void close() {
        session.close();
    }
}
