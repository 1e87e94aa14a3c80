package io.cumulus.storage;

import java.io.IOException;
import java.util.List;

/** Some keys of a {@link BlobStore#deleteAll} could not be deleted, even one by one. */
public class BatchDeleteException extends IOException {
    private static final long serialVersionUID = 1L;
    private final List<String> failedKeys;

    public BatchDeleteException(List<String> failedKeys, Throwable cause) {
        super("could not delete " + failedKeys.size() + " object(s), first " + failedKeys.get(0)
                + (cause == null ? "" : ": " + cause.getMessage()), cause);
        this.failedKeys = List.copyOf(failedKeys);
    }

    /** The keys that are still there, in the order they were given. */
    public List<String> failedKeys() {
        return failedKeys;
    }
}
