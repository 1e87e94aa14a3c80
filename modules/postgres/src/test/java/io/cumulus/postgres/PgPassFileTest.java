package io.cumulus.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class PgPassFileTest {

    private static Optional<String> match(String line) {
        return PgPassFile.match(line, "db:host", "5432", "sales", "alice");
    }

    @Test
    void wildcardMatchesOnlyAsAWholeField() {
        assertEquals(Optional.of("pw"), PgPassFile.match("*:*:*:*:pw", "h", "5432", "d", "u"));
        assertEquals(Optional.empty(), PgPassFile.match("h*:*:*:*:pw", "h", "5432", "d", "u"));
        assertEquals(Optional.of("pw"), PgPassFile.match("h*:*:*:*:pw", "h*", "5432", "d", "u"));
    }

    @Test
    void backslashEscapesColonsAndBackslashesInFieldsAndPassword() {
        assertEquals(Optional.of("p:w\\d"), match("db\\:host:5432:sales:alice:p\\:w\\\\d"));
        assertEquals(Optional.empty(), match("other\\:host:5432:sales:alice:pw"));
        // libpq's quirk, kept: an unescaped colon still matches a colon in the value
        assertEquals(Optional.of("pw"), match("db:host:5432:sales:alice:pw"));
    }

    @Test
    void passwordEndsAtTheNextUnescapedColonAndMayBeEmpty() {
        assertEquals(Optional.of("pw"), match("db\\:host:*:*:*:pw:trailing"));
        assertEquals(Optional.of(""), match("db\\:host:*:*:*:"));
        assertEquals(Optional.of("pw"), match("db\\:host:*:*:*:pw\r"));
    }

    @Test
    void commentsBlankLinesAndShortLinesNeverMatch() {
        assertEquals(Optional.empty(), match("#db\\:host:*:*:*:pw"));
        assertEquals(Optional.empty(), match(""));
        assertEquals(Optional.empty(), match("db\\:host:*:*"));
        assertEquals(Optional.empty(), match("db\\:host:5433:*:*:pw"));
    }
}
