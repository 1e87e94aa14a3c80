package io.cumulus.cli.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.backup.BackupCommand;
import io.cumulus.cli.restore.RestoreCommand;
import io.cumulus.cli.walarchive.WalArchiveCommand;
import io.cumulus.cli.walrestore.WalRestoreCommand;
import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PgCluster;
import io.cumulus.testsupport.PostgresUser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The four tools' commands with gs:// URLs against google-cloud-nio's LocalStorageHelper, as far as an
 * in-process store allows: the real google-cloud-storage client and the real GCS provider, but the
 * commands run in this JVM (the packaged tools cannot reach an in-memory store). A real PostgreSQL 15
 * archives its WAL through a spool directory ({@code archive_command = cp}) that cumulus-wal-archive's
 * command then stores; cumulus-backup's command backs the cluster up; cumulus-restore's command
 * restores it, verified; cumulus-wal-restore's command fetches every archived file back, byte for
 * byte, into the directory the restored cluster's {@code restore_command} copies from; the cluster
 * recovers and holds the rows written before and after the backup.
 *
 * <p>What LocalStorageHelper cannot show: its compose is a no-op, so every object here goes up in one
 * request (parts of 64 MiB, larger than any archive of this cluster); the parallel parts composed at
 * close are shown by the storage contract test over HTTP (GcsFakeServerTest, on build-support/fake-gcs.py).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcsToolsInProcessTest {

    private static final String URL = "gs://in-process/cluster";
    private static final String SERVER = "pg-gcs";
    private static final List<String> PROVIDER = List.of("--cloud-provider", "google-cloud-storage");
    private static final Pattern SUMMARY = Pattern.compile("(?m)^backup (\\d{8}T\\d{6})(?: \\(.*\\))? DONE at ");
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    private Storage storage;
    private PgCluster source;
    private Path work;
    private Path spool;
    private final Set<String> archived = new LinkedHashSet<>();

    @BeforeAll
    void start() throws IOException {
        storage = LocalStorageHelper.customOptions(false).getService();
        GcsBridge.useClientForTests(() -> storage);
        work = PostgresUser.createTempDir("cumulus-gcs-in-process-");
        spool = Files.createDirectory(work.resolve("spool"));
        PostgresUser.chown(spool);
        source = PgCluster.builder().archiveCommand("cp %p " + spool + "/%f").start();
    }

    @AfterAll
    void cleanUp() {
        GcsBridge.useClientForTests(null);
        if (source != null) {
            source.close();
        }
        PostgresUser.deleteRecursively(work);
    }

    @Test
    void walArchivedBackupTakenRestoredAndRecoveredThroughGcs() throws IOException {
        source.execute("CREATE TABLE before_backup AS SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 50000) g");
        archiveSpool();

        Result backup = run(new BackupCommand(), "-v", "-S", "1GB", "--min-chunk-size", "64MB", "-J", "1",
                "--immediate-checkpoint", "--tag", "team,dba", "-h", "127.0.0.1", "-p", Integer.toString(source.port()),
                "-U", PgCluster.SUPERUSER, URL, SERVER);
        assertEquals(0, backup.code, backup::toString);
        Matcher summary = SUMMARY.matcher(backup.out);
        assertTrue(summary.find(), backup::toString);
        String id = summary.group(1);
        Blob info = storage.get(BlobId.of("in-process", "cluster/" + SERVER + "/base/" + id + "/backup.info"));
        assertTrue(new String(info.getContent()).contains("status=DONE"));
        assertEquals(Map.of("team", "dba"), info.getMetadata(), "tags are custom metadata on GCS");

        source.execute("CREATE TABLE after_backup AS SELECT g AS n FROM generate_series(1, 777) g");
        archiveSpool();

        Path data = work.resolve("restored");
        Result restore = run(new RestoreCommand(), URL, SERVER, id, data.toString());
        assertEquals(0, restore.code, restore::toString);
        assertTrue(restore.out.contains("verified against backup_manifest"), restore::toString);

        Path fetched = Files.createDirectory(work.resolve("fetched"));
        for (String name : archived) {
            Result wal = run(new WalRestoreCommand(), URL, SERVER, name, fetched.resolve(name).toString());
            assertEquals(0, wal.code, () -> name + ": " + wal);
            assertArrayEquals(Files.readAllBytes(spool.resolve(name)), Files.readAllBytes(fetched.resolve(name)), name);
        }
        Result absent = run(new WalRestoreCommand(), URL, SERVER, "00000001000000FF000000FF",
                fetched.resolve("absent").toString());
        assertEquals(1, absent.code, absent::toString);

        Command.of("chown", "-R", PostgresUser.NAME + ":", data.toString(), fetched.toString()).runSuccessfully();
        try (PgCluster recovered = PgCluster.builder().fromDataDirectory(data).recovery(PgCluster.Recovery.ARCHIVE)
                .restoreCommand("cp " + fetched + "/%f %p").setting("recovery_target_action", "promote")
                .startTimeout(TIMEOUT).start()) {
            recovered.awaitRecoveryEnd(TIMEOUT);
            assertEquals(50000, recovered.queryLong("SELECT count(*) FROM before_backup"));
            assertEquals(777, recovered.queryLong("SELECT count(*) FROM after_backup"), recovered::serverLog);
        }
    }

    /** Switches WAL, waits for PostgreSQL to spool it, and stores every new spooled file with cumulus-wal-archive. */
    private void archiveSpool() throws IOException {
        source.awaitArchived(source.switchWal(), Duration.ofSeconds(90));
        List<Path> files;
        try (Stream<Path> listing = Files.list(spool)) {
            files = listing.sorted().toList();
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (archived.add(name)) {
                Result result = run(new WalArchiveCommand(), URL, SERVER, file.toString());
                assertEquals(0, result.code, () -> name + ": " + result);
            }
        }
    }

    private static Result run(ToolCommand command, String... args) {
        List<String> all = new ArrayList<>(PROVIDER);
        all.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(command, new PrintWriter(out, true), new PrintWriter(err, true),
                all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    private record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }
}
