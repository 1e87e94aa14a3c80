package io.cumulus.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cumulus.testsupport.Command;
import io.cumulus.testsupport.PostgresUser;
import io.cumulus.testsupport.ToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A bucket written by barman-cloud 3.4 (the Debian package) is readable by Cumulus and the other way
 * round: WAL segments, plain and compressed, and timeline history files come back byte for byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarmanInteroperabilityTest {

    /** The WAL compressions barman-cloud 3.4 can both write and read, with its flags and key suffixes. */
    enum Compression {
        PLAIN(""), GZIP(".gz", "-z"), BZIP2(".bz2", "-j");

        final String suffix;
        final String[] flags;

        Compression(String suffix, String... flags) {
            this.suffix = suffix;
            this.flags = flags;
        }

        String lower() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String HISTORY = "00000002.history";
    private static final byte[] HISTORY_CONTENT =
            "1\t0/3000060\tno recovery target specified\n".getBytes(StandardCharsets.UTF_8);

    private S3ArchiveStore store;
    private Path work;
    private Path awsConfig;

    @BeforeAll
    void startStore() throws IOException {
        work = PostgresUser.createTempDir("cumulus-interop-");
        // boto3 takes path-style addressing (all S3Proxy serves on a bare IP) only from a config file
        awsConfig = Files.writeString(work.resolve("aws-config"), "[default]\ns3 =\n    addressing_style = path\n");
        store = S3ArchiveStore.start("interop", "pgcluster");
    }

    @AfterAll
    void cleanUp() {
        Cleanup.closeAll(store, () -> PostgresUser.deleteRecursively(work));
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void segmentsArchivedByBarmanAreRestoredByCumulus(Compression compression) {
        String segment = Wal.segmentName(1, 0x20 + compression.ordinal());
        assertCrossesOver("from-barman-" + compression.lower(), segment, compression.suffix,
                Wal.syntheticSegment(100 + compression.ordinal()),
                (server, wal) -> barman("barman-cloud-wal-archive", compression.flags).args(store.url(), server, wal),
                (server, destination) -> store.walRestore(server, segment, Path.of(destination)));
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void segmentsArchivedByCumulusAreRestoredByBarman(Compression compression) {
        String segment = Wal.segmentName(1, 0x30 + compression.ordinal());
        assertCrossesOver("from-cumulus-" + compression.lower(), segment, compression.suffix,
                Wal.syntheticSegment(200 + compression.ordinal()),
                (server, wal) -> store.walArchive(server, Path.of(wal), compression.flags),
                (server, destination) -> barman("barman-cloud-wal-restore").args(store.url(), server, segment,
                        destination));
    }

    @Test
    void historyFilesArchivedByBarmanAreRestoredByCumulus() {
        assertCrossesOver("history-from-barman", HISTORY, "", HISTORY_CONTENT,
                (server, wal) -> barman("barman-cloud-wal-archive").args(store.url(), server, wal),
                (server, destination) -> store.walRestore(server, HISTORY, Path.of(destination)));
    }

    @Test
    void historyFilesArchivedByCumulusAreRestoredByBarman() {
        assertCrossesOver("history-from-cumulus", HISTORY, "", HISTORY_CONTENT,
                (server, wal) -> store.walArchive(server, Path.of(wal)),
                (server, destination) -> barman("barman-cloud-wal-restore").args(store.url(), server, HISTORY,
                        destination));
    }

    /**
     * Archives {@code content} as {@code walName} with one tool, checks the object sits where barman's
     * layout puts it, restores it with the other tool and compares the bytes.
     */
    private void assertCrossesOver(String server, String walName, String suffix, byte[] content,
            BiFunction<String, String, Command> archiver, BiFunction<String, String, Command> restorer) {
        Path wal = Wal.write(caseDir(server), walName, content);
        String expectedKey = walName.endsWith(".history")
                ? server + "/wals/" + walName + suffix
                : server + "/wals/" + Wal.hashDir(walName) + "/" + walName + suffix;

        ToolResult archived = archiver.apply(server, wal.toString()).run();
        assertEquals(0, archived.exitCode(), archived::describe);
        assertEquals(List.of(expectedKey), store.keys(server + "/"), () -> "objects after\n" + archived.describe());

        Path restoredPath = work.resolve(server + "-restored");
        ToolResult restored = restorer.apply(server, restoredPath.toString()).run();
        assertEquals(0, restored.exitCode(), restored::describe);
        assertArrayEquals(content, Wal.read(restoredPath), () -> "restored bytes differ\n" + restored.describe());
    }

    /** A barman-cloud command (from the Debian package) pointed at the S3Proxy endpoint. */
    private Command barman(String tool, String... options) {
        List<String> args = new ArrayList<>(List.of(options));
        args.addAll(List.of("--endpoint-url", store.endpoint()));
        return Command.of(tool).args(args).env(Map.of(
                "AWS_ACCESS_KEY_ID", store.accessKey(),
                "AWS_SECRET_ACCESS_KEY", store.secretKey(),
                "AWS_DEFAULT_REGION", S3ArchiveStore.REGION,
                "AWS_CONFIG_FILE", awsConfig.toString(),
                "AWS_SHARED_CREDENTIALS_FILE", work.resolve("no-credentials-file").toString(),
                "AWS_EC2_METADATA_DISABLED", "true"));
    }

    /** A directory of its own per case: a WAL file's name is what the tools archive it as. */
    private Path caseDir(String name) {
        try {
            return Files.createDirectories(work.resolve(name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
