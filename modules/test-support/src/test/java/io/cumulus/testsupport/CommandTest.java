package io.cumulus.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The process runner the fixtures and the end-to-end tests start every tool with. */
class CommandTest {

    @Test
    void capturesExitCodeStdoutAndStderrSeparately() {
        ToolResult result = Command.of("sh", "-c", "echo out; echo err >&2; exit 3").run();

        assertEquals(3, result.exitCode());
        assertEquals("out\n", result.stdout());
        assertEquals("err\n", result.stderr());
    }

    @Test
    void passesTheEnvironmentAlsoWhenRunningAsPostgres() {
        ToolResult result = Command.of("sh", "-c", "echo \"$CUMULUS_PROBE $(id -un)\"")
                .env("CUMULUS_PROBE", "probe-value").asPostgres().run();

        String expectedUser = PostgresUser.switchesUser() ? PostgresUser.NAME : System.getProperty("user.name");
        assertEquals("probe-value " + expectedUser + "\n", result.stdout(), result::describe);
    }

    @Test
    void aShellLineKeepsEveryArgumentAndVariableIntactAsArchiveCommandNeedsIt() {
        String tricky = "it's a \"path\" with $HOME and spaces";
        String line = Command.of("sh", "-c", "printf '%s|%s|%s\\n' \"$1\" \"$2\" \"$PROBE\"", "sh", tricky, "plain")
                .env("PROBE", "a b'c").toShellLine();

        ToolResult result = Command.of("sh", "-c", line).run();

        assertEquals(tricky + "|plain|a b'c\n", result.stdout(), result::describe);
    }

    @Test
    void aCommandThatOutlivesItsTimeoutIsKilledAndReported() {
        long started = System.nanoTime();
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> Command.of("sleep", "30").asPostgres().timeout(Duration.ofMillis(500)).run());

        assertTrue(failure.getMessage().contains("timed out"), failure::getMessage);
        assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 15);
    }

    @Test
    void aMissingToolIsReportedWithHowToPackageIt() {
        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> Tools.path("cumulus-no-such-tool"));

        assertTrue(failure.getMessage().contains("cumulus-no-such-tool"), failure::getMessage);
        assertTrue(failure.getMessage().contains("mvn"), failure::getMessage);
    }
}
