package io.cumulus.postgres;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * barman's include/exclude rules for the files of a backup ({@code barman.fs.path_allowed}): rsync-like
 * patterns where a leading {@code /} anchors the rule at the walked root and an unanchored rule
 * matches at any depth, {@code *} matches within one path component, {@code **} across components,
 * {@code ?} one character and {@code [...]} a character class; a rule ending in {@code /} applies to
 * directories only. An include rule that matches wins over every exclude rule. Paths are relative to
 * the walked root as barman spells them: {@code .} for the root, {@code ./NAME} for its files,
 * {@code dir/sub} and {@code dir/sub/file} below.
 */
final class ExclusionRules {

    /** Excluded from the data directory only (barman's PGDATA_EXCLUDE_LIST). */
    static final List<String> DATA_DIRECTORY_RULES = List.of(
            "/pg_log/*", "/log/*", "/pg_xlog/*", "/pg_wal/*",
            // added separately, last, so the copy holds the newest pg_control
            "/global/pg_control");

    /** Excluded from the data directory and tablespaces (barman's EXCLUDE_LIST, 3.15 and later). */
    static final List<String> GENERIC_RULES = List.of(
            "pgsql_tmp*", "postgresql.auto.conf.tmp", "current_logfiles.tmp", "pg_internal.init",
            "postmaster.pid", "postmaster.opts", "recovery.conf", "standby.signal",
            // temporary relations, t<backend>_<relfilenode>[_fork][.segment], as pg_basebackup skips them
            "**/[0-9]*/t[0-9]*_[0-9]*",
            "pg_dynshmem/*", "pg_notify/*", "pg_replslot/*", "pg_serial/*", "pg_stat_tmp/*", "pg_snapshots/*",
            "pg_subtrans/*");

    private final List<Rule> includes;
    private final List<Rule> excludes;

    ExclusionRules(List<String> include, List<String> exclude) {
        this.includes = compile(include);
        this.excludes = compile(exclude);
    }

    /** Whether the entry at {@code path} is kept. */
    boolean allowed(String path, boolean directory) {
        if (matches(includes, path, directory)) {
            return true;
        }
        return !matches(excludes, path, directory);
    }

    private static boolean matches(List<Rule> rules, String path, boolean directory) {
        for (Rule rule : rules) {
            if ((!rule.directoriesOnly || directory) && rule.pattern.matcher(path).matches()) {
                return true;
            }
        }
        return false;
    }

    private static List<Rule> compile(List<String> rules) {
        List<Rule> compiled = new ArrayList<>();
        for (String rule : rules) {
            boolean directoriesOnly = rule.endsWith("/");
            String body = directoriesOnly ? rule.substring(0, rule.length() - 1) : rule;
            boolean anchored = body.startsWith("/");
            body = anchored ? body.substring(1) : body;
            String regex = translate(body);
            if (!anchored) {
                // barman tries the rule as given and as "**/" + rule
                regex = "(?:" + regex + "|" + translate("**/" + body) + ")";
            }
            compiled.add(new Rule(Pattern.compile(regex, Pattern.DOTALL), directoriesOnly));
        }
        return compiled;
    }

    /** barman's _translate_to_regexp, plus character classes (which the temporary-relation rule needs). */
    static String translate(String glob) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (glob.startsWith("**", i)) {
                regex.append(".*");
                i += 2;
            } else if (c == '*') {
                regex.append("[^/]*");
                i++;
            } else if (c == '?') {
                regex.append('.');
                i++;
            } else if (c == '[' && glob.indexOf(']', i + 2) > 0) {
                int close = glob.indexOf(']', i + 2);
                String members = glob.substring(i + 1, close);
                boolean negated = members.startsWith("!");
                members = negated ? members.substring(1) : members;
                regex.append('[').append(negated ? "^" : "").append(members.replace("\\", "\\\\").replace("[", "\\["))
                        .append(']');
                i = close + 1;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return regex.toString();
    }

    private record Rule(Pattern pattern, boolean directoriesOnly) {
    }
}
