package io.cumulus.core.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes writes through but not {@link #close()}: encoders close their output when they finish, and
 * the owner of the target (an object upload) must decide itself whether it is then committed or aborted.
 */
public final class CloseShieldOutputStream extends FilterOutputStream {

    public CloseShieldOutputStream(OutputStream out) {
        super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
