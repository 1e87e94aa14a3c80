package io.cumulus.storage;

import java.io.IOException;
import java.util.NoSuchElementException;

/**
 * A lazy listing: each page is fetched when the previous one is used up, so a listing of millions of
 * keys holds one page in memory.
 */
public interface BlobIterator {

    boolean hasNext() throws IOException;

    /** @throws NoSuchElementException when {@link #hasNext()} is false */
    BlobInfo next() throws IOException;

    /** Produces a listing's entries one at a time, fetching pages as it goes. */
    @FunctionalInterface
    interface Source {
        /** The next entry, or {@code null} when the listing is over. */
        BlobInfo nextOrNull() throws IOException;
    }

    /** A lazy iterator over what {@code source} produces: it is asked once per entry, and no more after null. */
    static BlobIterator from(Source source) {
        return new BlobIterator() {
            private BlobInfo next;
            private boolean over;

            @Override
            public boolean hasNext() throws IOException {
                if (next == null && !over) {
                    next = source.nextOrNull();
                    over = next == null;
                }
                return next != null;
            }

            @Override
            public BlobInfo next() throws IOException {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                BlobInfo result = next;
                next = null;
                return result;
            }
        };
    }

    /** An iterator over nothing. */
    static BlobIterator empty() {
        return new BlobIterator() {
            @Override
            public boolean hasNext() {
                return false;
            }

            @Override
            public BlobInfo next() {
                throw new NoSuchElementException();
            }
        };
    }
}
