package io.cumulus.cli.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ToolCommand;
import io.cumulus.cli.walarchive.WalArchiveCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckWalArchiveCommandTest {

    @TempDir
    Path root;

    private final StringWriter err = new StringWriter();

    private int run(ToolCommand command, String... args) {
        return ToolCommand.run(command, new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    }

    @Test
    void testOnlyPassesAMissingBucketWithAWarningAsBarmanCloud34Does() {
        String missing = "file://" + root.resolve("no-such-directory");
        assertEquals(0, run(new CheckWalArchiveCommand(), "-t", missing, "main"), err.toString());
        assertTrue(err.toString().contains("WARNING") && err.toString().contains("does not exist")
                && err.toString().contains("cumulus-wal-archive fails until then"), err.toString());
        assertEquals(0, run(new CheckWalArchiveCommand(), missing, "main"), err.toString());
        assertEquals(0, run(new CheckWalArchiveCommand(), "-t", "file://" + root, "main"), err.toString());
    }

    @Test
    void theOtherToolsTestStillFailsOnAMissingBucket() {
        assertEquals(1, run(new WalArchiveCommand(), "-t", "file://" + root.resolve("no-such-directory"), "main"),
                err.toString());
    }
}
