package io.cumulus.storage;

import java.io.IOException;

/** The store could not be reached or answered with a transient failure; the same call may succeed later. */
public class StoreUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
