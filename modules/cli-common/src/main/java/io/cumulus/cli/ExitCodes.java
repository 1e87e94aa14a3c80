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
    /**
     * cumulus-wal-restore only, and only when its launcher asks for it: success ({@link #OK}), which the
     * launcher turns back into 0. A bare 0 is then no proof that the tool ran: a launcher.sh emptied or cut
     * short returns 0 without starting Java, which PostgreSQL would take for a file restored at {@code %p}.
     */
    public static final int OK_FOR_LAUNCHER = 97;
    /** As {@link #OK_FOR_LAUNCHER}, for {@link #UNREACHABLE}: a shell's syntax error exits 2 too. */
    public static final int UNREACHABLE_FOR_LAUNCHER = 96;
    /** As {@link #OK_FOR_LAUNCHER}, for {@link #ERROR}. */
    public static final int ERROR_FOR_LAUNCHER = 95;
    /** As {@link #OK_FOR_LAUNCHER}, for {@link #ABORT_RECOVERY}. */
    public static final int ABORT_RECOVERY_FOR_LAUNCHER = 94;

    /**
     * The private code under which cumulus-wal-restore reports {@code code} to its launcher, which maps
     * only these back and takes any other status for a launcher or JVM that failed.
     */
    public static int forLauncher(int code) {
        switch (code) {
            case OK:
                return OK_FOR_LAUNCHER;
            case FAILED:
                return NOT_FOUND_FOR_LAUNCHER;
            case UNREACHABLE:
                return UNREACHABLE_FOR_LAUNCHER;
            case INVALID_INPUT:
                return INVALID_INPUT_FOR_LAUNCHER;
            case ERROR:
                return ERROR_FOR_LAUNCHER;
            case ABORT_RECOVERY:
                return ABORT_RECOVERY_FOR_LAUNCHER;
            default:
                return code;
        }
    }

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
