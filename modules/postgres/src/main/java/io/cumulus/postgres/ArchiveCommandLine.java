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
 * options before the positional arguments are all understood, long options abbreviated as argparse
 * allows too ({@code --endpoint URL}). Only the parsed URL and server name are ever shown, and those
 * through {@code ShownUrls} (no user info, no query): the line itself may hold credentials.
 *
 * @param tool the name of the first of {@link #TOOLS} the line calls (from any directory), or empty
 *     when it calls neither (a wrapper script, cp...)
 * @param destinationUrl its first positional argument, when given
 * @param serverName its second positional argument, when given
 * @param defect why the line, though it names the tool, archives nothing or hides the tool's failures
 *     from PostgreSQL (which then recycles WAL that was never stored), or empty
 */
public record ArchiveCommandLine(Optional<String> tool, Optional<String> destinationUrl, Optional<String> serverName,
        Optional<String> defect) {

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

    /**
     * cumulus-wal-archive's options that take no value. Kept equal to the tool's own by the same test:
     * without them, {@code --async} read as an abbreviation of {@code --async-timeout} took the next word
     * for its value, and every line of the documented {@code --async} form seemed to archive elsewhere.
     */
    public static final Set<String> FLAG_OPTIONS = Set.of("--help", "-V", "--version", "-v", "--verbose", "-q",
            "--quiet", "-t", "--test", "-z", "--gzip", "-j", "--bzip2", "--snappy", "--xz", "--zstd", "--lz4",
            "--async", "--async-uploader");

    /**
     * barman-cloud-wal-archive 3.4's long options ({@code barman/clients/cloud_cli.py} and {@code
     * cloud_walarchive.py}) that take a value, take a list, or take none. Its argparse accepts any
     * unambiguous abbreviation of them ({@code --endpoint URL}), which {@link #longOption} resolves.
     */
    static final Set<String> BARMAN_VALUE_OPTIONS = Set.of("--cloud-provider", "--endpoint-url", "--profile",
            "--read-timeout", "--credential", "--encryption", "--encryption-scope", "--max-block-size",
            "--max-concurrency", "--max-single-put-size");
    static final Set<String> BARMAN_LIST_OPTIONS = Set.of("--tags", "--history-tags");
    static final Set<String> BARMAN_FLAG_OPTIONS = Set.of("--version", "--help", "--verbose", "--quiet", "--test",
            "--gzip", "--bzip2", "--snappy");

    private static final Set<String> SEPARATORS = Set.of(";", "&&", "||", "|", "&");

    /** Commands that print or ignore their arguments: a tool named after one of them is not run. */
    private static final Set<String> NOT_RUNNING = Set.of("echo", "printf", ":", "true", "false", "logger");

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
            boolean testOnly = false;
            int j = i + 1;
            for (; j < words.size() && !SEPARATORS.contains(words.get(j)); j++) {
                String arg = words.get(j);
                if (arg.startsWith("-") && arg.length() > 1) {
                    if (arg.contains("=")) {
                        continue;
                    }
                    String option = longOption(arg, tool.get().equals(BARMAN_TOOL));
                    testOnly |= option.equals("-t") || option.equals("--test");
                    if (VALUE_OPTIONS.contains(option)) {
                        j++;
                    } else if (LIST_OPTIONS.contains(option)) {
                        while (j + 1 < words.size() && words.get(j + 1).contains(",") && !words.get(j + 1).startsWith("-")) {
                            j++;
                        }
                    }
                    continue;
                }
                positional.add(arg);
            }
            Optional<String> defect = testOnly ? Optional.of("calls " + tool.get() + " with -t/--test, which only"
                    + " checks the store and archives nothing") : runBy(words, i, tool.get());
            if (defect.isEmpty()) {
                defect = hidden(words, j, tool.get());
            }
            return new ArchiveCommandLine(tool, positional.stream().findFirst(), positional.stream().skip(1).findFirst(),
                    defect);
        }
        return new ArchiveCommandLine(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Why the tool at {@code words[at]} is not run: the command word of its command prints it. */
    private static Optional<String> runBy(List<String> words, int at, String tool) {
        int start = at;
        while (start > 0 && !SEPARATORS.contains(words.get(start - 1))) {
            start--;
        }
        while (start < at && words.get(start).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
            start++; // VAR=value before the command word
        }
        String command = words.get(start).substring(words.get(start).lastIndexOf('/') + 1);
        return start < at && NOT_RUNNING.contains(command)
                ? Optional.of("names " + tool + " as an argument of " + command + ", which does not run it")
                : Optional.empty();
    }

    /**
     * How the words after the tool's command, from {@code words[end]}, hide its exit status from
     * PostgreSQL, if they do. The first separator other than {@code &&} decides: {@code || cmd} and
     * {@code ; cmd} make the line's status the last command's, unless what follows fails on its own
     * ({@code exit 1}, {@code exit $rc}, {@code false}) or calls the tool again (a retry); {@code &}
     * runs it in the background (PostgreSQL gets 0 before the segment is stored); {@code | cmd} makes
     * the status the pipeline's last command's. Only the separator is shown: the words after it may
     * hold credentials.
     */
    private static Optional<String> hidden(List<String> words, int end, String tool) {
        String status = " after " + tool + " makes the line's exit status another command's, so PostgreSQL counts"
                + " a failed segment as archived";
        for (int k = end; k < words.size(); k++) {
            String separator = words.get(k);
            if (!SEPARATORS.contains(separator) || separator.equals("&&")) {
                continue;
            }
            List<String> rest = words.subList(k + 1, words.size());
            return switch (separator) {
                case "||", ";" -> rest.isEmpty() || failsOnItsOwn(rest) ? Optional.empty()
                        : Optional.of("'" + separator + "'" + status);
                case "&" -> Optional.of("'&' runs " + tool + " in the background: PostgreSQL is told the segment"
                        + " is archived before it is stored");
                default -> Optional.of("'|'" + status);
            };
        }
        return Optional.empty();
    }

    /**
     * Whether {@code words} end the line with a failure of their own: an {@code exit} other than {@code
     * exit 0}, {@code false}, or another call of one of {@link #TOOLS} (a retry, whose status is the line's).
     */
    private static boolean failsOnItsOwn(List<String> words) {
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word.equals("false") || word.equals("exit") && (i + 1 == words.size() || !words.get(i + 1).equals("0"))
                    || TOOLS.stream().anyMatch(t -> word.equals(t) || word.endsWith("/" + t))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The option {@code arg} stands for: itself when the tool knows it; else the one long option it is
     * a prefix of, as barman-cloud's argparse reads any unambiguous abbreviation ({@code --endpoint}
     * for {@code --endpoint-url}). A prefix of several options that all take a value counts as taking
     * one (argparse would refuse it as ambiguous, and Cumulus refuses any abbreviation: its value is
     * still no positional). Cumulus's own options and barman-cloud's differ ({@code --tag} takes one
     * value in Cumulus, and abbreviates barman-cloud's list option {@code --tags}).
     *
     * @param barman whether the line calls barman-cloud-wal-archive
     * @return the option in {@link #VALUE_OPTIONS} or {@link #LIST_OPTIONS} it stands for, or {@code arg}
     */
    static String longOption(String arg, boolean barman) {
        Set<String> values = barman ? BARMAN_VALUE_OPTIONS : VALUE_OPTIONS;
        Set<String> lists = barman ? BARMAN_LIST_OPTIONS : LIST_OPTIONS;
        Set<String> flags = barman ? BARMAN_FLAG_OPTIONS : FLAG_OPTIONS;
        if (!arg.startsWith("--") || values.contains(arg) || lists.contains(arg) || flags.contains(arg)) {
            return arg;
        }
        List<String> candidates = new ArrayList<>();
        for (Set<String> options : List.of(values, lists, flags)) {
            options.stream().filter(o -> o.startsWith("--") && o.startsWith(arg)).sorted().forEach(candidates::add);
        }
        if (candidates.size() == 1 || !candidates.isEmpty() && values.containsAll(candidates)) {
            return candidates.get(0);
        }
        return arg;
    }

    /** Whether the line calls one of {@link #TOOLS}. */
    public boolean calls() {
        return tool.isPresent();
    }

    /** Whether the line archives to {@code url} (one trailing slash aside) under {@code server}. */
    public boolean archivesTo(String url, String server) {
        return calls() && destinationUrl.map(ArchiveCommandLine::trimSlash).equals(Optional.of(trimSlash(url)))
                && serverName.equals(Optional.of(server));
    }

    /**
     * {@code url} without the trailing slashes that name the same place: one on S3 and Azure ({@code
     * s3://b/a/} is {@code s3://b/a}, but {@code s3://b/a//} stores under {@code a//SERVER/}, as
     * barman-cloud's os.path.join makes it), all of them on GCS (barman-cloud strips them) and for a
     * directory.
     */
    private static String trimSlash(String url) {
        boolean all = url.regionMatches(true, 0, "gs:", 0, 3) || url.regionMatches(true, 0, "file:", 0, 5)
                || url.regionMatches(true, 0, "https://console.cloud.google.com/", 0, 33);
        String u = url;
        while (u.endsWith("/") && !u.endsWith("://") && !u.endsWith(":///")) {
            u = u.substring(0, u.length() - 1);
            if (!all) {
                break;
            }
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
            } else if ((c == '&' || c == '|') && i > 0 && (line.charAt(i - 1) == '>' || line.charAt(i - 1) == '<')) {
                word.append(c); // a redirection (2>&1, >&2, <&3, >|), not a separator
                inWord = true;
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
