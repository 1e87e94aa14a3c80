package io.cumulus.cli.walrestore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.cumulus.cli.PrebuiltModel;
import io.cumulus.cli.ToolCommand;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** cumulus-wal-restore parses its arguments with a model built at packaging time: the same parse, the same answers. */
class WalRestoreModelTest {

    private static final List<String[]> RESTORE_COMMANDS = List.of(
            new String[] {"s3://bucket/path", "pg", "000000010000000000000001", "pg_wal/RECOVERYXLOG"},
            new String[] {"--endpoint-url", "http://127.0.0.1:9000", "s3://b/p", "pg", "00000002.history", "x"},
            new String[] {"--prefetch", "8", "--spool-dir", "/var/spool/cumulus", "--retry-timeout=0", "--no-partial",
                    "s3://b/p", "pg", "000000010000000000000001", "pg_wal/RECOVERYXLOG"},
            new String[] {"--prefetch-worker", "--spool-key=abc", "--segment-size", "16777216", "--prefetch", "4",
                    "--spool-dir", "/s", "s3://b/p", "pg", "000000010000000000000001", "/x"},
            new String[] {"-vv", "--cloud-provider", "azure-blob-storage", "--credential", "managed-identity",
                    "https://a.blob.core.windows.net/c/p", "pg", "000000010000000000000001", "x"},
            new String[] {"-q", "-P", "profile", "--read-timeout", "10", "s3://b/p", "pg", "w", "x"},
            new String[] {"-t", "s3://b/p", "pg"},
            new String[] {"--help"},
            new String[] {"--version"},
            new String[] {},
            new String[] {"s3://b/p"},
            new String[] {"--bogus", "s3://b/p", "pg", "w", "x"},
            new String[] {"--prefetch", "lots", "s3://b/p", "pg", "w", "x"},
            new String[] {"s3://b/p", "pg", "w", "x", "y"});

    @Test
    void thePackagedModelIsTheOneTheAnnotationsDescribe() throws Exception {
        String resource = "META-INF/cumulus/picocli/" + WalRestoreCommand.class.getName() + ".model";
        try (InputStream model = WalRestoreCommand.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(model, resource + " is built at process-classes");
            List<String> lines = Arrays.asList(new String(model.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
            assertEquals(PrebuiltModel.describe(WalRestoreCommand.class), lines);
        }
    }

    @Test
    void everyRestoreCommandParsesAsWithTheAnnotations() throws Exception {
        assertEquals(List.of(), PrebuiltModel.disagreements(WalRestoreCommand::new, RESTORE_COMMANDS));
    }

    @Test
    void helpVersionAndBadInputAreAnsweredAsBefore() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"-V"}, new String[] {"--bogus", "u", "s"},
                new String[] {"s3://b/p"}, new String[] {"--max-parallel", "x", "u", "s", "w"})) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = ToolCommand.run(() -> WalRestoreCommand.withArguments(args), new PrintWriter(out, true),
                    new PrintWriter(err, true), args);
            StringWriter annotatedOut = new StringWriter();
            StringWriter annotatedErr = new StringWriter();
            int annotatedCode = ToolCommand.run(WalRestoreCommand.withArguments(args),
                    new PrintWriter(annotatedOut, true), new PrintWriter(annotatedErr, true), args);
            String vector = String.join(" ", args);
            assertEquals(annotatedCode, code, vector);
            assertEquals(annotatedOut.toString(), out.toString(), vector);
            assertEquals(annotatedErr.toString(), err.toString(), vector);
        }
    }
}
