package io.cumulus.postgres;

import io.cumulus.postgres.PostgresException.Reason;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One pgjdbc connection held open for a whole backup, used by one step at a time. pgjdbc connections
 * are not thread-safe, so every use takes a lock; a timer thread sends a keepalive query only when it
 * gets the lock without waiting, that is while the session sits idle between steps (during the copy),
 * so NATs, firewalls and load balancers that drop idle TCP flows do not break the backup (barman has
 * no keepalive: issue #665). A failed keepalive is kept and reported by the next step.
 */
final class GuardedConnection implements AutoCloseable {

    /** Recognisable in pg_stat_activity. */
    static final String KEEPALIVE_QUERY = "SELECT 1 /* cumulus keepalive */";

    /** How long a keepalive may wait for the server before the network counts as broken. */
    private static final int KEEPALIVE_NETWORK_TIMEOUT_MS = 60_000;

    private final Connection connection;
    private final String server;
    private final ReentrantLock lock = new ReentrantLock();
    private final ScheduledExecutorService timer;
    private volatile SQLException keepaliveFailure;
    private boolean closed;

    /** A step run with the connection; its SQLException is translated by {@link #call}. */
    interface Step<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * @param server the server as messages name it (no secrets)
     * @param keepaliveInterval the idle time between keepalive queries; zero or negative disables them
     */
    GuardedConnection(Connection connection, String server, Duration keepaliveInterval) {
        this.connection = connection;
        this.server = server;
        if (keepaliveInterval.isZero() || keepaliveInterval.isNegative()) {
            timer = null;
        } else {
            timer = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "cumulus-pg-keepalive");
                thread.setDaemon(true);
                return thread;
            });
            long millis = Math.max(1, keepaliveInterval.toMillis());
            timer.scheduleWithFixedDelay(this::keepalive, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    String server() {
        return server;
    }

    /**
     * Runs {@code step} alone on the connection. An SQLException becomes a {@link PostgresException}
     * with {@code reason}, or {@link Reason#SESSION_LOST} when the connection itself broke.
     *
     * @param what the step in words, for the message ("pg_backup_start")
     */
    <T> T call(String what, Reason reason, Step<T> step) throws PostgresException {
        lock.lock();
        try {
            checkUsableLocked();
            return step.run(connection);
        } catch (SQLException e) {
            throw translate(what, reason, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the server to cancel the statement running on this connection, if any; callable from any
     * thread while a step runs (a cancel request goes over a connection of its own).
     */
    void cancelRunning() {
        try {
            connection.unwrap(org.postgresql.PGConnection.class).cancelQuery();
        } catch (SQLException e) {
            // best effort: the step then ends as it would have
        }
    }

    /** Fails with {@link Reason#SESSION_LOST} if a keepalive found the session broken, or it was closed. */
    void checkUsable() throws PostgresException {
        lock.lock();
        try {
            checkUsableLocked();
        } finally {
            lock.unlock();
        }
    }

    private void checkUsableLocked() throws PostgresException {
        if (closed) {
            throw new IllegalStateException("the session with " + server + " is closed");
        }
        SQLException failure = keepaliveFailure;
        if (failure != null) {
            throw new PostgresException(Reason.SESSION_LOST, "the session with " + server
                    + " broke while idle (keepalive query failed: " + failure.getMessage() + ")", failure);
        }
    }

    PostgresException translate(String what, Reason reason, SQLException e) {
        if (isBroken(e)) {
            return new PostgresException(Reason.SESSION_LOST, "the session with " + server + " broke during "
                    + what + ": " + e.getMessage(), e);
        }
        return new PostgresException(reason, what + " failed on " + server + ": " + e.getMessage(), e);
    }

    private boolean isBroken(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                || state.equals("57P03"))) {
            return true;
        }
        try {
            return connection.isClosed();
        } catch (SQLException ignored) {
            return true;
        }
    }

    private void keepalive() {
        if (!lock.tryLock()) {
            return; // a step is running: the session is not idle
        }
        try {
            if (closed || keepaliveFailure != null) {
                return;
            }
            // a dead network must fail the keepalive, not hang it (and the next step) for minutes
            connection.setNetworkTimeout(Runnable::run, KEEPALIVE_NETWORK_TIMEOUT_MS);
            try (Statement statement = connection.createStatement()) {
                statement.execute(KEEPALIVE_QUERY);
            }
            connection.setNetworkTimeout(Runnable::run, 0);
        } catch (SQLException e) {
            keepaliveFailure = e;
            timer.shutdown();
        } finally {
            lock.unlock();
        }
    }

    /** Stops the keepalive and closes the connection; PostgreSQL aborts a backup still in progress. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                connection.close();
            }
        } catch (SQLException e) {
            // closing a broken connection fails; there is nothing left to release
        } finally {
            lock.unlock();
        }
    }
}
