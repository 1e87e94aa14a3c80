package io.cumulus.postgres;

import io.cumulus.core.OperationFailedException;
import java.util.Objects;

/**
 * PostgreSQL refused or failed a step of a backup, with the {@link Reason} a caller can act on
 * (barman-cloud-backup exits 1 for all of them). Messages name the server and user, never a password.
 */
public class PostgresException extends OperationFailedException {
    private static final long serialVersionUID = 1L;

    /** Why PostgreSQL could not take part in a backup. */
    public enum Reason {
        /** The server is unreachable, or refuses the connection (no such database, pg_hba.conf...). */
        CONNECTION,
        /** The server rejected the user's credentials. */
        AUTHENTICATION,
        /** The server is older than PostgreSQL 10. */
        UNSUPPORTED_VERSION,
        /** wal_level is minimal: no online backup is possible. */
        WAL_LEVEL,
        /** The user is not a superuser and lacks the rights a backup needs. */
        PRIVILEGES,
        /** pg_backup_start or pg_backup_stop (or a query around them) failed. */
        BACKUP_FAILED,
        /** The session broke while held open (network, server restart, session killed). */
        SESSION_LOST
    }

    private final Reason reason;

    public PostgresException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public PostgresException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
