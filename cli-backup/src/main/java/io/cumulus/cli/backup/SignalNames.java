package io.cumulus.cli.backup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Which signal stopped the JVM, for the one line that reports it: a handler that notes the signal's name,
 * then hands it to the JVM's own handler, which starts the shutdown (exit code 128 + the signal's number)
 * as before. A signal the JVM does not handle (ignored by the parent, as SIGINT for a background job of
 * a non-interactive shell, or taken by {@code -Xrs}) is left as it was.
 */
final class SignalNames {

    private SignalNames() {
    }

    /**
     * Notes in {@code received} the first of {@code names} (as "TERM", "INT") the process receives, as
     * "SIGTERM", "SIGINT"; returns what puts the previous handlers back.
     */
    static List<Runnable> record(AtomicReference<String> received, String... names) {
        List<Runnable> restore = new ArrayList<>();
        for (String name : names) {
            try {
                Signal signal = new Signal(name);
                SignalHandler[] previous = new SignalHandler[1];
                previous[0] = Signal.handle(signal, s -> {
                    received.compareAndSet(null, "SIG" + name);
                    SignalHandler jvms = previous[0];
                    if (jvms != null) {
                        jvms.handle(s);
                    } else { // the signal came before Signal.handle returned: what the JVM's handler does
                        Runtime.getRuntime().exit(128 + s.getNumber());
                    }
                });
                if (previous[0] == SignalHandler.SIG_IGN || previous[0] == SignalHandler.SIG_DFL) {
                    Signal.handle(signal, previous[0]); // not the JVM's: leave it alone
                } else {
                    restore.add(() -> Signal.handle(signal, previous[0]));
                }
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError unavailable) {
                // the signal is the JVM's own (-Xrs) or sun.misc.Signal is missing: the line names no signal
            }
        }
        return restore;
    }
}
