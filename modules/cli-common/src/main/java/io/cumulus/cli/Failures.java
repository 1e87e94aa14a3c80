package io.cumulus.cli;

import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

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

    /**
     * {@link #describe(Throwable)}, and for a failure that the Java heap running out caused (itself or a
     * cause), the heap's size and how to raise it: the JDK says only "Java heap space".
     *
     * @param raise how to give this tool a larger heap, as its launcher takes it ("raise CUMULUS_HEAP ...")
     */
    public static String describe(Throwable failure, String raise) {
        return describe(failure, raise, Failures::maxHeap);
    }

    static String describe(Throwable failure, String raise, Supplier<String> heap) {
        String line = describe(failure);
        OutOfMemoryError exhausted = heapExhaustion(failure);
        if (exhausted == null) {
            return line;
        }
        String advice = "the Java heap (" + heap.get() + ") is too small: " + raise;
        return exhausted == failure ? "out of memory (" + line + "); " + advice : line + "; " + advice;
    }

    /**
     * The OutOfMemoryError of the heap among {@code failure} and its causes, or null. A thread, direct
     * memory or metaspace running out says so in its message, and is not the heap's: raising it would
     * not help.
     */
    static OutOfMemoryError heapExhaustion(Throwable failure) {
        Throwable t = failure;
        for (int depth = 0; t != null && depth < 20; depth++, t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                String message = oom.getMessage() == null ? "" : oom.getMessage().toLowerCase(Locale.ROOT);
                return message.isEmpty() || message.contains("heap") || message.contains("gc overhead")
                        || message.contains("direct buffer memory") ? oom : null;
            }
        }
        return null;
    }

    /**
     * The JVM's maximum heap as it was given ({@code -Xmx1g}, the last such option wins), or its size
     * when none was given. The management classes are loaded only here, on the way out.
     */
    static String maxHeap() {
        try {
            List<String> arguments = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
            for (int i = arguments.size() - 1; i >= 0; i--) {
                String argument = arguments.get(i);
                if (argument.startsWith("-Xmx") || argument.startsWith("-XX:MaxHeapSize=")) {
                    return argument;
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // a runtime without java.management: the size the JVM reports
        }
        return "at most " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB";
    }
}
