package io.cumulus.postgres;

import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;

/**
 * The pgjdbc authentication plugin {@link ConnectionSettings} names when it resolved no password:
 * it answers "none", so pgjdbc cannot fall back on its own {@code .pgpass} lookup, which ignores
 * libpq's rules (a file readable by others is used, the socket directory is not matched). Public only
 * because pgjdbc instantiates it by class name.
 */
public final class NoPasswordPlugin implements AuthenticationPlugin {

    @Override
    public char[] getPassword(AuthenticationRequestType type) {
        return null;
    }
}
