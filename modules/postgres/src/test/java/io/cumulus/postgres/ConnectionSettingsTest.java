package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionSettingsTest {

    @TempDir
    Path home;

    private ClientEnvironment env(Map<String, String> variables) {
        return new ClientEnvironment(variables, home, "carol");
    }

    private Path pgpass(String content) throws IOException {
        Path file = home.resolve(".pgpass");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void hostPortUserAndDbnameOptionsMakeTheConnection() {
        ConnectionSettings settings = ConnectionSettings.resolve("db.example", "6543", "alice", "sales", env(Map.of()));

        assertEquals("db.example", settings.host());
        assertEquals(6543, settings.port());
        assertEquals("alice", settings.user());
        assertEquals("sales", settings.database());
        assertEquals(Optional.empty(), settings.password());
        assertEquals("jdbc:postgresql://db.example:6543/sales", settings.jdbcUrl());
        Properties properties = settings.jdbcProperties();
        assertEquals("alice", properties.getProperty("user"));
        assertEquals("cumulus_backup", properties.getProperty("ApplicationName"));
        assertEquals("true", properties.getProperty("tcpKeepAlive"));
        assertFalse(properties.containsKey("password"));
        // without a password of ours, pgjdbc must not go looking for one by its own rules
        assertEquals(NoPasswordPlugin.class.getName(), properties.getProperty("authenticationPluginClassName"));
    }

    @Test
    void dbnameContainingEqualsIsTheWholeConnectionStringAndHostPortUserAreIgnored() {
        ConnectionSettings settings = ConnectionSettings.resolve("ignored.example", "1", "ignored",
                "host=h.example port=7000 user='bob smith' dbname='my db' sslmode=require", env(Map.of()));

        assertEquals("h.example", settings.host());
        assertEquals(7000, settings.port());
        assertEquals("bob smith", settings.user());
        assertEquals("my db", settings.database());
        assertEquals("require", settings.driverProperties().get("sslmode"));
        assertEquals("jdbc:postgresql://h.example:7000/my%20db", settings.jdbcUrl());
    }

    @Test
    void connectionStringValuesFollowLibpqQuotingAndEscapes() {
        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null,
                "host = h password='it\\'s a \\\\ secret' user=a\\ b application_name=nightly", env(Map.of()));

        assertEquals(Optional.of("it's a \\ secret"), settings.password());
        assertEquals("a b", settings.user());
        assertEquals("nightly", settings.driverProperties().get("ApplicationName"));
    }

    @Test
    void emptyDbnameTakesEverythingFromTheEnvironment() {
        ConnectionSettings settings = ConnectionSettings.resolve("ignored.example", null, null, "", env(Map.of(
                "PGHOST", "envhost", "PGPORT", "5555", "PGUSER", "u", "PGDATABASE", "d", "PGPASSWORD", "pw",
                "PGSSLMODE", "verify-full", "PGSSLROOTCERT", "/etc/ca.pem", "PGCONNECT_TIMEOUT", "1")));

        assertEquals("envhost", settings.host());
        assertEquals(5555, settings.port());
        assertEquals("u", settings.user());
        assertEquals("d", settings.database());
        assertEquals(Optional.of("pw"), settings.password());
        assertEquals("verify-full", settings.driverProperties().get("sslmode"));
        assertEquals("/etc/ca.pem", settings.driverProperties().get("sslrootcert"));
        // libpq raises a 1-second connect_timeout to 2
        assertEquals("2", settings.driverProperties().get("connectTimeout"));
    }

    @Test
    void givenValuesWinOverEnvironmentWhichWinsOverDefaults() {
        ConnectionSettings settings = ConnectionSettings.resolve("given", null, null, "appdb",
                env(Map.of("PGHOST", "envhost", "PGPORT", "5555", "PGUSER", "envuser")));

        assertEquals("given", settings.host());
        assertEquals(5555, settings.port());
        assertEquals("envuser", settings.user());
        assertEquals("appdb", settings.database());
    }

    @Test
    void withoutAnySettingsLibpqDefaultsApplyOverTheDefaultSocket() {
        // no server has a socket for port 1 in /var/run/postgresql or /tmp: Debian's default directory
        ConnectionSettings settings = ConnectionSettings.resolve(null, "1", null, null, env(Map.of()));

        assertEquals("/var/run/postgresql", settings.host());
        assertEquals(1, settings.port());
        assertTrue(settings.unixSocket());
        assertEquals(Optional.of("/var/run/postgresql/.s.PGSQL.1"), settings.socketPath());
        assertEquals("carol", settings.user());
        assertEquals("carol", settings.database());
        assertTrue(settings.notices().isEmpty(), settings.notices().toString());
        assertEquals(5432, ConnectionSettings.resolve(null, null, null, null, env(Map.of())).port());
    }

    @Test
    void socketDirectoryHostConnectsOverTheSocketWithoutSsl() {
        ConnectionSettings settings = ConnectionSettings.resolve("/tmp/sockets/", "6000", null, "db",
                env(Map.of("PGSSLMODE", "require")));

        assertEquals("/tmp/sockets/", settings.host());
        assertEquals(6000, settings.port());
        assertEquals("jdbc:postgresql://localhost:6000/db", settings.jdbcUrl());
        Properties properties = settings.jdbcProperties();
        assertEquals("org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg", properties.getProperty("socketFactory"));
        assertEquals("/tmp/sockets/.s.PGSQL.6000", properties.getProperty("socketFactoryArg"));
        assertEquals("disable", properties.getProperty("sslmode"));
        assertEquals("disable", properties.getProperty("gssEncMode"));
        assertTrue(settings.describe().startsWith("host=/tmp/sockets/ port=6000 "), settings.describe());
        assertTrue(settings.notices().isEmpty(), settings.notices().toString());
    }

    @Test
    void hostNamesAndAddressesStayTcp() {
        for (ConnectionSettings settings : new ConnectionSettings[] {
            ConnectionSettings.resolve("db.example", "6000", null, "db", env(Map.of())),
            ConnectionSettings.resolve(null, null, null, "host=/tmp/sockets hostaddr=127.0.0.1", env(Map.of())),
            ConnectionSettings.resolve(null, null, null, "", env(Map.of("PGHOST", "localhost")))}) {
            assertFalse(settings.unixSocket(), settings.toString());
            assertEquals(null, settings.jdbcProperties().getProperty("socketFactory"), settings.toString());
        }
    }

    @Test
    void anAbstractSocketConnectsOverTcpToLocalhostWithANotice() {
        ConnectionSettings settings = ConnectionSettings.resolve("@pgsock", "6000", null, "db", env(Map.of()));

        assertEquals("localhost", settings.host());
        assertFalse(settings.unixSocket());
        assertTrue(settings.notices().stream().anyMatch(n -> n.contains("@pgsock") && n.contains("localhost:6000")
                && n.contains("pg_hba.conf")), settings.notices().toString());
    }

    @Test
    void passwordComesFromPgpassWhenNoneIsGiven() throws IOException {
        pgpass("""
                # comment line
                other.example:*:*:*:wrong
                db.example:6543:sales:alice:first\\:match\\\\
                db.example:6543:sales:alice:second
                """);

        ConnectionSettings settings = ConnectionSettings.resolve("db.example", "6543", "alice", "sales", env(Map.of()));

        assertEquals(Optional.of("first:match\\"), settings.password());
        assertEquals("first:match\\", settings.jdbcProperties().getProperty("password"));
        assertFalse(settings.jdbcProperties().containsKey("authenticationPluginClassName"));
    }

    @Test
    void givenPasswordWinsOverPgpass() throws IOException {
        pgpass("*:*:*:*:from-file\n");

        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null, "host=h password=given",
                env(Map.of()));

        assertEquals(Optional.of("given"), settings.password());
    }

    @Test
    void pgpassFileComesFromPassfileThenPgpassfileThenHome() throws IOException {
        pgpass("*:*:*:*:home\n");
        Path other = home.resolve("other.pass");
        Files.writeString(other, "*:*:*:*:pgpassfile\n");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rw-------"));
        Path third = home.resolve("third.pass");
        Files.writeString(third, "*:*:*:*:keyword\n");
        Files.setPosixFilePermissions(third, PosixFilePermissions.fromString("r--------"));

        assertEquals(Optional.of("home"), ConnectionSettings.resolve("h", null, null, "d", env(Map.of())).password());
        assertEquals(Optional.of("pgpassfile"), ConnectionSettings.resolve("h", null, null, "d",
                env(Map.of("PGPASSFILE", other.toString()))).password());
        assertEquals(Optional.of("keyword"), ConnectionSettings.resolve(null, null, null,
                "host=h passfile=" + third, env(Map.of("PGPASSFILE", other.toString()))).password());
    }

    @Test
    void pgpassMatchesTheDefaultSocketDirectoryAsLocalhostAndOtherSocketsByPath() throws IOException {
        pgpass("""
                localhost:5432:*:*:for-localhost
                /tmp/sockets:5432:*:*:for-tmp-sockets
                """);

        assertEquals(Optional.of("for-localhost"),
                ConnectionSettings.resolve("/var/run/postgresql", null, "u", "d", env(Map.of())).password());
        assertEquals(Optional.of("for-localhost"),
                ConnectionSettings.resolve(null, null, "u", "d", env(Map.of())).password());
        assertEquals(Optional.of("for-tmp-sockets"),
                ConnectionSettings.resolve("/tmp/sockets", null, "u", "d", env(Map.of())).password());
    }

    @Test
    void pgpassReadableByGroupOrOthersIsIgnoredWithANotice() throws IOException {
        Path file = pgpass("*:*:*:*:exposed\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        ConnectionSettings settings = ConnectionSettings.resolve("h", null, null, "d", env(Map.of()));

        assertEquals(Optional.empty(), settings.password());
        assertTrue(settings.notices().stream().anyMatch(n -> n.contains("group or world access")),
                settings.notices().toString());
        assertFalse(settings.notices().toString().contains("exposed"));
    }

    @Test
    void credentialsNeverAppearInToStringDescribeOrNotices() throws IOException {
        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null,
                "host=/tmp/s user=u password=hunter2 sslpassword=keypass sslkey=/k.pk8", env(Map.of()));

        assertEquals(Optional.of("hunter2"), settings.password());
        for (String text : new String[] {settings.toString(), settings.describe(), settings.notices().toString()}) {
            assertFalse(text.contains("hunter2"), text);
            assertFalse(text.contains("keypass"), text);
        }
        assertTrue(settings.toString().contains("password=(hidden)"), settings.toString());
        assertEquals("keypass", settings.jdbcProperties().getProperty("sslpassword"));
    }

    @Test
    void malformedConnectionStringsFailWithoutEchoingValues() {
        InvalidInputException missingEquals = assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=h hunter2", env(Map.of())));
        assertFalse(missingEquals.getMessage().contains("hunter2"), missingEquals.getMessage());
        InvalidInputException unterminated = assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=h password='hunter2", env(Map.of())));
        assertFalse(unterminated.getMessage().contains("hunter2"), unterminated.getMessage());
        InvalidInputException unknown = assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "hots=h", env(Map.of())));
        assertEquals("invalid connection option at position 1: not a libpq keyword (did you mean \"host\"?); a value"
                + " holding spaces must be in single quotes", unknown.getMessage());
        assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve("h", "54x2", null, "d", env(Map.of())));
        assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=a,b port=1,2,3", env(Map.of())));
        assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=h sslmode=sometimes", env(Map.of())));
    }

    /**
     * A password holding a '/' in a URI, or a space outside quotes, put a piece of it where a port or a
     * keyword was expected, and the error quoted it.
     */
    @Test
    void piecesOfAMalformedPasswordAreNeverQuoted() {
        for (String conninfo : List.of("postgresql://postgres:Pa/SECRET@127.0.0.1:5432/db",
                "postgresql://postgres:SE/CRET@127.0.0.1/db", "host=h password=Pa SECRET=x",
                "postgresql://h/db?SECRET=x", "host=h password=Pa SECRET='x", "host=h sslmode=SECRET",
                "host=h connect_timeout=SECRET")) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> ConnectionSettings.resolve(null, null, null, conninfo, env(Map.of())), conninfo);
            assertFalse(e.getMessage().contains("SECRET") || e.getMessage().contains("CRET")
                    || e.getMessage().contains("\"Pa\""), e.getMessage());
        }
        InvalidInputException port = assertThrows(InvalidInputException.class, () -> ConnectionSettings.resolve(null,
                null, null, "postgresql://postgres:Pa/SECRET@127.0.0.1:5432/db", env(Map.of())));
        assertTrue(port.getMessage().startsWith("invalid port number"), port.getMessage());
        assertTrue(port.getMessage().contains("%2F"), port.getMessage());
        InvalidInputException keyword = assertThrows(InvalidInputException.class, () -> ConnectionSettings.resolve(
                null, null, null, "host=h password=Pa SECRET=x", env(Map.of())));
        assertTrue(keyword.getMessage().startsWith("invalid connection option at position 20: not a libpq keyword"),
                keyword.getMessage());
    }

    @Test
    void optionsPgjdbcCannotHonourSafelyAreRefusedAndHarmlessOnesEarnANotice() {
        assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=h sslcrl=/crl.pem", env(Map.of())));

        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null,
                "host=h keepalives_idle=30 target_session_attrs=read-write", env(Map.of()));

        assertTrue(settings.notices().stream().anyMatch(n -> n.contains("keepalives_idle")),
                settings.notices().toString());
        assertEquals("primary", settings.driverProperties().get("targetServerType"));
    }

    private Path serviceFile(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    @Test
    void pgserviceSuppliesDefaultsThatGivenKeywordsOverrideAndThatOverrideTheEnvironment() throws IOException {
        serviceFile(home.resolve(".pg_service.conf"), """
                # the nightly job
                [other]
                host=wrong.example

                  [nightly]
                host=db.example
                port=6543
                user=svcuser
                dbname=svcdb
                password=from-service
                sslmode=require
                [later]
                port=1
                """);

        ConnectionSettings settings = ConnectionSettings.resolve(null, null, null, "", env(Map.of(
                "PGSERVICE", "nightly", "PGHOST", "env.example", "PGUSER", "envuser")));

        assertEquals("db.example", settings.host());
        assertEquals(6543, settings.port());
        assertEquals("svcuser", settings.user());
        assertEquals("svcdb", settings.database());
        assertEquals(Optional.of("from-service"), settings.password());
        assertEquals("require", settings.driverProperties().get("sslmode"));

        // barman's default -d postgres and -U are given keywords: they win over the service's
        ConnectionSettings given = ConnectionSettings.resolve(null, null, "alice", "postgres",
                env(Map.of("PGSERVICE", "nightly")));
        assertEquals("db.example", given.host());
        assertEquals("alice", given.user());
        assertEquals("postgres", given.database());

        ConnectionSettings keyword = ConnectionSettings.resolve(null, null, null, "service=nightly port=7000",
                env(Map.of()));
        assertEquals("db.example", keyword.host());
        assertEquals(7000, keyword.port());
    }

    @Test
    void theUserServiceFileComesBeforeTheSystemOneAndTheFirstFileWithTheServiceWins() throws IOException {
        Path sysconf = home.resolve("etc");
        serviceFile(sysconf.resolve("pg_service.conf"), "[a]\nhost=system-a\n[b]\nhost=system-b\n");
        Path userFile = serviceFile(home.resolve("my-services.conf"), "[a]\nhost=user-a\n");
        Map<String, String> variables = Map.of("PGSERVICEFILE", userFile.toString(), "PGSYSCONFDIR",
                sysconf.toString());

        assertEquals("user-a", ConnectionSettings.resolve(null, null, null, "service=a", env(variables)).host());
        assertEquals("system-b", ConnectionSettings.resolve(null, null, null, "service=b", env(variables)).host());
        // ~/.pg_service.conf is not read when PGSERVICEFILE names another file
        serviceFile(home.resolve(".pg_service.conf"), "[b]\nhost=home-b\n");
        assertEquals("system-b", ConnectionSettings.resolve(null, null, null, "service=b", env(variables)).host());
        assertEquals("home-b", ConnectionSettings.resolve(null, null, null, "service=b",
                env(Map.of("PGSYSCONFDIR", sysconf.toString()))).host());
    }

    @Test
    void anUnknownServiceOrAMalformedSectionIsRefusedWithoutQuotingTheFile() throws IOException {
        Map<String, String> variables = Map.of("PGSYSCONFDIR", home.resolve("etc").toString());
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve("h", null, null, "d", env(Map.of("PGSERVICE", "nightly",
                        "PGSYSCONFDIR", home.resolve("etc").toString()))));
        assertTrue(missing.getMessage().startsWith("definition of service \"nightly\" not found"),
                missing.getMessage());

        serviceFile(home.resolve(".pg_service.conf"), "[bad]\nhost=h\npassword Secr3t\n[nested]\nservice=bad\n"
                + "[spaced]\npassword = Secr3t\n");
        for (String service : new String[] {"bad", "nested", "spaced"}) {
            InvalidInputException refused = assertThrows(InvalidInputException.class,
                    () -> ConnectionSettings.resolve(null, null, null, "service=" + service, env(variables)));
            assertTrue(refused.getMessage().contains(".pg_service.conf\", line "), refused.getMessage());
            assertFalse(refused.getMessage().contains("Secr3t"), refused.getMessage());
        }
    }

    @Test
    void severalHostsBecomePgjdbcsHostListWithLibpqsPortAndHostaddrRules() {
        ConnectionSettings oneport = ConnectionSettings.resolve(null, null, null,
                "host=127.0.0.2,127.0.0.1 port=5433 target_session_attrs=read-write dbname=d", env(Map.of()));
        assertEquals("jdbc:postgresql://127.0.0.2:5433,127.0.0.1:5433/d", oneport.jdbcUrl());
        assertEquals("primary", oneport.driverProperties().get("targetServerType"));
        assertEquals("host=127.0.0.2,127.0.0.1 port=5433,5433 user=carol dbname=d", oneport.describe());

        ConnectionSettings ports = ConnectionSettings.resolve(null, null, null,
                "host=a.example,::1,b.example port=6000,,6002 load_balance_hosts=random dbname=d", env(Map.of()));
        assertEquals("jdbc:postgresql://a.example:6000,[::1]:5432,b.example:6002/d", ports.jdbcUrl());
        assertEquals("true", ports.driverProperties().get("loadBalanceHosts"));

        ConnectionSettings addresses = ConnectionSettings.resolve(null, null, null,
                "host=a.example,b.example hostaddr=10.0.0.1, dbname=d", env(Map.of()));
        assertEquals("jdbc:postgresql://10.0.0.1:5432,b.example:5432/d", addresses.jdbcUrl());

        assertEquals("jdbc:postgresql://h1:5432,h2:5432/postgres", ConnectionSettings.resolve(null, null, null,
                "postgres", env(Map.of("PGHOST", "h1,h2"))).jdbcUrl());

        for (String conninfo : new String[] {"host=a,b port=1,2,3", "host=a,b,c hostaddr=10.0.0.1,10.0.0.2",
            "host=/tmp/sockets,db.example", "host=,db.example", "host=a load_balance_hosts=sometimes"}) {
            assertThrows(InvalidInputException.class,
                    () -> ConnectionSettings.resolve(null, null, null, conninfo, env(Map.of())), conninfo);
        }
    }

    @Test
    void severalHostsShareOnePasswordFromThePasswordFile() throws IOException {
        pgpass("""
                a.example:5432:*:*:same
                b.example:5432:*:*:same
                c.example:5432:*:*:other
                """);

        assertEquals(Optional.of("same"), ConnectionSettings.resolve(null, null, null, "host=a.example,b.example,x",
                env(Map.of())).password());
        InvalidInputException differ = assertThrows(InvalidInputException.class,
                () -> ConnectionSettings.resolve(null, null, null, "host=a.example,c.example", env(Map.of())));
        assertFalse(differ.getMessage().contains("same") || differ.getMessage().contains("other"),
                differ.getMessage());
    }

    @Test
    void connectionUriIsAcceptedAsDbname() {
        ConnectionSettings settings = ConnectionSettings.resolve("ignored", null, null,
                "postgresql://bob:pw%40x@[::1]:6000/db%2Fx?sslmode=require&application_name=app", env(Map.of()));

        assertEquals("::1", settings.host());
        assertEquals(6000, settings.port());
        assertEquals("bob", settings.user());
        assertEquals("db/x", settings.database());
        assertEquals(Optional.of("pw@x"), settings.password());
        assertEquals("require", settings.driverProperties().get("sslmode"));
        assertEquals("app", settings.driverProperties().get("ApplicationName"));
        assertEquals("jdbc:postgresql://[::1]:6000/db%2Fx", settings.jdbcUrl());
    }

    @Test
    void applicationNameIsOursUnlessTheConnectionStringNamesOneAsInBarman() {
        assertEquals("cumulus_backup", ConnectionSettings.resolve("h", null, null, "d",
                env(Map.of("PGAPPNAME", "from-env"))).driverProperties().get("ApplicationName"));
    }
}
