package io.cumulus.core.restore;

import io.cumulus.core.catalog.BackupInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The lines of a restored data directory's postgresql.conf and postgresql.auto.conf that name the
 * backed-up host's paths, which PostgreSQL started on the restored directory would follow: a backup
 * of a cluster whose postgresql.conf lives elsewhere (Debian's /etc/postgresql/VERSION/CLUSTER) holds
 * that file, with its {@code data_directory}, {@code hba_file}, {@code ident_file} and relative {@code
 * include_dir}, at the data directory's root. Like {@code barman recover}'s warning of its dangerous
 * options, these lines are named, never changed.
 */
public final class RestoredConfigurationPaths {

    /** The settings naming a file or directory by an absolute path, beside which the data directory is not moved. */
    static final Set<String> PATH_SETTINGS = Set.of("data_directory", "config_file", "hba_file", "ident_file",
            "external_pid_file");

    /** The directives that read other files, a relative path taken from the directory of the file holding them. */
    static final Set<String> INCLUDES = Set.of("include", "include_if_exists", "include_dir");

    private RestoredConfigurationPaths() {
    }

    /**
     * A warning for each line of {@code dataDirectory}'s postgresql.conf, then postgresql.auto.conf, that
     * sets {@code data_directory} to another directory, or {@code config_file}, {@code hba_file}, {@code
     * ident_file} or {@code external_pid_file} to an absolute path outside it; and, when {@code backup}'s
     * {@code config_file} was outside its {@code pgdata}, for each relative {@code include},
     * {@code include_if_exists} or {@code include_dir}, which now resolves inside the restored directory.
     */
    public static List<String> warnings(Path dataDirectory, BackupInfo backup) throws IOException {
        Path restored = dataDirectory.toAbsolutePath().normalize();
        Path configDirectory = configDirectoryOutsidePgdata(backup);
        // the other way out only for a configuration that lived outside the data directory (Debian's layout)
        String hostConfiguration = configDirectory == null ? "" : ", or start the restored cluster with this host's"
                + " configuration (pg_ctlcluster's /etc/postgresql/" + majorVersion(backup) + "/<cluster>) with"
                + " data_directory = '" + restored + "'";
        Path oldPgdata = backup.pgdata() == null ? null : path(backup.pgdata());
        Set<String> looked = union(PATH_SETTINGS, INCLUDES);
        List<String> warnings = new ArrayList<>();
        for (String name : List.of(InheritedRecoverySettings.CONF, InheritedRecoverySettings.AUTO_CONF)) {
            Path file = restored.resolve(name);
            for (InheritedRecoverySettings.Line line : InheritedRecoverySettings.find(file, looked)) {
                boolean include = INCLUDES.contains(line.name());
                String effect = include ? includeEffect(line, restored, configDirectory, oldPgdata)
                        : pathEffect(line, restored);
                if (effect != null) {
                    Path named = path(line.value());
                    String fix = !include ? "; remove or change the line in " + file
                            : named != null && named.isAbsolute() ? "; point the line in " + file + " at the restored copy"
                            : "; copy those files there or give the line an absolute path";
                    warnings.add(file + " line " + line.number() + " sets " + line.text() + ", a path of the"
                            + " backed-up host: " + effect + fix + hostConfiguration);
                }
            }
        }
        return warnings;
    }

    /** What PostgreSQL started on {@code restored} does with a path setting; null when that is harmless. */
    private static String pathEffect(InheritedRecoverySettings.Line line, Path restored) {
        Path path = path(line.value());
        boolean absolute = path != null && path.isAbsolute();
        String started = "PostgreSQL started on " + restored + " (pg_ctl -D)";
        switch (line.name()) {
            case "data_directory":
                if (absolute && sameDirectory(path.normalize(), restored)) {
                    return null;
                }
                return started + " would run the data directory " + line.value() + " instead (another cluster's,"
                        + " or fail with \"data directory ... does not exist\"), without this restore or its"
                        + " recovery configuration";
            case "config_file":
                return !absolute || inside(path, restored) ? null : "PostgreSQL ignores config_file in a"
                        + " configuration file (it reads the postgresql.conf it is started with), but the line"
                        + " belongs to the backed-up host's layout";
            case "hba_file":
                return !absolute || inside(path, restored) ? null : started + " would authenticate clients by "
                        + line.value() + " (this host's file at that path, or fail to start without one), not by"
                        + " the restored pg_hba.conf";
            case "ident_file":
                return !absolute || inside(path, restored) ? null : started + " would map user names by "
                        + line.value() + " (this host's file at that path, or fail to start without one), not by"
                        + " the restored pg_ident.conf";
            default: // external_pid_file
                return !absolute || inside(path, restored) ? null : started + " would write its process id to "
                        + line.value() + ", over the file of any server of this host using that path";
        }
    }

    /**
     * What PostgreSQL makes of an include: a relative one that meant {@code configDirectory} (a configuration
     * from outside the backup's data directory) now means a path in the restored directory; an absolute one
     * into the backup's data directory {@code oldPgdata} still reads the backed-up host's file, not the
     * restored copy. Null when neither.
     */
    private static String includeEffect(InheritedRecoverySettings.Line line, Path restored, Path configDirectory,
            Path oldPgdata) {
        Path path = path(line.value());
        if (path == null) {
            return null;
        }
        if (path.isAbsolute()) {
            if (oldPgdata == null || !oldPgdata.isAbsolute() || !path.normalize().startsWith(oldPgdata.normalize())
                    || inside(path, restored)) {
                return null;
            }
            return "it names the backed-up data directory " + oldPgdata.normalize() + ", so PostgreSQL started on "
                    + restored + " reads " + path.normalize() + " (this host's file at that path"
                    + (line.name().equals("include_if_exists") ? ", skipped when missing" : ", or fails to start"
                            + " without it") + "), not the restored "
                    + restored.resolve(oldPgdata.normalize().relativize(path.normalize()));
        }
        if (configDirectory == null) {
            return null;
        }
        return "relative, it meant " + configDirectory.resolve(path).normalize() + " beside the backup's"
                + " postgresql.conf, which was outside its data directory, and now means "
                + restored.resolve(path).normalize() + ", which PostgreSQL reads instead"
                + (line.name().equals("include_if_exists") ? " (skipping it when missing)"
                        : " (refusing to start when it is missing)");
    }

    /** The directory of backup.info's config_file when it lies outside its pgdata, else null. */
    private static Path configDirectoryOutsidePgdata(BackupInfo backup) {
        Path config = backup.configFile() == null ? null : path(backup.configFile());
        Path pgdata = backup.pgdata() == null ? null : path(backup.pgdata());
        if (config == null || pgdata == null || !config.isAbsolute() || config.getParent() == null
                || config.normalize().startsWith(pgdata.normalize())) {
            return null;
        }
        return config.normalize().getParent();
    }

    /** Whether {@code path} is {@code directory}, compared by real path too when both exist (a link to it). */
    private static boolean sameDirectory(Path path, Path directory) {
        try {
            return path.equals(directory) || Files.exists(path) && Files.isSameFile(path, directory);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code path} lies in {@code directory}, as written or through symbolic links (another spelling of it). */
    private static boolean inside(Path path, Path directory) {
        return path.normalize().startsWith(directory)
                || BaseRestore.realPath(path).startsWith(BaseRestore.realPath(directory));
    }

    private static Path path(String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static String majorVersion(BackupInfo backup) {
        Integer version = backup.version();
        if (version == null) {
            return "<version>";
        }
        return version >= 100000 ? Integer.toString(version / 10000) : (version / 10000) + "." + (version / 100 % 100);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> both = new HashSet<>(a);
        both.addAll(b);
        return both;
    }
}
