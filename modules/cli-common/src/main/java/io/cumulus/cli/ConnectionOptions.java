package io.cumulus.cli;

import io.cumulus.postgres.ConnectionSettings;
import picocli.CommandLine.Option;

/**
 * barman-cloud-backup's PostgreSQL connection options, shared by every tool that connects to the
 * server (cumulus-backup, cumulus-check). Resolution against the libpq environment is {@link
 * ConnectionSettings#resolve}'s.
 */
public final class ConnectionOptions {

    @Option(names = {"-h", "--host"}, paramLabel = "HOST",
            description = "PostgreSQL host, or a Unix-socket directory (default: PGHOST, else the Unix socket in"
                    + " /var/run/postgresql, or /tmp when only there).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "PostgreSQL port (default: PGPORT, else 5432).")
    String port;

    @Option(names = {"-U", "--user"}, paramLabel = "USER", description = "PostgreSQL user (default: PGUSER, else the OS user).")
    String user;

    @Option(names = {"-d", "--dbname"}, paramLabel = "DBNAME", defaultValue = ConnectionSettings.DEFAULT_DBNAME,
            description = "Database to connect to, or a whole connection string when it contains '=' (then -h, -p"
                    + " and -U are ignored). Default: ${DEFAULT-VALUE}.")
    String dbname;

    /**
     * The settings these options give in this process's environment.
     *
     * @throws io.cumulus.core.InvalidInputException when a value or the connection string is invalid
     */
    public ConnectionSettings settings() {
        return ConnectionSettings.resolve(host, port, user, dbname);
    }
}
