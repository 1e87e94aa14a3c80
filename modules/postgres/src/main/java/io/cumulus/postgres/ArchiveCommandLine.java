package io.cumulus.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What an {@code archive_command} setting says about the archiving tool: whether the shell line calls
 * cumulus-wal-archive or barman-cloud-wal-archive (Cumulus is a drop-in, and sites switch one server
 * at a time), and with which destination URL and server name. The line is split into words as a POSIX
 * shell would (single and double quotes, backslashes; {@code ;}, {@code &&}, {@code ||}, {@code |}
 * end a command), so environment assignments, an {@code env} or {@code test ... &&} in front, and
 * options before the positional arguments are all understood. Only the parsed URL and server name
 * are ever shown: the line itself may hold credentials.
 *
 * @param tool the name of the first of {@link #TOOLS} the line calls (from any directory), or empty
 *     when it calls neither (a wrapper script, cp...)
 * @param destinationUrl its first positional argument, when given
 * @param serverName its second positional argument, when given
 */
public record ArchiveCommandLine(Optional<String> tool, Optional<String> destinationUrl, Optional<String> serverName) {

    /** Cumulus's tool, as the last path component of the command word. */
    public static final String TOOL = "cumulus-wal-archive";

    /** barman-cloud's tool, which takes the same arguments. */
    public static final String BARMAN_TOOL = "barman-cloud-wal-archive";

    /** The tools whose command line is understood. */
    public static final List<String> TOOLS = List.of(TOOL, BARMAN_TOOL);

    /**
     * cumulus-wal-archive's options that take a value (the next word unless given as {@code --opt=value}).
     * Kept equal to the tool's own by a test of cli-check. barman-cloud-wal-archive's, from 3.4 to 3.17,
     * are a subset: Cumulus takes every one of them (reference §1.4).
     */
    public static final Set<String> VALUE_OPTIONS = Set.of("--cloud-provider", "--endpoint-url", "-P", "--aws-profile",
            "--profile", "--read-timeout", "-e", "--encryption", "--sse-kms-key-id", "--compression-level",
            "--history-tag", "--tag", "--spool-dir", "--max-parallel", "--async-timeout", "--spool-key",
            "--async-idle-timeout", "--azure-credential", "--credential", "--encryption-scope", "--kms-key-name",
            "--max-block-size", "--max-concurrency", "--max-single-put-size");

    /** Options that take one or more {@code KEY,VALUE} words. */
    public static final Set<String> LIST_OPTIONS = Set.of("--tags", "--history-tags");

    private static final Set<String> SEPARATORS = Set.of(";", "&&", "||", "|", "&");

    /** Parses an archive_command setting. */
    public static ArchiveCommandLine parse(String archiveCommand) {
        List<String> words = words(archiveCommand);
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            Optional<String> tool = TOOLS.stream().filter(t -> word.equals(t) || word.endsWith("/" + t)).findFirst();
            if (tool.isEmpty()) {
                continue;
            }
            List<String> positional = new ArrayList<>();
            for (int j = i + 1; j < words.size() && !SEPARATORS.contains(words.get(j)); j++) {
                String arg = words.get(j);
                if (arg.startsWith("-") && arg.length() > 1) {
                    if (arg.contains("=")) {
                        continue;
                    }
                    if (VALUE_OPTIONS.contains(arg)) {
                        j++;
                    } else if (LIST_OPTIONS.contains(arg)) {
                        while (j + 1 < words.size() && words.get(j + 1).contains(",") && !words.get(j + 1).startsWith("-")) {
                            j++;
                        }
                    }
                    continue;
                }
                positional.add(arg);
            }
            return new ArchiveCommandLine(tool, positional.stream().findFirst(), positional.stream().skip(1).findFirst());
        }
        return new ArchiveCommandLine(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Whether the line calls one of {@link #TOOLS}. */
    public boolean calls() {
        return tool.isPresent();
    }

    /** Whether the line archives to {@code url} (trailing slashes aside) under {@code server}. */
    public boolean archivesTo(String url, String server) {
        return calls() && destinationUrl.map(ArchiveCommandLine::trimSlash).equals(Optional.of(trimSlash(url)))
                && serverName.equals(Optional.of(server));
    }

    private static String trimSlash(String url) {
        String u = url;
        while (u.endsWith("/") && !u.endsWith("://")) {
            u = u.substring(0, u.length() - 1);
        }
        return u;
    }

    /** The words of a shell line; unquoted separators are words of their own. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                end = end < 0 ? line.length() : end;
                word.append(line, i + 1, end);
                inWord = true;
                i = end;
            } else if (c == '"') {
                inWord = true;
                for (i++; i < line.length() && line.charAt(i) != '"'; i++) {
                    if (line.charAt(i) == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
                        i++;
                    }
                    word.append(line.charAt(i));
                }
            } else if (c == '\\' && i + 1 < line.length()) {
                word.append(line.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else if (c == ';' || c == '&' || c == '|') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                boolean doubled = i + 1 < line.length() && line.charAt(i + 1) == c && c != ';';
                words.add(doubled ? "" + c + c : "" + c);
                if (doubled) {
                    i++;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
