package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.StorageOptions;
import io.cumulus.cli.StoreOpener;
import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.UploadTuning;
import io.cumulus.core.backup.ArchiveSizing;
import io.cumulus.storage.MultipartOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line of cumulus-backup, run in-process: what it refuses before touching PostgreSQL or the store. */
class BackupCommandTest {

    @TempDir
    Path dir;

    private record Result(int exitCode, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(new BackupCommand(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private String store() throws IOException {
        return "file://" + Files.createDirectories(dir.resolve("store"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "last", "oldest", "first", "last-failed", "latest-full", "last-full", "auto"})
    void aReservedNameIsExitThreeNamingTheReason(String name) throws IOException {
        Result result = run("-n", name, store(), "main");
        assertEquals(3, result.exitCode(), result.err());
        assertTrue(result.err().contains("Backup name '" + name + "' is not allowed: reserved word"), result.err());
    }

    @Test
    void helpOfNameListsEveryReservedWord() {
        String help = run("--help").out().replaceAll("\\s+", " ").replace("/ ", "/"); // help lines wrap at a slash
        java.util.regex.Matcher listed = java.util.regex.Pattern.compile("not a backup id, not ([a-z/-]+)\\)")
                .matcher(help);
        assertTrue(listed.find(), help);
        assertEquals(io.cumulus.core.catalog.BackupName.RESERVED, java.util.Set.of(listed.group(1).split("/")));
    }

    @Test
    void aNameLikeABackupIdIsExitThree() throws IOException {
        Result result = run("--name", "20261121T051944", store(), "main");
        assertEquals(3, result.exitCode(), result.err());
        assertTrue(result.err().contains("not allowed: backup ID"), result.err());
    }

    @Test
    void malformedSizesAndJobsAreExitThree() throws IOException {
        assertEquals(3, run("-S", "10XB", store(), "main").exitCode());
        assertEquals(3, run("--min-chunk-size", "0", store(), "main").exitCode());
        assertEquals(3, run("--max-bandwidth", "fast", store(), "main").exitCode());
        assertEquals(3, run("-J", "0", store(), "main").exitCode());
        assertEquals(3, run("--read-timeout", "-5", "-t", store(), "main").exitCode());
        assertEquals(3, run("--read-timeout", "0", "-t", store(), "main").exitCode());
        assertEquals(3, run("-S", "0", store(), "main").exitCode());
        assertEquals(3, run("--max-bandwidth", "-1", store(), "main").exitCode());
        Result result = run("-S", "1.5XB", store(), "main");
        assertTrue(result.err().contains("invalid -S/--max-archive-size: '1.5XB' is not a valid size string"),
                result.err());
    }

    @Test
    void anInvalidCompressionLevelIsExitThreeNamingTheAcceptedValues() throws IOException {
        Result result = run("-z", "--compression-level", "bogus", store(), "main");
        assertEquals(3, result.exitCode(), result.err());
        assertTrue(result.err().contains("'bogus': must be low, medium, high or an integer"), result.err());
    }

    @Test
    void conflictingOptionsAreExitThree() throws IOException {
        assertEquals(3, run("-z", "-j", store(), "main").exitCode());
        assertEquals(3, run("--sse-kms-key-id", "k", store(), "main").exitCode());
        assertEquals(3, run("--tags", "a,b", "--tag", "c,d", store(), "main").exitCode());
        assertEquals(3, run("--no-such-option", store(), "main").exitCode());
        assertEquals(3, run(store()).exitCode());
    }

    @Test
    void uploadBuffersLargerThanTheHeapAreRefusedBeforeStarting() {
        Result result = run("-J", "1000", "--endpoint-url", "http://127.0.0.1:1", "s3://bucket/pfx", "main");
        assertEquals(3, result.exitCode(), result.err());
        assertTrue(result.err().contains("upload buffers"), result.err());
        assertTrue(result.err().contains("CUMULUS_HEAP"), result.err());
    }

    /**
     * An archive's parts keep their first size up to -S plus the file that passes it, so -J is checked
     * against (-J + 1) first parts: the most -J that fits this JVM's heap passes, one more is refused.
     */
    @Test
    void uploadBuffersAreCheckedAtTheFirstPartSizeThatArchivesKeep() {
        long first = ArchiveSizing.partSize(1L << 40, 10_000, 5 << 20, 0);
        long heap = Runtime.getRuntime().maxMemory();
        int fitting = (int) ((heap - (32L << 20)) / first) - 1; // the most jobs whose (jobs + 1) parts fit
        Result fits;
        // keys, so that the store is tried (without any, barman-cloud's boto3 and Cumulus fail first, exit 4)
        System.setProperty("aws.accessKeyId", "test-key");
        System.setProperty("aws.secretAccessKey", "test-secret");
        try {
            fits = run("-S", "1TB", "-J", Integer.toString(fitting), "--endpoint-url", "http://127.0.0.1:1",
                    "s3://bucket/pfx", "main");
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
        }
        assertEquals(2, fits.exitCode(), fits.err()); // past the check: the store is unreachable

        Result refused = run("-S", "1TB", "-J", Integer.toString(fitting + 1), "--endpoint-url",
                "http://127.0.0.1:1", "s3://bucket/pfx", "main");
        assertEquals(3, refused.exitCode(), refused.err());
        assertTrue(refused.err().contains("with parts of 209.7 MiB (for archives of up to "), refused.err());
    }

    /**
     * A default archive (-S 100GB plus the 1 GiB file that passes it) fits in 5,051 parts of 20.5 MiB,
     * which its upload keeps: 48 of them (-J 47) and the 32 MiB besides fit the default 1 GiB heap.
     * Had the parts doubled every 1,000, they would end at 82 MiB, and -J 11 would not fit.
     */
    @Test
    void theLargestPartOfADefaultArchiveIsTheFirst() {
        MultipartOutputStream.Settings parts = StoreOpener.uploadParts("s3://bucket/pfx", new StorageOptions(),
                new UploadTuning(ArchiveSizing.DEFAULT_MAX_ARCHIVE_SIZE, 0, 47)).orElseThrow();
        assertEquals(21_474_836, parts.partSize());
        assertEquals(21_474_836L, BackupCommand.largestPart(parts, ArchiveSizing.DEFAULT_MAX_ARCHIVE_SIZE));
        long buffers = BackupCommand.uploadBuffers(parts, ArchiveSizing.DEFAULT_MAX_ARCHIVE_SIZE);
        assertEquals(48 * 21_474_836L, buffers);
        assertTrue(buffers + (32L << 20) <= 1L << 30);
        assertTrue(49 * 21_474_836L + (32L << 20) > 1L << 30, "-J 48 does not fit");
        assertEquals(Optional.empty(), StoreOpener.uploadParts("file:///var/backups", new StorageOptions(),
                new UploadTuning(ArchiveSizing.DEFAULT_MAX_ARCHIVE_SIZE, 0, 12)));
    }

    /** One line, as barman-cloud-backup's warning says in three: every file, not in the backup, copy by hand. */
    @Test
    void theWarningOfIncludedFilesNamesEachAndSaysToCopyThemByHand() {
        String warning = BackupCommand.includedFilesWarning(List.of(Path.of("/tmp/scale/extra.conf"),
                Path.of("/etc/postgresql/15/main/conf.d/tuning.conf")));

        assertEquals("configuration files pulled in by include directives live outside the data directory and are"
                + " not in the backup: /tmp/scale/extra.conf, /etc/postgresql/15/main/conf.d/tuning.conf; back them up"
                + " by hand: a server restored from this backup reads them where its include lines point: an absolute"
                + " path as it is, a relative one from the directory of the postgresql.conf it starts with (the"
                + " restored data directory, for the copy the backup holds)", warning);
        assertFalse(warning.contains("\n"));
    }

    /** One line naming each file with the link on its way, saying the backup does not hold it and what to do. */
    @Test
    void theWarningOfConfigFilesBehindLinksNamesEachWithItsLink() {
        Map<Path, Path> behindLinks = new LinkedHashMap<>();
        behindLinks.put(Path.of("/srv/pg/data/postgresql.conf"), Path.of("/srv/pg/data/postgresql.conf"));
        behindLinks.put(Path.of("/srv/pg/data/conf.d/10-work.conf"), Path.of("/srv/pg/data/conf.d"));

        String warning = BackupCommand.linkedConfigFilesWarning(behindLinks);

        assertEquals("configuration files reached through a symbolic link are not in the backup, which holds a link"
                + " as a link and never follows it: /srv/pg/data/postgresql.conf (a symbolic link),"
                + " /srv/pg/data/conf.d/10-work.conf (through the symbolic link /srv/pg/data/conf.d); keep a copy of"
                + " them with your configuration management, as for files outside the data directory: a server"
                + " restored from this backup needs them at these paths", warning);
        assertFalse(warning.contains("\n"));
    }

    @Test
    void testModeChecksOnlyTheStore() throws IOException {
        assertEquals(0, run("-t", store(), "main").exitCode());
        Result missing = run("--test", "file://" + dir.resolve("absent"), "main");
        assertEquals(1, missing.exitCode(), missing.err());
        assertFalse(Files.exists(dir.resolve("absent")));
    }

    @Test
    void aServerThatCannotBeReachedIsExitOneAndNothingIsStored() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        long started = System.nanoTime();
        Result result = run("-h", "127.0.0.1", "-p", Integer.toString(closedPort), "-U", "postgres", store(), "main");
        assertEquals(1, result.exitCode(), result.err());
        assertTrue(result.err().contains("cannot connect to PostgreSQL"), result.err());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 30);
        try (var files = Files.list(dir.resolve("store"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aMissingDestinationDirectoryIsExitOneBeforeConnecting() {
        Result result = run("-h", "127.0.0.1", "-p", "1", "file://" + dir.resolve("absent"), "main");
        assertEquals(1, result.exitCode(), result.err());
        assertTrue(result.err().contains(dir.resolve("absent").toString()), result.err());
        assertFalse(result.err().contains("PostgreSQL"), result.err());
    }

    @Test
    void helpListsBarmansOptionsAndHIsTheHost() {
        Result result = run("--help");
        assertEquals(0, result.exitCode());
        for (String option : new String[] {"-z, --gzip", "-j, --bzip2", "--snappy", "--zstd", "--lz4", "-h, --host",
                "-p, --port", "-U, --user", "-d, --dbname", "--immediate-checkpoint", "-J, --jobs",
                "-S, --max-archive-size", "--min-chunk-size", "--max-bandwidth", "-n, --name", "--tags", "--tag",
                "-e, --encryption", "--sse-kms-key-id", "--endpoint-url", "-t, --test"}) {
            assertTrue(result.out().contains(option), option + " missing from\n" + result.out());
        }
    }

    @Test
    void helpSaysWhichBarmanCloudVersionsRestoreEachBackupCompression() {
        String help = run("--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--xz Compress with xz (.tar.xz); no barman-cloud version restores it"), help);
        assertTrue(help.contains("--zstd Compress with zstd (.tar.zst); no barman-cloud version restores it"), help);
        assertTrue(help.contains("--lz4 Compress with lz4 (.tar.lz4); barman-cloud 3.18+ restores it"), help);
        assertFalse(help.contains("3.12"), help);
        assertFalse(help.contains("3.13"), help);
    }
}
