package io.cumulus.core.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Lets a loop that has nothing to do sleep until something happens in one directory instead of
 * looking at it every few milliseconds: {@link #await} returns when a file was created (or removed,
 * as asked) there since the previous wait, or after the time given, whichever comes first. Where the
 * file system reports nothing (no inotify, some network file systems) it only sleeps that time, so
 * callers give the longest delay they can accept for a change they must notice.
 */
public final class DirectoryWatch implements Closeable {

    /** The kernel's reports, or null where the file system makes none. */
    private final WatchService service;

    private DirectoryWatch(WatchService service) {
        this.service = service;
    }

    /** Watches {@code directory} for the {@code kinds} of change given (such as ENTRY_CREATE). */
    public static DirectoryWatch on(Path directory, WatchEvent.Kind<?>... kinds) {
        WatchService service;
        try {
            service = directory.getFileSystem().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            return new DirectoryWatch(null);
        }
        try {
            directory.register(service, kinds);
            return new DirectoryWatch(service);
        } catch (IOException | UnsupportedOperationException e) {
            closeQuietly(service);
            return new DirectoryWatch(null);
        }
    }

    /** Whether changes are reported, rather than only waited for (for tests). */
    boolean reportsChanges() {
        return service != null;
    }

    /** Waits until a change was reported since the previous call, or for {@code atMost}. */
    public void await(Duration atMost) throws InterruptedException {
        long millis = Math.max(0, atMost.toMillis());
        if (service == null) {
            Thread.sleep(millis);
            return;
        }
        WatchKey key = service.poll(millis, TimeUnit.MILLISECONDS);
        if (key != null) {
            key.pollEvents();
            key.reset();
        }
    }

    @Override
    public void close() {
        if (service != null) {
            closeQuietly(service);
        }
    }

    private static void closeQuietly(WatchService service) {
        try {
            service.close();
        } catch (IOException e) {
            // nothing is lost: the watch only shortened waits
        }
    }
}
