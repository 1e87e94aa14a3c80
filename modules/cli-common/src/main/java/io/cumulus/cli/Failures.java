package io.cumulus.cli;

import java.nio.file.NoSuchFileException;

/** Turns a failure into the one line a DBA reads. */
public final class Failures {
    private Failures() {
    }

    /** The one line naming {@code failure}. */
    public static String describe(Throwable failure) {
        if (failure instanceof NoSuchFileException e) {
            return "no such file or directory: " + e.getFile();
        }
        if (failure instanceof java.nio.file.AccessDeniedException e && e.getReason() == null && e.getFile() != null
                && e.getFile().startsWith("/")) { // a file system's: a store's names its reason in its message
            return "permission denied: " + e.getFile();
        }
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.toString() : message;
    }
}
