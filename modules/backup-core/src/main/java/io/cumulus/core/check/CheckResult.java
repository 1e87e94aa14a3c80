package io.cumulus.core.check;

import java.util.Objects;

/**
 * The outcome of one check of {@code cumulus-check}: its name, whether it passed, what was found and,
 * when it failed, what to do about it.
 *
 * @param name the check's name as the output shows it, e.g. {@code archive_mode}
 * @param ok whether the check passed
 * @param message what was found, in one line
 * @param fix what to do, in one line; {@code null} when the check passed
 */
public record CheckResult(String name, boolean ok, String message, String fix) {

    public CheckResult {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(message, "message");
        if (!ok) {
            Objects.requireNonNull(fix, "a failed check says what to do");
        }
    }

    /** A passed check. */
    public static CheckResult ok(String name, String message) {
        return new CheckResult(name, true, message, null);
    }

    /** A failed check with its fix. */
    public static CheckResult failed(String name, String message, String fix) {
        return new CheckResult(name, false, message, fix);
    }
}
