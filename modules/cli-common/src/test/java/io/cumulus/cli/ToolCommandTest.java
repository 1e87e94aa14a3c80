package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine.Command;
import org.junit.jupiter.api.Test;

class ToolCommandTest {

    @Command(name = "cumulus-restore")
    static final class OutOfHeap extends ToolCommand {
        @Override
        protected String heapVariable() {
            return "CUMULUS_HEAP";
        }

        @Override
        protected int execute() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    /** A restore reading the backup_manifest of a huge cluster said only "Java heap space". */
    @Test
    void aToolOutOfHeapSaysWhichVariableRaisesItWithTheExitCodeOfAnInternalError() {
        StringWriter err = new StringWriter();

        int code = ToolCommand.run(new OutOfHeap(), new PrintWriter(new StringWriter()), new PrintWriter(err));

        assertEquals(ExitCodes.ERROR, code);
        String line = err.toString().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.matches(".*ERROR: out of memory \\(Java heap space\\); the Java heap \\(.+\\) is too small: "
                + "(raise CUMULUS_HEAP \\(e.g. CUMULUS_HEAP=2g\\)|raise the -Xmx of CUMULUS_JVM_FLAGS.*)"), line);
    }
}
