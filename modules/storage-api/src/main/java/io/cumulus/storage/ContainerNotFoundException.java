package io.cumulus.storage;

import java.io.IOException;

/** The bucket, container or root directory that a store is opened on does not exist. */
public class ContainerNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    public ContainerNotFoundException(String message) {
        super(message);
    }

    public ContainerNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
