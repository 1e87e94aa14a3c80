package io.cumulus.cli.restore;

import io.cumulus.cli.Log;
import io.cumulus.core.restore.RestoreListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shows a running restore to a person: on a terminal, one status line (files, bytes, rate) rewritten
 * in place every second and erased at the end; elsewhere nothing but the log. The extraction threads
 * only add to counters; a timer thread prints.
 */
final class RestoreProgress implements RestoreListener, AutoCloseable {

    private final PrintWriter err;
    private final Log log;
    private final AtomicLong files = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService timer;
    private int lineLength;

    /** @param terminal whether {@code err} is a terminal a status line can be rewritten on */
    RestoreProgress(PrintWriter err, Log log, boolean terminal) {
        this.err = err;
        this.log = log;
        if (terminal) {
            timer = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "cumulus-restore-progress");
                thread.setDaemon(true);
                return thread;
            });
            timer.scheduleAtFixedRate(this::show, 1, 1, TimeUnit.SECONDS);
        } else {
            timer = null;
        }
    }

    @Override
    public void archiveStarted(String key, String target) {
        log.info("extracting " + key + " into " + target);
    }

    @Override
    public void fileRestored(String path, long size) {
        files.incrementAndGet();
        bytes.addAndGet(size);
    }

    @Override
    public void warning(String message) {
        synchronized (this) {
            erase();
        }
        log.warning(message);
    }

    private synchronized void show() {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        String line = String.format(Locale.ROOT, "restored %d files, %.1f MiB (%.1f MiB/s)", files.get(),
                bytes.get() / 1048576.0, bytes.get() / 1048576.0 / seconds);
        err.print("\r" + line + " ".repeat(Math.max(0, lineLength - line.length())));
        err.flush();
        lineLength = line.length();
    }

    private void erase() {
        if (lineLength > 0) {
            err.print("\r" + " ".repeat(lineLength) + "\r");
            err.flush();
            lineLength = 0;
        }
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            erase();
        }
    }
}
