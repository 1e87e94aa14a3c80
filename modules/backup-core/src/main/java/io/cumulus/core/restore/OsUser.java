package io.cumulus.core.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The OS user a restore runs as: its effective uid, which Linux gives {@code /proc/self} (empty where
 * there is no /proc), and its name, for messages.
 */
record OsUser(OptionalInt uid, String name) {

    static OsUser current() {
        OptionalInt uid;
        try {
            uid = OptionalInt.of(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue());
        } catch (IOException | RuntimeException e) {
            uid = OptionalInt.empty();
        }
        return new OsUser(uid, System.getProperty("user.name"));
    }

    /** Whether it is root: uid 0, or where the uid is unknown, the name. */
    boolean isRoot() {
        return uid.isPresent() ? uid.getAsInt() == 0 : "root".equals(name);
    }
}
