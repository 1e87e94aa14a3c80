package io.cumulus.core.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ShellWordsTest {

    @Test
    void wordsAreQuotedOnlyWhenNeeded() {
        assertEquals("s3://bucket/path", ShellWords.quote("s3://bucket/path"));
        assertEquals("/var/lib/postgresql/15/main", ShellWords.quote("/var/lib/postgresql/15/main"));
        assertEquals("'a b'", ShellWords.quote("a b"));
        assertEquals("'it'\\''s'", ShellWords.quote("it's"));
        assertEquals("'$HOME'", ShellWords.quote("$HOME"));
        assertEquals("''", ShellWords.quote(""));
    }
}
