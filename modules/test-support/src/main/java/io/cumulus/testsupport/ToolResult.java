package io.cumulus.testsupport;

import java.time.Duration;
import java.util.List;

/**
 * What one finished process left behind: its exit code and everything it wrote. The environment is
 * deliberately not kept, so a result can be printed in a failure message without leaking secrets.
 */
public record ToolResult(List<String> command, int exitCode, String stdout, String stderr, Duration elapsed) {

    public ToolResult {
        command = List.copyOf(command);
    }

    public boolean succeeded() {
        return exitCode == 0;
    }

    /** stdout followed by stderr, for assertions on "what the user saw". */
    public String output() {
        return stdout + stderr;
    }

    /** A multi-line account of the run for assertion messages. */
    public String describe() {
        return "command: " + String.join(" ", command)
                + "\nexit code: " + exitCode + " (after " + elapsed.toMillis() + " ms)"
                + "\n--- stdout ---\n" + stdout
                + "\n--- stderr ---\n" + stderr;
    }

    @Override
    public String toString() {
        return describe();
    }
}
