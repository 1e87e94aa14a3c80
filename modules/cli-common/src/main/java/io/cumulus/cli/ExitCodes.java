package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import io.cumulus.core.OperationFailedException;
import io.cumulus.storage.ContainerNotFoundException;
import io.cumulus.storage.StoreConfigurationException;
import io.cumulus.storage.StoreUnavailableException;

/**
 * The exit codes of every Cumulus tool: barman-cloud's classes (reference §1.2), plus one of our own
 * for recovery. Documented in docs/exit-codes.md.
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** The operation itself failed: WAL or backup not found, duplicate WAL with other content, bucket missing. */
    public static final int FAILED = 1;
    /** The store could not be reached. */
    public static final int UNREACHABLE = 2;
    /** Invalid input: a malformed argument, option, WAL name or rule, or a store setting of this host (a CA bundle). */
    public static final int INVALID_INPUT = 3;
    /** Any other error (access denied, unexpected store answer, local I/O error). */
    public static final int ERROR = 4;
    /**
     * cumulus-wal-restore only, during archive recovery: a failure that is neither "not in the
     * archive" nor invalid arguments (the store unavailable or refusing access for the whole retry
     * window, a host setting such as a CA bundle gone wrong, a broken installation, a JVM that could
     * not start, which the launcher maps). PostgreSQL treats any exit code above 125
     * as fatal and stops recovery, instead of taking the failure for the end of the archive and
     * promoting early.
     */
    public static final int ABORT_RECOVERY = 128;
    /**
     * cumulus-wal-restore only, and only when its launcher asks for it: "not in the archive" ({@link #FAILED}),
     * which the launcher turns back into 1. Any 1 the launcher sees is then a JVM that failed before the
     * tool ran (a jar missing, a heap it could not reserve, a bad option), not an answer.
     */
    public static final int NOT_FOUND_FOR_LAUNCHER = 99;
    /**
     * cumulus-wal-restore only, and only when its launcher asks for it: invalid input ({@link #INVALID_INPUT}),
     * which the launcher turns back into 3. Java itself exits 3 when it runs out of memory under
     * {@code -XX:+ExitOnOutOfMemoryError} (a flag a site may put in CUMULUS_JAVA_OPTS), which must not pass
     * for the tool's answer: during archive recovery PostgreSQL would take it for the end of the archive.
     */
    public static final int INVALID_INPUT_FOR_LAUNCHER = 98;

    private ExitCodes() {
    }

    /** The exit code for a failure. */
    public static int forFailure(Throwable failure) {
        if (failure instanceof InvalidInputException || failure instanceof StoreConfigurationException
                || failure instanceof picocli.CommandLine.ParameterException) {
            return INVALID_INPUT;
        }
        if (failure instanceof OperationFailedException || failure instanceof ContainerNotFoundException) {
            return FAILED;
        }
        if (failure instanceof StoreUnavailableException) {
            return UNREACHABLE;
        }
        return ERROR;
    }
}
