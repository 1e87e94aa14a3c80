package io.cumulus.e2e;

/** Closing several resources so that one failing to close does not leave the others open. */
final class Cleanup {

    private Cleanup() {
    }

    /** Closes every non-null resource in order, then rethrows the first failure with the rest suppressed. */
    static void closeAll(AutoCloseable... resources) {
        RuntimeException failure = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                RuntimeException wrapped = e instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException("cleanup failed", e);
                if (failure == null) {
                    failure = wrapped;
                } else {
                    failure.addSuppressed(wrapped);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
