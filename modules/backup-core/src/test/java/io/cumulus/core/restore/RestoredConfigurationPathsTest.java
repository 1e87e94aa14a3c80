package io.cumulus.core.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestoredConfigurationPathsTest {

    /** A backup of a Debian-layout cluster: postgresql.conf in /etc/postgresql, outside the data directory. */
    private static final BackupInfo DEBIAN = BackupInfo.builder().status(BackupStatus.DONE).version(150018)
            .configFile("/etc/postgresql/15/main/postgresql.conf").pgdata("/var/lib/postgresql/15/main").build();

    /** A backup of a cluster whose postgresql.conf is inside its data directory, initdb's way. */
    private static final BackupInfo INITDB = BackupInfo.builder().status(BackupStatus.DONE).version(150018)
            .configFile("/srv/pg/data/postgresql.conf").pgdata("/srv/pg/data").build();

    @TempDir
    Path restored;

    @Test
    void aDataDirectoryOfTheBackedUpHostIsNamedWithWhatPostgreSQLWouldRunAndTheFix() throws Exception {
        String conf = "port = 5432\ndata_directory = '/var/lib/postgresql/15/main'\t# use data in another directory\n";
        Files.writeString(restored.resolve("postgresql.conf"), conf);

        List<String> warnings = RestoredConfigurationPaths.warnings(restored, DEBIAN);

        assertEquals(1, warnings.size(), warnings::toString);
        String warning = warnings.get(0);
        assertTrue(warning.startsWith(restored.resolve("postgresql.conf") + " line 2 sets data_directory ="
                + " '/var/lib/postgresql/15/main'\t# use data in another directory, a path of the backed-up host:"
                + " PostgreSQL started on " + restored + " (pg_ctl -D) would run the data directory"
                + " /var/lib/postgresql/15/main instead"), warning);
        assertTrue(warning.endsWith("; remove or change the line in " + restored.resolve("postgresql.conf")
                + ", or start the restored cluster with this host's configuration (pg_ctlcluster's"
                + " /etc/postgresql/15/<cluster>) with data_directory = '" + restored + "'"), warning);
        assertEquals(conf, Files.readString(restored.resolve("postgresql.conf")), "the file is only read");
    }

    @Test
    void aDataDirectoryNamingTheRestoredDirectoryGivesNoWarning() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "data_directory = '" + restored + "/'\n");
        Path link = Files.createSymbolicLink(restored.resolveSibling(restored.getFileName() + "-link"), restored);
        try {
            assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, DEBIAN));
            Files.writeString(restored.resolve("postgresql.conf"), "DATA_DIRECTORY '" + link + "'\n");
            assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, DEBIAN), "a link to it is it");
        } finally {
            Files.delete(link);
        }
    }

    @Test
    void eachPathSettingOutsideTheRestoredDirectoryIsNamedInEitherFile() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "hba_file = '/etc/postgresql/15/main/pg_hba.conf'\n"
                + "ident_file = '/etc/postgresql/15/main/pg_ident.conf'\n"
                + "external_pid_file = '/var/run/postgresql/15-main.pid'\n"
                + "# data_directory = '/elsewhere'\n");
        Files.writeString(restored.resolve("postgresql.auto.conf"), "config_file = '/etc/postgresql/15/main/x.conf'\n");

        List<String> warnings = RestoredConfigurationPaths.warnings(restored, DEBIAN);

        assertEquals(4, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).contains("line 1 sets hba_file = '/etc/postgresql/15/main/pg_hba.conf', a path"
                + " of the backed-up host: PostgreSQL started on " + restored + " (pg_ctl -D) would authenticate"
                + " clients by /etc/postgresql/15/main/pg_hba.conf"), warnings.get(0));
        assertTrue(warnings.get(1).contains("line 2 sets ident_file = '/etc/postgresql/15/main/pg_ident.conf'"),
                warnings.get(1));
        assertTrue(warnings.get(2).contains("line 3 sets external_pid_file = '/var/run/postgresql/15-main.pid', a"
                + " path of the backed-up host: PostgreSQL started on " + restored + " (pg_ctl -D) would write its"
                + " process id to /var/run/postgresql/15-main.pid"), warnings.get(2));
        assertTrue(warnings.get(3).startsWith(restored.resolve("postgresql.auto.conf") + " line 1 sets config_file"),
                warnings.get(3));
        assertTrue(warnings.get(3).contains("; remove or change the line in " + restored.resolve("postgresql.auto.conf")
                + ", or start"), warnings.get(3));
    }

    @Test
    void pathsInsideTheRestoredDirectoryOrRelativeToItAreLeftAlone() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "hba_file = '" + restored + "/pg_hba.conf'\n"
                + "ident_file = 'pg_ident.conf'\nexternal_pid_file = 'postmaster.ext.pid'\n"
                + "include_dir = '/etc/postgresql/15/main/conf.d'\n");

        assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, DEBIAN));
    }

    /** The restored directory reached through a link, as a data directory at /var/lib/pgsql linked to /data. */
    @Test
    void aPathInsideTheRestoredDirectoryThroughASymbolicLinkIsLeftAlone() throws Exception {
        Path link = Files.createSymbolicLink(restored.resolveSibling(restored.getFileName() + "-via"), restored);
        try {
            Files.writeString(restored.resolve("postgresql.conf"), "data_directory = '" + link + "/'\n"
                    + "hba_file = '" + link + "/pg_hba.conf'\nident_file = '" + link + "//pg_ident.conf'\n");
            assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, DEBIAN));
        } finally {
            Files.delete(link);
        }
    }

    /** pg_ctlcluster's /etc/postgresql is offered only for a configuration that lived outside the data directory. */
    @Test
    void theHostConfigurationIsOfferedOnlyWhenTheBackedUpOneWasOutsideItsDataDirectory() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "hba_file = '/srv/pg/conf/pg_hba.conf'\n");

        List<String> warnings = RestoredConfigurationPaths.warnings(restored, INITDB);

        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).endsWith("; remove or change the line in " + restored.resolve("postgresql.conf")),
                warnings.get(0));
        assertTrue(RestoredConfigurationPaths.warnings(restored, DEBIAN).get(0).contains("pg_ctlcluster"));
    }

    /** An absolute include into the backed-up data directory, restored elsewhere, still reads the old host's file. */
    @Test
    void anAbsoluteIncludeIntoTheBackedUpDataDirectoryIsNamedWithTheRestoredCopy() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "include_dir = '/srv/pg/data/conf.d'\n"
                + "include_if_exists = '/etc/postgresql/extra.conf'\n");

        List<String> warnings = RestoredConfigurationPaths.warnings(restored, INITDB);

        assertEquals(1, warnings.size(), warnings::toString);
        assertEquals(restored.resolve("postgresql.conf") + " line 1 sets include_dir = '/srv/pg/data/conf.d', a path"
                + " of the backed-up host: it names the backed-up data directory /srv/pg/data, so PostgreSQL started"
                + " on " + restored + " reads /srv/pg/data/conf.d (this host's file at that path, or fails to start"
                + " without it), not the restored " + restored.resolve("conf.d") + "; point the line in "
                + restored.resolve("postgresql.conf") + " at the restored copy", warnings.get(0));
        // restored in place, the include names the restored copy itself
        BackupInfo inPlace = BackupInfo.builder().status(BackupStatus.DONE).version(150018)
                .configFile(restored.resolve("postgresql.conf").toString()).pgdata(restored.toString()).build();
        Files.writeString(restored.resolve("postgresql.conf"), "include_dir = '" + restored + "/conf.d'\n");
        assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, inPlace));
    }

    @Test
    void relativeIncludesAreNamedOnlyWhenTheBackedUpConfigurationWasOutsideItsDataDirectory() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "include_dir = 'conf.d'\n"
                + "include 'extra.conf'\ninclude_if_exists = '../opt.conf'\n");

        List<String> debian = RestoredConfigurationPaths.warnings(restored, DEBIAN);
        List<String> initdb = RestoredConfigurationPaths.warnings(restored, INITDB);
        List<String> unknown = RestoredConfigurationPaths.warnings(restored,
                BackupInfo.builder().status(BackupStatus.DONE).build());

        assertEquals(3, debian.size(), debian::toString);
        assertTrue(debian.get(0).contains("line 1 sets include_dir = 'conf.d', a path of the backed-up host:"
                + " relative, it meant /etc/postgresql/15/main/conf.d beside the backup's postgresql.conf, which was"
                + " outside its data directory, and now means " + restored.resolve("conf.d") + ", which PostgreSQL"
                + " reads instead (refusing to start when it is missing); copy those files there or give the line an"
                + " absolute path, or start the restored cluster with this host's configuration"), debian.get(0));
        assertTrue(debian.get(1).contains("line 2 sets include 'extra.conf'"), debian.get(1));
        assertTrue(debian.get(2).contains("it meant /etc/postgresql/15/opt.conf beside the backup's postgresql.conf,"
                + " which was outside its data directory, and now means " + restored.resolveSibling("opt.conf")
                + ", which PostgreSQL reads instead (skipping it when missing)"), debian.get(2));
        assertEquals(List.of(), initdb, "a relative include of a postgresql.conf inside PGDATA resolves as it did");
        assertEquals(List.of(), unknown, "without config_file and pgdata nothing says where an include pointed");
    }

    @Test
    void quotedValuesAreReadAsPostgreSQLReadsThem() throws Exception {
        Files.writeString(restored.resolve("postgresql.conf"), "data_directory = '" + restored.toString()
                .replace("/", "\\/") + "'\nhba_file = '/etc/it''s/pg_hba.conf'\n");

        List<String> warnings = RestoredConfigurationPaths.warnings(restored, INITDB);

        assertEquals(1, warnings.size(), warnings::toString);
        assertTrue(warnings.get(0).contains("would authenticate clients by /etc/it's/pg_hba.conf "), warnings.get(0));
    }

    @Test
    void noConfigurationFilesNoWarnings() throws Exception {
        assertEquals(List.of(), RestoredConfigurationPaths.warnings(restored, DEBIAN));
    }
}
