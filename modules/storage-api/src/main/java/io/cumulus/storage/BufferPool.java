package io.cumulus.storage;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Upload buffers kept for the next object or part of the same size. A process that stores many objects
 * one after the other (the {@code --async} uploader: a 16 MiB buffer per WAL segment, several at once) would
 * otherwise allocate a large array per object, and every young collection would stop all uploads to copy
 * the buffers in flight. A buffer is given back only after the request that sent it has returned, and only
 * arrays of at least {@link #SMALLEST} bytes, all of one size, are kept, up to a capacity in all
 * ({@link #SHARED}'s: a quarter of the heap, at most 256 MiB).
 */
final class BufferPool {

    static final int SMALLEST = 1 << 20;

    /** The pool of this JVM's upload streams. */
    static final BufferPool SHARED = new BufferPool(Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 4));

    private final long capacity;
    /** The buffers kept, all of {@link #size} bytes. */
    private final Deque<byte[]> free = new ArrayDeque<>();
    private int size;

    BufferPool(long capacity) {
        this.capacity = capacity;
    }

    /** A buffer of exactly {@code size} bytes, with whatever content it last had. */
    synchronized byte[] take(int size) {
        return size == this.size && !free.isEmpty() ? free.pop() : new byte[size];
    }

    /**
     * Keeps {@code buffer} for a later {@link #take}; the caller must not use it any more. Buffers of one
     * size only are kept: one of another size (a backup's parts have grown) lets the others go, so that the
     * pool never holds buffers nobody will ask for.
     */
    synchronized void give(byte[] buffer) {
        if (buffer == null || buffer.length < SMALLEST) {
            return;
        }
        if (buffer.length != size) {
            free.clear();
            size = buffer.length;
        }
        if (kept() + buffer.length <= capacity) {
            free.push(buffer);
        }
    }

    /** Bytes kept now. */
    synchronized long kept() {
        return (long) size * free.size();
    }
}
