package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The packaged cumulus-backup and cumulus-check connect as the postgres OS user's cron job does on a
 * stock Debian install: over the Unix socket with peer authentication, the socket directory given
 * with {@code -h} or {@code PGHOST}, no user given (the OS user, as libpq). The cluster's pg_hba.conf
 * is Debian's shape: {@code local all all peer}, TCP wants a SCRAM password that nobody has, so a TCP
 * connection fails where barman-cloud-backup (libpq) succeeds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnixSocketEndToEndTest {

    private static final String SERVER = "pg-socket";
    private static final Pattern POSTGRES_OK = Pattern.compile("(?m)^  PostgreSQL\\s+OK  ");

    private FileArchiveStore store;
    private PgCluster cluster;
    private Path home;

    @BeforeAll
    void startPeerOnlyCluster() throws IOException {
        store = new FileArchiveStore();
        cluster = PgCluster.builder().start();
        Files.writeString(cluster.dataDir().resolve("pg_hba.conf"), "local all all peer\n"
                + "host all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n");
        cluster.reload();
        // the tools' ~ (for .pgpass): one the postgres user can read, holding none
        home = PostgresUser.createTempDir("cumulus-socket-home-");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(cluster, store);
        if (home != null) {
            PostgresUser.deleteRecursively(home);
        }
    }

    private Command asPostgres(String tool, String... args) {
        return Tools.command(tool, args).env("HOME", home.toString()).env("PGHOST", "").env("PGUSER", "")
                .asPostgres();
    }

    @Test
    void backupWithTheSocketDirectoryAsHostUsesPeerAuthentication() {
        // -v: the summary Backups.idFromSummary reads (a successful backup is silent otherwise)
        ToolResult result = asPostgres("cumulus-backup", "-v", "-h", cluster.socketDir().toString(), "-p",
                Integer.toString(cluster.port()), store.url(), SERVER).run();

        assertEquals(0, result.exitCode(), result::describe);
        Backups.idFromSummary(result.stdout());
    }

    @Test
    void backupWithPghostNamingTheSocketDirectoryUsesPeerAuthentication() {
        ToolResult result = asPostgres("cumulus-backup", "-v", store.url(), SERVER)
                .env("PGHOST", cluster.socketDir().toString()).env("PGPORT", Integer.toString(cluster.port())).run();

        assertEquals(0, result.exitCode(), result::describe);
        Backups.idFromSummary(result.stdout());
    }

    @Test
    void overTcpTheSameBackupNeedsAPasswordAndFails() {
        ToolResult result = asPostgres("cumulus-backup", "-h", "127.0.0.1", "-p", Integer.toString(cluster.port()),
                store.url(), SERVER).run();

        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("no password was given"), result::describe);
    }

    @Test
    void checkConnectsOverTheSocketWithItsNativeLibraryFromLibNative() {
        // junixsocket would unpack its library into java.io.tmpdir (a noexec /tmp breaks that) unless it
        // loads it from lib/native/: with no temp directory to write to, the socket still works
        ToolResult result = asPostgres("cumulus-check", "-h", cluster.socketDir().toString(), "-p",
                Integer.toString(cluster.port()), store.url(), SERVER)
                .env("CUMULUS_JAVA_OPTS", "-Djava.io.tmpdir=/nonexistent/cumulus-tmp"
                        + " -Dorg.newsclub.net.unix.library.tmpdir=/nonexistent/cumulus-tmp").run();

        assertTrue(POSTGRES_OK.matcher(result.stdout()).find(), result::describe);
    }

    @Test
    void aNativeLibraryThatCannotLoadIsAConnectionFailureThatSaysWhatToDo() {
        ToolResult result = asPostgres("cumulus-backup", "-h", cluster.socketDir().toString(), "-p",
                Integer.toString(cluster.port()), store.url(), SERVER)
                .env("CUMULUS_JAVA_OPTS", "-Dorg.newsclub.net.unix.library.disable=true").run();

        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("native library for unix sockets cannot be loaded"), result::describe);
        assertTrue(result.stderr().contains("-Dorg.newsclub.net.unix.library.tmpdir="), result::describe);
    }

    @Test
    void aSocketDirectoryWithoutAServerNamesTheSocket() {
        ToolResult result = asPostgres("cumulus-backup", "-h", home.toString(), "-p", "1", store.url(), SERVER).run();

        assertEquals(1, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains(home + "/.s.PGSQL.1"), result::describe);
    }
}
