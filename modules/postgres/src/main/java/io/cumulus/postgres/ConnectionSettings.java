package io.cumulus.postgres;

import io.cumulus.core.InvalidInputException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where and as whom cumulus-backup connects, resolved the way a libpq program (barman-cloud-backup
 * through psycopg2) resolves it, and turned into a pgjdbc URL and properties.
 *
 * <p>Resolution, as in barman-cloud-backup: when {@code -d/--dbname} contains {@code =}, is empty, or
 * is a {@code postgresql://} URI, it is the complete connection string and {@code -h}, {@code -p},
 * {@code -U} are ignored; otherwise those options and the database name are the given keywords.
 * Every keyword not given comes from its libpq environment variable ({@code PGHOST}, {@code PGPORT},
 * {@code PGUSER}, {@code PGDATABASE}, {@code PGPASSWORD}, {@code PGSSLMODE}...), then from libpq's
 * defaults (port 5432, user = OS user, database = user). An empty value counts as not set. Without
 * a password, the first matching line of {@code passfile} / {@code PGPASSFILE} / {@code ~/.pgpass}
 * supplies it, with libpq's matching rules. A service ({@code service=NAME} or {@code PGSERVICE}) is
 * read from {@code pg_service.conf} as libpq reads it ({@link ServiceFile}): its settings come after
 * the given keywords and before the environment. {@code application_name} is {@value #APPLICATION_NAME}
 * unless the connection string names one (barman ignores {@code PGAPPNAME} the same way).
 *
 * <p><b>Unix sockets.</b> As libpq, a host that is a socket directory (it starts with {@code /}), and
 * the absence of any host, connect over the Unix-domain socket {@code DIR/.s.PGSQL.PORT}, through
 * pgjdbc's {@code socketFactory} and junixsocket, so peer authentication works. Without a host the
 * directory is {@value #DEFAULT_SOCKET_DIRECTORY} (Debian's libpq), or {@value #UPSTREAM_SOCKET_DIRECTORY}
 * (libpq built with PostgreSQL's own default) when only there a socket for the port exists. As libpq,
 * SSL and GSS encryption are not used on a socket, whatever {@code sslmode} says. An abstract-namespace
 * socket ({@code @name}) is not supported: it connects over TCP to {@code localhost} on the same port
 * instead, with a {@linkplain #notices() notice}. The password file is matched with the host libpq
 * would use: the socket directory itself, or {@code localhost} for the default directory.
 *
 * <p>Keywords pgjdbc cannot honour either earn a notice (keepalive tuning, client_encoding,
 * requirepeer...) or, where ignoring them would be unsafe or surprising ({@code sslcrl}, {@code sslcrldir}, {@code replication}), fail. Several hosts ({@code host=a,b}, with
 * {@code hostaddr} and {@code port} lists) are tried in order by pgjdbc, {@code target_session_attrs}
 * becoming its {@code targetServerType}; a socket directory cannot be one of several. The password never appears in {@link #toString()}, {@link #describe()} or any message.
 *
 * @param endpoints the servers to try, in order: one, unless {@code host}, {@code hostaddr} or
 *        {@code port} lists several, as libpq allows ({@code host=a,b port=5432,5433})
 * @param database the database name
 * @param user the PostgreSQL user name
 * @param password the password, when one was given or found in the password file
 * @param driverProperties further pgjdbc properties (SSL, timeouts, application name...)
 * @param notices what the caller should tell the user about how the settings were read
 */
public record ConnectionSettings(List<Endpoint> endpoints, String database, String user, Optional<String> password,
        Map<String, String> driverProperties, List<String> notices) {

    /**
     * One server of the list, tried in order as libpq tries them.
     *
     * @param host the TCP host to connect to, or the socket directory (it starts with {@code /})
     * @param port the TCP port, or the port number in the socket's name
     */
    public record Endpoint(String host, int port) {

        public Endpoint {
            Objects.requireNonNull(host, "host");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }

        boolean unixSocket() {
            return host.startsWith("/");
        }
    }

    /** The application_name of our sessions unless the connection string names another. */
    public static final String APPLICATION_NAME = "cumulus_backup";

    /** barman-cloud-backup's default for {@code -d/--dbname}, so PGDATABASE only counts with {@code -d ''}. */
    public static final String DEFAULT_DBNAME = "postgres";

    /** libpq's default socket directory on Debian and derivatives (DEFAULT_PGSOCKET_DIR). */
    public static final String DEFAULT_SOCKET_DIRECTORY = "/var/run/postgresql";

    /** libpq's default socket directory when built with PostgreSQL's own default (DEFAULT_PGSOCKET_DIR). */
    public static final String UPSTREAM_SOCKET_DIRECTORY = "/tmp";

    /** libpq's default port. */
    public static final int DEFAULT_PORT = 5432;

    private static final String TCP_FALLBACK_HOST = "localhost";
    /** junixsocket's socket factory for pgjdbc; its argument is the socket's path. */
    private static final String UNIX_SOCKET_FACTORY = "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg";
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");

    public ConnectionSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoint");
        }
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        driverProperties = Map.copyOf(driverProperties);
        notices = List.copyOf(notices);
    }

    /**
     * Resolves barman-cloud-backup's connection options against this process's environment.
     *
     * @param host {@code -h/--host}, or null
     * @param port {@code -p/--port}, or null
     * @param user {@code -U/--user}, or null
     * @param dbname {@code -d/--dbname}: a database name or a whole connection string (the CLI passes
     *        {@link #DEFAULT_DBNAME} when the option is absent, as barman does), or null for libpq's default
     * @throws InvalidInputException if the connection string or a value is malformed or unsupported
     */
    public static ConnectionSettings resolve(String host, String port, String user, String dbname) {
        return resolve(host, port, user, dbname, ClientEnvironment.current());
    }

    /** {@link #resolve(String, String, String, String)} against the given environment. */
    public static ConnectionSettings resolve(String host, String port, String user, String dbname,
            ClientEnvironment environment) {
        Map<String, String> given;
        if (dbname != null && (dbname.isEmpty() || dbname.contains("=") || Conninfo.isUri(dbname))) {
            given = Conninfo.parse(dbname);
        } else {
            given = new LinkedHashMap<>();
            putIfSet(given, "host", host);
            putIfSet(given, "port", port);
            putIfSet(given, "user", user);
            putIfSet(given, "dbname", dbname);
        }
        return fromKeywords(given, environment);
    }

    /**
     * Resolves libpq keyword/value pairs (as from a connection string); keywords not given come from
     * the environment and libpq's defaults.
     */
    public static ConnectionSettings fromKeywords(Map<String, String> given, ClientEnvironment environment) {
        Map<String, String> values = new LinkedHashMap<>();
        // as libpq: what is given, else the service's setting, else the environment variable
        Map<String, String> service = ServiceFile.lookup(given.containsKey("service") ? given.get("service")
                : environment.variable("PGSERVICE").orElse(null), environment);
        LibpqKeywords.ENVIRONMENT.forEach((keyword, variable) -> {
            String value = given.containsKey(keyword) ? given.get(keyword) : service.containsKey(keyword)
                    ? service.get(keyword) : variable == null ? null : environment.variable(variable).orElse(null);
            if (value != null && !value.isEmpty()) {
                values.put(keyword, value);
            }
        });
        for (String keyword : given.keySet()) {
            if (!LibpqKeywords.isKeyword(keyword)) {
                throw Conninfo.unknownKeyword(keyword, "given");
            }
        }
        List<String> notices = new ArrayList<>();
        for (String keyword : values.keySet()) {
            if (LibpqKeywords.UNSUPPORTED.contains(keyword)) {
                throw new InvalidInputException("connection option \"" + keyword + "\" is not supported by cumulus"
                        + " (pgjdbc cannot honour it): remove it");
            }
            if (LibpqKeywords.IGNORED.contains(keyword)) {
                notices.add("connection option \"" + keyword + "\" has no effect with cumulus (pgjdbc)");
            }
        }

        // as libpq: host, hostaddr and port may be comma-separated lists, tried in order; one port serves
        // every host; an empty item is the default (the socket directory, the host's address, 5432)
        String hostValue = values.get("host");
        String hostaddr = values.get("hostaddr");
        List<String> hosts = hostValue == null ? null : List.of(hostValue.split(",", -1));
        List<String> addresses = hostaddr == null ? null : List.of(hostaddr.split(",", -1));
        if (hosts == null) {
            hosts = addresses == null ? List.of("") : java.util.Collections.nCopies(addresses.size(), "");
        } else if (addresses != null && addresses.size() != hosts.size()) {
            throw new InvalidInputException("could not match " + hosts.size() + " host names to " + addresses.size()
                    + " hostaddr values");
        }
        List<String> ports = List.of(values.getOrDefault("port", "").split(",", -1));
        if (ports.size() != 1 && ports.size() != hosts.size()) {
            throw new InvalidInputException("could not match " + ports.size() + " port numbers to " + hosts.size()
                    + " hosts");
        }
        List<Endpoint> endpoints = new ArrayList<>();
        List<String> passwordFileHosts = new ArrayList<>();
        List<String> portTexts = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String portItem = ports.get(ports.size() == 1 ? 0 : i);
            String portText = portItem.isEmpty() ? Integer.toString(DEFAULT_PORT) : portItem;
            int port = parsePort(portText);
            String host = hosts.get(i);
            String address = addresses == null ? "" : addresses.get(i);
            if (!address.isEmpty()) {
                endpoints.add(new Endpoint(address, port));
                passwordFileHosts.add(host.isEmpty() ? address : passwordFileHost(host));
            } else if (host.isEmpty() || host.startsWith("/")) {
                endpoints.add(new Endpoint(host.isEmpty() ? defaultSocketDirectory(port) : host, port));
                passwordFileHosts.add(host.isEmpty() ? TCP_FALLBACK_HOST : passwordFileHost(host));
            } else if (host.startsWith("@")) {
                endpoints.add(new Endpoint(TCP_FALLBACK_HOST, port));
                passwordFileHosts.add(host);
                notices.add("host " + host + " is an abstract unix socket, which cumulus does not support; it"
                        + " connects over TCP to " + TCP_FALLBACK_HOST + ":" + port + " instead: PostgreSQL must listen"
                        + " on localhost and pg_hba.conf must allow host connections for this user");
            } else {
                endpoints.add(new Endpoint(host, port));
                passwordFileHosts.add(host);
            }
            portTexts.add(portText);
        }
        boolean socket = endpoints.get(0).unixSocket();
        if (endpoints.size() > 1 && endpoints.stream().anyMatch(Endpoint::unixSocket)) {
            // pgjdbc's socket factory serves every host of its URL: one socket, or TCP hosts only
            throw new InvalidInputException("a unix socket directory (or no host) in a list of several hosts is not"
                    + " supported by cumulus: list TCP hosts only, or give one socket directory");
        }
        String user = values.getOrDefault("user", environment.osUser());
        String database = values.getOrDefault("dbname", user);

        Optional<String> password = Optional.ofNullable(values.get("password"));
        if (password.isEmpty()) {
            Path passfile = values.containsKey("passfile") ? Path.of(values.get("passfile"))
                    : environment.homeDirectory().resolve(".pgpass");
            // an empty password is no password, for libpq as for us. libpq looks it up for each host it
            // tries; pgjdbc takes one password for all, so the hosts' lines must agree
            List<String> found = new ArrayList<>();
            for (int i = 0; i < endpoints.size(); i++) {
                PgPassFile.lookup(passfile, passwordFileHosts.get(i), portTexts.get(i), database, user, notices)
                        .filter(match -> !match.isEmpty()).filter(match -> !found.contains(match)).ifPresent(found::add);
            }
            if (found.size() > 1) {
                throw new InvalidInputException("the password file gives the hosts of the list different passwords,"
                        + " and cumulus (pgjdbc) connects to all of them with one: give the password in the"
                        + " connection string or PGPASSWORD");
            }
            password = found.stream().findFirst();
        }

        Map<String, String> driver = new TreeMap<>();
        driver.put("ApplicationName", given.getOrDefault("application_name", APPLICATION_NAME));
        driver.put("tcpKeepAlive", "true");
        LibpqKeywords.DRIVER_PROPERTY.forEach((keyword, property) -> {
            String value = values.get(keyword);
            if (value != null) {
                driver.put(property, driverValue(keyword, value));
            }
        });
        if (socket) {
            // libpq uses neither SSL nor GSS encryption on a Unix socket, whatever sslmode and gssencmode say
            driver.put("sslmode", "disable");
            driver.put("gssEncMode", "disable");
            driver.put("socketFactory", UNIX_SOCKET_FACTORY);
            driver.put("socketFactoryArg", socketPath(endpoints.get(0).host(), endpoints.get(0).port()));
        }
        return new ConnectionSettings(endpoints, database, user, password, driver,
                notices.stream().distinct().toList());
    }

    /** The first (or only) server's host or socket directory. */
    public String host() {
        return endpoints.get(0).host();
    }

    /** The first (or only) server's port. */
    public int port() {
        return endpoints.get(0).port();
    }

    /** Whether the connection is over the Unix socket {@link #socketPath()} rather than TCP. */
    public boolean unixSocket() {
        return endpoints.get(0).unixSocket();
    }

    /** The Unix socket's path, {@code DIR/.s.PGSQL.PORT}, when {@link #unixSocket()}. */
    public Optional<String> socketPath() {
        return unixSocket() ? Optional.of(socketPath(host(), port())) : Optional.empty();
    }

    /**
     * The pgjdbc URL: hosts, ports and database only; everything else is in {@link #jdbcProperties()}.
     * For a Unix socket the host is {@code localhost}, which the socket factory ignores.
     */
    public String jdbcUrl() {
        List<String> servers = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            String shown = endpoint.unixSocket() ? TCP_FALLBACK_HOST : endpoint.host();
            servers.add((shown.contains(":") && !shown.startsWith("[") ? "[" + shown + "]" : shown) + ":"
                    + endpoint.port());
        }
        return new StringBuilder("jdbc:postgresql://").append(String.join(",", servers)).append('/').append(URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20"))
                .toString();
    }

    /**
     * The properties to connect with, the password included: never log them. Without a password they
     * name {@link NoPasswordPlugin}, so pgjdbc does not look for one by rules of its own.
     */
    public Properties jdbcProperties() {
        Properties properties = new Properties();
        driverProperties.forEach(properties::setProperty);
        properties.setProperty("user", user);
        if (password.isPresent()) {
            properties.setProperty("password", password.get());
        } else {
            properties.setProperty("authenticationPluginClassName", NoPasswordPlugin.class.getName());
        }
        return properties;
    }

    /** The settings for messages: {@code host=… port=… user=… dbname=…}, no secrets. */
    public String describe() {
        return "host=" + String.join(",", endpoints.stream().map(Endpoint::host).toList()) + " port="
                + String.join(",", endpoints.stream().map(e -> Integer.toString(e.port())).toList()) + " user=" + user
                + " dbname=" + database;
    }

    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>(driverProperties);
        shown.replaceAll((name, value) -> LibpqKeywords.SECRET_DRIVER_PROPERTIES.contains(name) ? "(hidden)" : value);
        return "ConnectionSettings[" + describe() + " password=" + (password.isPresent() ? "(hidden)" : "(none)")
                + " driverProperties=" + shown + "]";
    }

    private static void putIfSet(Map<String, String> map, String keyword, String value) {
        if (value != null && !value.isEmpty()) {
            map.put(keyword, value);
        }
    }

    /**
     * Debian's libpq default directory, unless no socket for the port is there but one is in the
     * upstream default directory (a libpq built with PostgreSQL's default, as in some wheels).
     */
    private static String defaultSocketDirectory(int port) {
        if (!Files.exists(Path.of(socketPath(DEFAULT_SOCKET_DIRECTORY, port)))
                && Files.exists(Path.of(socketPath(UPSTREAM_SOCKET_DIRECTORY, port)))) {
            return UPSTREAM_SOCKET_DIRECTORY;
        }
        return DEFAULT_SOCKET_DIRECTORY;
    }

    private static String socketPath(String directory, int port) {
        return (directory.endsWith("/") && directory.length() > 1 ? directory.substring(0, directory.length() - 1)
                : directory) + "/.s.PGSQL." + port;
    }

    /** libpq matches the default socket directory to "localhost" in the password file. */
    private static String passwordFileHost(String host) {
        return host.equals(DEFAULT_SOCKET_DIRECTORY) ? TCP_FALLBACK_HOST : host;
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        // never the text: with a password holding a '/' in a URI (postgresql://u:Pa/ss@h), it is a piece of it
        throw new InvalidInputException("invalid port number (from -p, PGPORT or the connection string): expected a"
                + " number from 1 to 65535; in a postgresql:// URI, a password holding '/', '@', ':' or '?' must be"
                + " percent-encoded (%2F, %40, %3A, %3F)");
    }

    private static String driverValue(String keyword, String value) {
        switch (keyword) {
            case "sslmode":
                if (!SSL_MODES.contains(value)) {
                    throw new InvalidInputException("invalid sslmode value: expected one of " + new java.util.TreeSet<>(
                            SSL_MODES));
                }
                return value;
            case "connect_timeout":
                try {
                    int seconds = Integer.parseInt(value.trim());
                    // libpq: zero or negative waits forever, and 1 second is raised to 2
                    return Integer.toString(seconds <= 0 ? 0 : Math.max(seconds, 2));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("invalid integer value for connection option"
                            + " \"connect_timeout\"");
                }
            case "target_session_attrs":
                return LibpqKeywords.targetServerType(value);
            case "load_balance_hosts":
                if (!value.equals("disable") && !value.equals("random")) {
                    throw new InvalidInputException("invalid load_balance_hosts value: expected disable or random");
                }
                return Boolean.toString(value.equals("random"));
            default:
                return value;
        }
    }
}
