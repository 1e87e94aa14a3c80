package io.cumulus.storage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream whose read failures pass through a provider's translate function: SDK streams wrap
 * service failures (not found, access denied, unavailable) in plain exceptions, and callers need the
 * typed {@link java.io.IOException}s the {@link BlobStore} contract promises.
 */
public final class TranslatingInputStream extends FilterInputStream {

    /** A provider's translation of a failure raised while reading one object. */
    @FunctionalInterface
    public interface Translator {
        IOException translate(Exception failure);
    }

    private final Translator translator;

    public TranslatingInputStream(InputStream in, Translator translator) {
        super(in);
        this.translator = translator;
    }

    @Override
    public int read() throws IOException {
        try {
            return super.read();
        } catch (IOException | RuntimeException e) {
            throw translator.translate(e);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return super.read(b, off, len);
        } catch (IOException | RuntimeException e) {
            throw translator.translate(e);
        }
    }
}
