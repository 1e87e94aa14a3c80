package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive/restore flow against an s3:// store over HTTPS, as most sites reach one: S3Proxy with a
 * self-signed certificate that the tools trust through {@code AWS_CA_BUNDLE} (barman-cloud's setting),
 * every call made with {@code CUMULUS_TLS=conscrypt}, which fails unless the packaged tool loads
 * Conscrypt's native library. Then the packaging of that library, and what a wrong trust setting does.
 */
class WalArchiveRestoreS3OverTlsTest extends WalArchiveRestoreFlowTest {

    private static final String SEGMENT = "000000010000000000000042";

    @TempDir
    Path temp;

    @Override
    protected ArchiveStore openStore() {
        return S3ArchiveStore.startHttps("e2e-wal-tls", "cluster/main");
    }

    @Test
    void everyToolCarriesConscryptsLibraryBesideItsJarNotInIt() throws IOException {
        for (String module : List.of("cli-wal-archive", "cli-restore", "cli-backup", "cli-check")) {
            Path lib = Tools.root().resolve("dist").resolve(module).resolve("lib");
            assertTrue(Files.isRegularFile(lib.resolve("native/libconscrypt_openjdk_jni-linux-x86_64.so")), module);
            try (var jars = Files.newDirectoryStream(lib, "conscrypt-openjdk-uber-*.jar")) {
                int seen = 0;
                for (Path jar : jars) {
                    seen++;
                    try (ZipFile zip = new ZipFile(jar.toFile())) {
                        // a library inside the jar would be unpacked into /tmp by every call
                        assertTrue(zip.stream().noneMatch(entry -> entry.getName().startsWith("META-INF/native/")), jar.toString());
                        assertTrue(zip.getEntry("org/conscrypt/Conscrypt.class") != null, jar.toString());
                    }
                }
                assertEquals(1, seen, module);
            }
        }
    }

    @Test
    void theAsyncUploaderAndThePrefetchWorkerTalkTlsToo() throws Exception {
        // the detached workers are JVMs of their own, started by the launcher with other flags
        Path pgWal = Files.createDirectories(temp.resolve("async/pg_wal"));
        Path status = Files.createDirectories(pgWal.resolve("archive_status"));
        List<String> names = List.of("000000010000000000000050", "000000010000000000000051", "000000010000000000000052");
        for (int i = 0; i < names.size(); i++) {
            Wal.write(pgWal, names.get(i), Wal.syntheticSegment(50 + i));
            Files.createFile(status.resolve(names.get(i) + ".ready"));
        }
        Path archiveSpool = temp.resolve("archive-spool");
        Path restoreSpool = temp.resolve("restore-spool");
        try {
            for (String name : names) {
                ToolResult archived = store().walArchive("tls-async", pgWal.resolve(name), "--async", "--spool-dir",
                        archiveSpool.toString(), "--max-parallel", "2").run();
                assertEquals(0, archived.exitCode(), archived::describe);
                Files.move(status.resolve(name + ".ready"), status.resolve(name + ".done"));
            }
            assertEquals(names.size(), store().keys("tls-async/").size(), () -> store().keys("tls-async/").toString());

            Path first = temp.resolve("restored-first");
            ToolResult restored = store().walRestore("tls-async", names.get(0), first, "--prefetch", "2", "--spool-dir",
                    restoreSpool.toString()).run();
            assertEquals(0, restored.exitCode(), restored::describe);
            assertArrayEquals(Wal.read(pgWal.resolve(names.get(0))), Wal.read(first));
            // the next two are fetched by the prefetch worker alone, over the same TLS
            Path prefetched = awaitFileNamed(restoreSpool, names.get(2), Duration.ofSeconds(60));
            assertArrayEquals(Wal.read(pgWal.resolve(names.get(2))), Wal.read(prefetched));
        } finally {
            BackgroundWorkers.killAll(BackgroundWorkers.UPLOADER, archiveSpool);
            BackgroundWorkers.killAll(BackgroundWorkers.PREFETCHER, restoreSpool);
        }
    }

    /** The complete spool file called {@code name} under {@code dir}, once one appears. */
    private static Path awaitFileNamed(Path dir, String name, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.walk(dir)) {
                    Optional<Path> found = files.filter(file -> file.getFileName().toString().equals(name))
                            .filter(Files::isRegularFile).findFirst();
                    if (found.isPresent()) {
                        return found.get();
                    }
                } catch (UncheckedIOException e) {
                    // the worker renamed a temporary file while the walk looked at it: look again
                    if (!(e.getCause() instanceof NoSuchFileException)) {
                        throw e;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + name + " in " + dir + " after " + timeout);
    }

    @Test
    void aCaBundleThatIsGoneIsABadSettingThatStopsArchiveRecovery() throws IOException {
        Path gone = temp.resolve("gone.pem");
        Path wal = Wal.write(Files.createDirectories(temp.resolve("pg_wal")), SEGMENT, Wal.syntheticSegment(42));
        ToolResult archive = store().walArchive("tls-server", wal).env("AWS_CA_BUNDLE", gone.toString()).run();
        assertEquals(3, archive.exitCode(), archive::describe);
        assertTrue(archive.stderr().contains("AWS_CA_BUNDLE names " + gone + ", which does not exist"), archive::describe);
        assertEquals(List.of(), store().keys("tls-server/"));

        Path destination = temp.resolve("restored");
        ToolResult byHand = store().walRestore("tls-server", SEGMENT, destination).env("AWS_CA_BUNDLE", gone.toString()).run();
        assertEquals(3, byHand.exitCode(), byHand::describe);
        // in archive recovery, PostgreSQL would take 3 for the end of the archive and promote early
        Path dataDirectory = Files.createDirectories(temp.resolve("pgdata"));
        Files.createFile(dataDirectory.resolve("recovery.signal"));
        ToolResult inRecovery = store().walRestore("tls-server", SEGMENT, destination).env("AWS_CA_BUNDLE", gone.toString())
                .directory(dataDirectory).run();
        assertEquals(128, inRecovery.exitCode(), inRecovery::describe);
        assertFalse(Files.exists(destination));
    }

    @Test
    void aStoreWhoseCertificateNoTrustedAuthoritySignedIsRefusedWithTheSettingToMend() throws IOException {
        Path wal = Wal.write(Files.createDirectories(temp.resolve("pg_wal")), SEGMENT, Wal.syntheticSegment(43));
        // no AWS_CA_BUNDLE: the runtime's default authorities, which never signed the test certificate
        ToolResult archive = store().walArchive("untrusted", wal).env("AWS_CA_BUNDLE", "").run();
        assertEquals(4, archive.exitCode(), archive::describe);
        assertTrue(archive.stderr().contains("no trusted TLS connection") && archive.stderr().contains("AWS_CA_BUNDLE"),
                archive::describe);
        assertEquals(1, archive.stderr().strip().lines().count(), archive::describe);
        assertEquals(List.of(), store().keys("untrusted/"));
    }
}
