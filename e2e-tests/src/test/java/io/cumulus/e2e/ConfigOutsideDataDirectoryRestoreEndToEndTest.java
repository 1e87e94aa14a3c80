package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.Ports;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A cluster laid out as Debian's: postgresql.conf, pg_hba.conf and pg_ident.conf in a directory of
 * their own, on which the server is started (pg_ctl -D CONFDIR, as pg_ctlcluster gives -c config_file),
 * with data_directory, hba_file and ident_file pointing back and include_dir = 'conf.d'. Its backup
 * holds that postgresql.conf at the data directory's root, so pg_ctl -D on the restored directory ran
 * the OLD data directory. cumulus-restore now names each such line and leaves the file alone; dealt with
 * as restore.md says, the restored directory recovers where it is.
 */
class ConfigOutsideDataDirectoryRestoreEndToEndTest {

    private static final String SERVER = "pg-debian-layout";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final Path PG_CTL = PgCluster.PG_BIN.resolve("pg_ctl");

    @Test
    void theRestoredConfigurationsPathsOfTheOldHostAreNamedAndOnceRemovedTheCopyRecoversWhereItIs()
            throws IOException {
        FileArchiveStore file = new FileArchiveStore();
        Path work = PostgresUser.createTempDir("cumulus-confpaths-e2e-");
        PgCluster source = PgCluster.builder().archiveCommand(file.archiveCommand(SERVER)).create();
        try {
            Path etc = postgresDirectory(source.baseDir().resolve("etc"));
            for (String name : new String[] {"postgresql.conf", "pg_hba.conf", "pg_ident.conf"}) {
                Files.move(source.dataDir().resolve(name), etc.resolve(name));
            }
            Path confD = postgresDirectory(etc.resolve("conf.d"));
            PostgresUser.chown(Files.writeString(confD.resolve("10-work.conf"), "work_mem = '7MB'\n"));
            Files.writeString(etc.resolve("postgresql.conf"), "data_directory = '" + source.dataDir() + "'\n"
                    + "hba_file = '" + etc.resolve("pg_hba.conf") + "'\nident_file = '" + etc.resolve("pg_ident.conf")
                    + "'\ninclude_dir = 'conf.d'\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            Command.of(PG_CTL, "-D", etc.toString(), "-l", source.logFile().toString(), "-w", "-t", "120", "start")
                    .asPostgres().timeout(TIMEOUT).runSuccessfully();
            assertEquals(etc.resolve("postgresql.conf").toString(), source.queryString("SHOW config_file"));
            assertEquals("7MB", source.queryString("SHOW work_mem"));
            source.execute("CREATE TABLE rows_in_backup AS SELECT g AS n FROM generate_series(1, 1000) g");
            source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
            String id = Backups.backupSucceeds(file, source, SERVER, "--immediate-checkpoint");
            assertEquals(etc.resolve("postgresql.conf").toString(), Backups.backupInfo(file, SERVER, id).get("config_file"));

            Path data = postgresDirectory(work.resolve("restored")).resolve("data");
            ToolResult restore = Tools.command("cumulus-restore", "--recovery-target", "immediate",
                            "--recovery-target-action", "promote")
                    .args(file.toolOptions()).env(file.toolEnv()).args(file.url(), SERVER, id, data.toString())
                    .asPostgres().timeout(TIMEOUT).run();

            assertEquals(0, restore.exitCode(), restore::describe);
            Path conf = data.resolve("postgresql.conf");
            assertTrue(restore.stderr().contains("WARNING: " + conf + " line "), restore::describe);
            assertTrue(restore.stderr().contains(" sets data_directory = '" + source.dataDir() + "', a path of the"
                    + " backed-up host: PostgreSQL started on " + data + " (pg_ctl -D) would run the data directory "
                    + source.dataDir() + " instead"), restore::describe);
            assertTrue(restore.stderr().contains(" sets hba_file = '" + etc.resolve("pg_hba.conf") + "'"),
                    restore::describe);
            assertTrue(restore.stderr().contains(" sets ident_file = '" + etc.resolve("pg_ident.conf") + "'"),
                    restore::describe);
            assertTrue(restore.stderr().contains(" sets include_dir = 'conf.d', a path of the backed-up host: relative,"
                    + " it meant " + confD + " beside the backup's postgresql.conf, which was outside its data"
                    + " directory, and now means " + data.resolve("conf.d")), restore::describe);
            assertEquals(Files.readString(etc.resolve("postgresql.conf")), Files.readString(conf),
                    "the restored file is left as it was");

            // restore.md's pg_ctl -D way: the path lines removed, the included files copied where the warning says
            Files.writeString(conf, Pattern.compile("(?m)^(data_directory|hba_file|ident_file) ")
                    .matcher(Files.readString(conf)).replaceAll("#$1 "));
            Command.of("cp", "-a", confD.toString(), data.resolve("conf.d").toString()).asPostgres().runSuccessfully();
            Path socket = postgresDirectory(work.resolve("restored/socket"));
            String port = Integer.toString(Ports.freeLoopbackPort());
            Command.of(PG_CTL, "-D", data.toString(), "-l", work.resolve("restored/socket/log").toString(), "-w", "-t",
                    "180", "-o", "-p " + port + " -k " + socket + " -c listen_addresses=''", "start")
                    .asPostgres().timeout(TIMEOUT).runSuccessfully();
            try {
                String answer = Command.of(PgCluster.PG_BIN.resolve("psql"), "-h", socket.toString(), "-p", port, "-U",
                        PgCluster.SUPERUSER, "-d", "postgres", "-XAt", "-c", "SHOW data_directory", "-c",
                        "SELECT count(*) FROM rows_in_backup", "-c", "SHOW work_mem")
                        .asPostgres().runSuccessfully().stdout();
                assertEquals(data + "\n1000\n7MB\n", answer);
            } finally {
                Command.of(PG_CTL, "-D", data.toString(), "-m", "immediate", "-w", "stop").asPostgres().run();
            }
        } finally {
            Cleanup.closeAll(source, file, () -> PostgresUser.deleteRecursively(work));
        }
    }

    private static Path postgresDirectory(Path directory) throws IOException {
        Files.createDirectory(directory);
        PostgresUser.chown(directory);
        return directory;
    }
}
