package io.cumulus.core.util;

import java.util.regex.Pattern;

/**
 * Words of a POSIX shell command line that a tool writes for someone to run or paste (restore_command,
 * the {@code chown} of a message): each one the shell reads back as exactly the string it was.
 */
public final class ShellWords {

    /** Characters no shell treats specially anywhere in a word: such a word is written as it is. */
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private ShellWords() {}

    /**
     * {@code word} as one shell word: unchanged when it needs no quoting, so that common paths read as
     * they are, else in single quotes, each {@code '} written {@code '\''}.
     */
    public static String quote(String word) {
        return SAFE.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
    }
}
