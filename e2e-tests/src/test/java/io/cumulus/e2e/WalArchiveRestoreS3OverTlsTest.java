package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.testsupport.ToolResult;
import io.cumulus.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
