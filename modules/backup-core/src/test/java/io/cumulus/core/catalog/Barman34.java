package io.cumulus.core.catalog;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cumulus.core.util.ExternalCommand;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The backup.info reader and writer of the barman 3.4 installed on this machine (Debian's
 * python3-barman, importable by the system Python), run on a backup.info text: it loads the text
 * with {@code BackupInfo.load} and writes it back with {@code BackupInfo.save}, the code
 * barman-cloud 3.4 uses for both.
 */
final class Barman34 {

    private static final String PYTHON = "/usr/bin/python3";

    private static final String LOAD_AND_SAVE = String.join("\n",
            "import io, os, sys, time",
            "os.environ['TZ'] = sys.argv[1]",
            "time.tzset()",
            "from barman.infofile import BackupInfo",
            "info = BackupInfo(None)",
            "info.load(file_object=io.BytesIO(sys.stdin.buffer.read()))",
            "out = io.BytesIO()",
            "info.save(file_object=out)",
            "sys.stdout.buffer.write(out.getvalue())");

    private Barman34() {}

    /** Skips the calling test where barman 3.4's Python modules are not installed. */
    static void assumeInstalled() throws Exception {
        assumeTrue(ExternalCommand.available(PYTHON), PYTHON + " is missing");
        assumeTrue(ExternalCommand.run(List.of(PYTHON, "-c", "import barman.infofile"), new byte[0]).exitCode() == 0,
                "barman's Python modules are not installed");
    }

    /** What barman 3.4 writes after reading {@code text}, naive timestamps taken in {@code zone}. */
    static String loadAndSave(String text, String zone) throws Exception {
        byte[] out = ExternalCommand.run(List.of(PYTHON, "-c", LOAD_AND_SAVE, zone),
                text.getBytes(StandardCharsets.UTF_8)).successfulOutput();
        return new String(out, StandardCharsets.UTF_8);
    }
}
