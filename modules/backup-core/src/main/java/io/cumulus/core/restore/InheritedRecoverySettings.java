package io.cumulus.core.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The recovery settings a restored data directory carries over from the cluster it was backed up
 * from. A cluster that was itself restored and promoted keeps that recovery's {@code restore_command}
 * and {@code recovery_target*} lines in postgresql.auto.conf (PostgreSQL never removes them), and every
 * later base backup copies them: left active, an old {@code recovery_target_time} silently stops a
 * later recovery early, and an old target beside a new one keeps PostgreSQL from starting ("multiple
 * recovery targets specified"). This class finds such lines as PostgreSQL reads them, comments them
 * out of postgresql.auto.conf before cumulus-restore appends its own, and words the warnings.
 */
public final class InheritedRecoverySettings {

    /** The settings that configure an archive recovery; cumulus-restore may write any of them. */
    public static final Set<String> RECOVERY_SETTINGS = Set.of("restore_command", "recovery_target",
            "recovery_target_time", "recovery_target_lsn", "recovery_target_xid", "recovery_target_name",
            "recovery_target_inclusive", "recovery_target_action", "recovery_target_timeline");

    /** Settings whose value may hold a credential (an inline AWS key, a password): named, never shown. */
    static final Set<String> SECRET_BEARING = Set.of("restore_command", "primary_conninfo");

    /** What a standby streams from, when it streams. */
    static final Set<String> STREAMING_SETTINGS = Set.of("primary_conninfo", "primary_slot_name");

    static final String AUTO_CONF = "postgresql.auto.conf";
    static final String CONF = "postgresql.conf";

    // One line as PostgreSQL's configuration lexer (guc-file.l) reads it: a name, qualified or not and
    // case-insensitive; '=' or at least a blank; a quoted string ('' and \' inside) or a bare word;
    // an optional comment. Files are read as ISO-8859-1, so the lexer's bytes 0x80-0xFF are \u0080-\u00FF.
    private static final String ID = "[A-Za-z_\\u0080-\\u00FF][A-Za-z0-9_\\u0080-\\u00FF]*";
    private static final String BLANK = "[ \\t\\f\\r]";
    private static final Pattern SETTING = Pattern.compile(BLANK + "*(" + ID + "(?:\\." + ID + ")?)"
            + "(?:" + BLANK + "*=" + BLANK + "*|" + BLANK + "+)"
            + "('(?:[^'\\\\\\n]|''|\\\\.)*'|[^ \\t\\f\\r#'=]+)" + BLANK + "*(?:#.*)?");

    private static final String LEFT_OVER = "carried over from the backed-up cluster (an earlier recovery's"
            + " setting, which PostgreSQL never removes)";

    private InheritedRecoverySettings() {
    }

    /**
     * Before a new recovery block is appended: comments out, in the data directory's
     * postgresql.auto.conf, every active line setting a recovery setting or one of {@code written},
     * each prefixed with {@code # disabled by cumulus-restore <time>: }. The data directory's
     * postgresql.conf is only read, never changed.
     *
     * @param written the names the new block sets
     * @return a warning for each line commented out, and for each line of postgresql.conf setting a
     *     recovery setting the new block does not override
     */
    public static List<String> disableForNewRecovery(Path dataDirectory, Set<String> written) throws IOException {
        return disableForNewRecovery(dataDirectory, written, Instant.now());
    }

    static List<String> disableForNewRecovery(Path dataDirectory, Set<String> written, Instant now)
            throws IOException {
        Set<String> disabled = new HashSet<>(RECOVERY_SETTINGS);
        disabled.addAll(written);
        List<String> warnings = new ArrayList<>();
        Path autoConf = dataDirectory.resolve(AUTO_CONF);
        if (Files.isSymbolicLink(autoConf)) {
            for (Line line : find(autoConf, disabled)) {
                warnings.add(AUTO_CONF + " is a symbolic link, which cumulus-restore does not rewrite: line "
                        + line.number() + " sets " + line.text() + ", " + LEFT_OVER + ", which PostgreSQL applies"
                        + " to this recovery too unless this block sets it: comment it out before starting"
                        + " PostgreSQL");
            }
        } else if (Files.isRegularFile(autoConf, LinkOption.NOFOLLOW_LINKS)) {
            String note = "# disabled by cumulus-restore "
                    + DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS)) + ": ";
            for (Line line : commentOut(autoConf, disabled, note)) {
                warnings.add(AUTO_CONF + " line " + line.number() + " set " + line.text() + ", " + LEFT_OVER
                        + ": commented out, so that only the settings cumulus-restore appends apply to this"
                        + " recovery");
            }
        }
        Set<String> notOverridden = new HashSet<>(RECOVERY_SETTINGS);
        notOverridden.removeAll(written);
        for (Line line : find(dataDirectory.resolve(CONF), notOverridden)) {
            warnings.add(CONF + " in the data directory sets " + line.text() + " (line " + line.number()
                    + "), which PostgreSQL applies to this recovery too (a second target keeps it from starting,"
                    + " an old one stops the recovery early): comment it out before starting PostgreSQL unless"
                    + " you mean it");
        }
        return warnings;
    }

    /**
     * For a restore that configures no recovery: a warning for each line of the data directory's
     * postgresql.auto.conf and postgresql.conf that sets a recovery setting, which PostgreSQL would
     * apply to whatever recovery is configured by hand (postgresql.auto.conf's over postgresql.conf's).
     */
    public static List<String> warningsWithoutRecovery(Path dataDirectory) throws IOException {
        return warnings(dataDirectory, RECOVERY_SETTINGS, file -> ", " + LEFT_OVER + ": PostgreSQL applies it to any"
                + " recovery of this copy" + (file.equals(AUTO_CONF) ? ", over postgresql.conf" : "")
                + "; comment it out before starting a recovery unless you mean it");
    }

    /**
     * For a restore configured as a standby: a warning for each line of the data directory's
     * postgresql.auto.conf and postgresql.conf that sets primary_conninfo or primary_slot_name, carried
     * over from the backed-up cluster (a backup of a standby, or of a cluster made with pg_basebackup -R):
     * the new standby also streams from that server, which may be the old primary. Values are not shown.
     */
    public static List<String> standbyStreamingWarnings(Path dataDirectory) throws IOException {
        return warnings(dataDirectory, STREAMING_SETTINGS, file -> ", carried over from the backed-up cluster: this"
                + " standby streams from that server too, besides restoring WAL from the store; remove the line"
                + " unless that server is this standby's primary");
    }

    /**
     * A warning for each line of postgresql.auto.conf and then postgresql.conf (of the data directory)
     * that sets one of {@code names}: where, the line, and {@code tail} of the file.
     */
    private static List<String> warnings(Path dataDirectory, Set<String> names,
            java.util.function.Function<String, String> tail) throws IOException {
        List<String> warnings = new ArrayList<>();
        for (String file : List.of(AUTO_CONF, CONF)) {
            for (Line line : find(dataDirectory.resolve(file), names)) {
                warnings.add((file.equals(CONF) ? CONF + " in the data directory" : AUTO_CONF) + " line "
                        + line.number() + " sets " + line.text() + tail.apply(file));
            }
        }
        return warnings;
    }

    /**
     * An active line setting one of the settings looked for: its 1-based number, the setting's name in
     * lower case, its value as PostgreSQL reads it (unquoted, decoded as UTF-8), and its text for a message.
     */
    record Line(int number, String name, String value, String text) {
    }

    /** The active lines of {@code file} that set one of {@code names}; none when there is no such file. */
    static List<Line> find(Path file, Set<String> names) throws IOException {
        return Files.isRegularFile(file) ? scan(read(file), names, null, null) : List.of();
    }

    /** Comments out the lines {@link #find} would return, each prefixed with {@code note}; writes only on a change. */
    static List<Line> commentOut(Path file, Set<String> names, String note) throws IOException {
        StringBuilder rewritten = new StringBuilder();
        List<Line> lines = scan(read(file), names, note, rewritten);
        if (!lines.isEmpty()) {
            Files.write(file, rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
        }
        return lines;
    }

    /** ISO-8859-1, so that every byte, whatever the file's encoding, is written back as it was. */
    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    }

    private static List<Line> scan(String text, Set<String> names, String note, StringBuilder rewritten) {
        List<Line> found = new ArrayList<>();
        int number = 0;
        for (int start = 0; start < text.length(); ) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            String line = text.substring(start, newline < 0 ? end : newline);
            number++;
            Matcher setting = SETTING.matcher(line);
            boolean matched = setting.matches() && names.contains(setting.group(1).toLowerCase(Locale.ROOT));
            if (matched) {
                String name = setting.group(1).toLowerCase(Locale.ROOT);
                found.add(new Line(number, name, decoded(unquoted(setting.group(2))), SECRET_BEARING.contains(name)
                        ? name + " = … (not shown: it may hold credentials)" : shown(line)));
            }
            if (rewritten != null) {
                rewritten.append(matched ? note : "").append(text, start, end);
            }
            start = end;
        }
        return found;
    }

    /** The line as the user wrote it, for a message: decoded as UTF-8, without surrounding blanks. */
    private static String shown(String line) {
        return decoded(line).strip();
    }

    private static String decoded(String latin1) {
        return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /**
     * A value as PostgreSQL's lexer hands it on: a bare word as it is; a quoted string without its
     * quotes, {@code ''} and {@code \'} read as a quote, {@code \b \f \n \r \t} as those characters,
     * any other escaped character as itself (octal escapes, which no path needs, are left as written).
     */
    private static String unquoted(String value) {
        if (!value.startsWith("'")) {
            return value;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '\'' || c == '\\') {
                char next = value.charAt(++i);
                text.append(c == '\'' ? '\'' : switch (next) {
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    default -> next;
                });
            } else {
                text.append(c);
            }
        }
        return text.toString();
    }
}
