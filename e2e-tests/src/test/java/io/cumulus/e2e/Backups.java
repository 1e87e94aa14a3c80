package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the base backup tests share: running cumulus-backup, reading what it wrote, checking a restored copy. */
final class Backups {

    /** The keys barman-cloud 3.4 writes in backup.info, sorted, for a backup without a name (reference §3.2). */
    static final List<String> KEYS_34 = List.of("backup_label", "begin_offset", "begin_time", "begin_wal",
            "begin_xlog", "compression", "config_file", "copy_stats", "deduplicated_size", "end_offset", "end_time",
            "end_wal", "end_xlog", "error", "hba_file", "ident_file", "included_files", "mode", "pgdata",
            "server_name", "size", "status", "systemid", "tablespaces", "timeline", "version", "xlog_segment_size");

    private static final Pattern SUMMARY = Pattern.compile("^backup (\\d{8}T\\d{6})(?: \\(.*\\))? DONE at ",
            Pattern.MULTILINE);

    private Backups() {
    }

    /** The connection options for {@code cluster} as a DBA would give them. */
    static List<String> connection(PgCluster cluster) {
        return List.of("-h", "127.0.0.1", "-p", Integer.toString(cluster.port()), "-U", PgCluster.SUPERUSER);
    }

    /** {@code cumulus-backup [options] -h -p -U URL SERVER} against {@code store}. */
    static Command backup(ArchiveStore store, PgCluster cluster, String server, String... options) {
        return Tools.command("cumulus-backup", options).args(store.toolOptions()).env(store.toolEnv())
                .args(connection(cluster)).args(store.url(), server);
    }

    /** The arguments of {@link #backup} for a {@link BackgroundTool}. */
    static List<String> backupArgs(ArchiveStore store, PgCluster cluster, String server, String... options) {
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(store.toolOptions());
        args.addAll(connection(cluster));
        args.add(store.url());
        args.add(server);
        return args;
    }

    /** The backup id from cumulus-backup's one-line summary on standard output (printed with -v). */
    static String idFromSummary(String stdout) {
        Matcher m = SUMMARY.matcher(stdout);
        assertTrue(m.find(), () -> "no summary line in:\n" + stdout);
        return m.group(1);
    }

    /** Runs a backup that must succeed and returns its id (from the summary that -v prints). */
    static String backupSucceeds(ArchiveStore store, PgCluster cluster, String server, String... options) {
        List<String> verbose = new ArrayList<>(List.of("-v"));
        verbose.addAll(List.of(options));
        ToolResult result = backup(store, cluster, server, verbose.toArray(String[]::new)).run();
        assertEquals(0, result.exitCode(), result::describe);
        return idFromSummary(result.stdout());
    }

    /** backup.info's lines as key to raw value, in file order. */
    static Map<String, String> backupInfo(ArchiveStore store, String server, String id) {
        byte[] bytes = store.read(server + "/base/" + id + "/backup.info")
                .orElseThrow(() -> new AssertionError("no backup.info for " + id + " in " + store));
        Map<String, String> info = new LinkedHashMap<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            info.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return info;
    }

    /** The object names in the backup's directory, sorted. */
    static List<String> objects(ArchiveStore store, String server, String id) {
        String prefix = server + "/base/" + id + "/";
        return store.keys(prefix).stream().map(key -> key.substring(prefix.length())).toList();
    }

    /**
     * Runs pg_verifybackup on a restored data directory against the backup's own manifest: every file
     * the manifest names is there with its size and CRC32C, and nothing else (WAL is not parsed: it
     * lives in the archive, not in the copy).
     */
    static void assertVerified(Path dataDirectory, Path manifest) {
        ToolResult verify = Command.of(PgCluster.PG_BIN.resolve("pg_verifybackup"), "--no-parse-wal",
                "--manifest-path", manifest.toString(), dataDirectory.toString()).asPostgres().run();
        assertEquals(0, verify.exitCode(), verify::describe);
        assertTrue(verify.stdout().contains("backup successfully verified"), verify::describe);
    }

    /** Extracts tar archives in order with Python's streaming tarfile, as barman-cloud-restore does. */
    static void extractWithPython(List<Path> archives, Path directory) {
        for (Path archive : archives) {
            Command.of("/usr/bin/python3", "-c", "import sys, tarfile\n"
                    + "tarfile.open(sys.argv[1], mode='r|*').extractall(sys.argv[2])", archive.toString(),
                    directory.toString()).asPostgres().runSuccessfully();
        }
    }
}
