package io.cumulus.cli;

import io.cumulus.core.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/** barman-cloud's object tags: the repeatable {@code --tag k,v}, or the older {@code --tags k,v ...}. */
public final class TagOptions {

    // 0..*, as argparse's nargs='*': "--tags" alone is no tags
    @Option(names = "--tags", arity = "0..*", paramLabel = "KEY,VALUE",
            description = "Tags of every object written (barman-cloud 3.4's form; the last --tags counts).")
    List<String> tags = new ArrayList<>();

    @Option(names = "--tag", paramLabel = "KEY,VALUE", description = "A tag of every object written; repeatable.")
    List<String> tag = new ArrayList<>();

    /** The tags, in the order given, from the arguments {@code parsed}. */
    public Map<String, String> tags(CommandLine.ParseResult parsed) {
        return Tags.parse("--tag", lastOccurrence(parsed, "--tags", tags), tag);
    }

    /**
     * The values of the last occurrence of the multi-value option {@code name} among the arguments
     * {@code parsed}, of which {@code all} are every occurrence's, as argparse's {@code nargs='*'} keeps them:
     * {@code --tags a,b --tags c,d} is {@code c,d}. A value given with {@code =} is the only one of its
     * occurrence ({@code --tags=a,b c,d} leaves {@code c,d} to the positional parameters, too many of them
     * for barman-cloud: exit 3, which is what this answers).
     */
    public static List<String> lastOccurrence(CommandLine.ParseResult parsed, String name, List<String> all) {
        if (all.isEmpty()) {
            return all;
        }
        List<String> args = parsed.originalArgs();
        Map<String, OptionSpec> options = parsed.commandSpec().optionsMap();
        List<String> last = List.of();
        int taken = 0;
        for (int i = 0; i < args.size() && !args.get(i).equals("--"); i++) {
            if (args.get(i).equals(name)) {
                last = new ArrayList<>();
                // as picocli consumes them (CommandLine.Interpreter#isOption)
                while (i + 1 < args.size() && !isOption(args.get(i + 1), options)) {
                    last.add(args.get(++i));
                }
                taken += last.size();
            } else if (args.get(i).startsWith(name + "=")) {
                last = List.of(args.get(i).substring(name.length() + 1));
                taken++;
            } else if (isOption(args.get(i), options) && !args.get(i).contains("=")) {
                OptionSpec option = options.get(args.get(i));
                if (option != null && option.arity().max() == 1 && option.arity().min() == 1) {
                    i++; // its value, whatever it looks like
                }
            }
        }
        if (taken != all.size()) {
            throw new InvalidInputException("unrecognized arguments after " + name + "=" + String.join(" ", last)
                    + ": a value given with '=' is the only one; write " + name + " KEY,VALUE KEY,VALUE...");
        }
        return last;
    }

    private static boolean isOption(String arg, Map<String, OptionSpec> options) {
        int equals = arg.indexOf('=');
        return arg.equals("--") || options.containsKey(arg) || equals > 0 && options.containsKey(arg.substring(0, equals))
                || arg.length() > 2 && arg.startsWith("-") && options.containsKey(arg.substring(0, 2));
    }
}
