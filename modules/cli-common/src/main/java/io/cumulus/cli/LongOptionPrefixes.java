package io.cumulus.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * barman-cloud's argparse (Python 3.11, {@code allow_abbrev}) takes any unique prefix of a long option:
 * {@code --imm} for {@code --immediate-checkpoint}, {@code --endpoint=URL} for {@code --endpoint-url=URL}.
 * picocli's own abbreviations follow other rules (each hyphen-separated part abbreviated: it also takes
 * {@code --i-c}), so the arguments are expanded here, by argparse's rule, before picocli reads them:
 * an argument before {@code --} that starts with {@code --} and is not an option's name (the part before
 * an {@code =}, if any) is replaced by the one option whose long name starts with it. Several options
 * starting with it is argparse's "ambiguous option" error, which {@link #ambiguity} words; the argument is
 * left as it is, and picocli refuses it as unknown. Names of one option (aliases) count once.
 */
final class LongOptionPrefixes {

    private LongOptionPrefixes() {
    }

    /** {@code args} with every unique prefix of a long option of {@code spec} expanded to its name. */
    static String[] expand(CommandSpec spec, String[] args) {
        String[] expanded = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--")) {
                break;
            }
            if (!arg.startsWith("--")) {
                continue;
            }
            int equals = arg.indexOf('=');
            String name = equals < 0 ? arg : arg.substring(0, equals);
            Map<String, OptionSpec> options = spec.optionsMap();
            if (options.containsKey(name) || name.length() <= 2) {
                continue;
            }
            Map<OptionSpec, String> matches = matches(options, name);
            if (matches.size() == 1) {
                if (expanded == null) {
                    expanded = args.clone();
                }
                expanded[i] = matches.values().iterator().next() + (equals < 0 ? "" : arg.substring(equals));
            }
        }
        return expanded == null ? args : expanded;
    }

    /**
     * argparse's message for {@code arg} when it is a prefix of several options' long names, such as
     * {@code ambiguous option: --max could match --max-archive-size, --max-bandwidth}; empty otherwise.
     */
    static Optional<String> ambiguity(CommandSpec spec, String arg) {
        if (!arg.startsWith("--") || arg.equals("--")) {
            return Optional.empty();
        }
        int equals = arg.indexOf('=');
        String name = equals < 0 ? arg : arg.substring(0, equals);
        if (name.length() <= 2 || spec.optionsMap().containsKey(name)) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, OptionSpec> option : spec.optionsMap().entrySet()) {
            if (option.getKey().startsWith(name) && !option.getValue().hidden()) {
                names.add(option.getKey());
            }
        }
        return matches(spec.optionsMap(), name).size() > 1
                ? Optional.of("ambiguous option: " + arg + " could match " + String.join(", ", names))
                : Optional.empty();
    }

    /**
     * The options with a long name starting with {@code prefix}, each with the first such name. Hidden
     * options (the tools' own, such as the uploader's {@code --spool-key}, always given in full) are left
     * out: {@code --spool} is {@code --spool-dir}, and no message names an internal option.
     */
    private static Map<OptionSpec, String> matches(Map<String, OptionSpec> options, String prefix) {
        Map<OptionSpec, String> matches = new LinkedHashMap<>();
        for (Map.Entry<String, OptionSpec> option : options.entrySet()) {
            if (option.getKey().startsWith("--") && option.getKey().startsWith(prefix) && !option.getValue().hidden()) {
                matches.putIfAbsent(option.getValue(), option.getKey());
            }
        }
        return matches;
    }
}
