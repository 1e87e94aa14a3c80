package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The one line a failure becomes. */
class FailuresTest {

    /**
     * The JDK's refusals carry only the path, so the line names what happened; a store's refusal names
     * its reason in its message already, which once became "permission denied: access denied to s3://…".
     */
    @Test
    void aFileSystemsRefusalIsNamedAndAStoresIsLeftAsItSaysIt() {
        assertEquals("permission denied: /srv/pg/main", Failures.describe(new AccessDeniedException("/srv/pg/main")));
        assertEquals("no such file or directory: /srv/pg", Failures.describe(new NoSuchFileException("/srv/pg")));
        assertEquals("access denied to s3://bkt: check the credentials (HTTP 403)",
                Failures.describe(new AccessDeniedException("access denied to s3://bkt: check the credentials (HTTP 403)")));
        assertEquals("/x: not allowed", Failures.describe(new AccessDeniedException("/x", null, "not allowed")));
    }
}
