package io.cumulus.cli.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.Log;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class RestoreProgressTest {

    @Test
    void terminalShowsAStatusLineAndErasesItAtTheEnd() throws Exception {
        StringWriter err = new StringWriter();
        PrintWriter writer = new PrintWriter(err, true);
        try (RestoreProgress progress = new RestoreProgress(writer, new Log(writer, 30), true)) {
            progress.fileRestored("base/5/1259", 3 << 20);
            progress.fileRestored("PG_VERSION", 3);
            Thread.sleep(1300);
        }
        String text = err.toString();
        assertTrue(text.startsWith("\rrestored 2 files, 3.0 MiB ("), text);
        assertTrue(text.endsWith("\r"), text);
    }

    @Test
    void elsewhereNothingButWarnings() {
        StringWriter err = new StringWriter();
        PrintWriter writer = new PrintWriter(err, true);
        try (RestoreProgress progress = new RestoreProgress(writer, new Log(writer, 30), false)) {
            progress.fileRestored("base/5/1259", 10);
        }
        assertEquals("", err.toString());
    }
}
