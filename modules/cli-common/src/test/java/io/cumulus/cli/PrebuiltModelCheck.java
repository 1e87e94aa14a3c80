package io.cumulus.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Checks of a command's prebuilt picocli model ({@link PrebuiltModel}) against its annotations, for the tests
 * of cli-common and of each module that packages a model (they take this module's test jar).
 */
public final class PrebuiltModelCheck {

    private PrebuiltModelCheck() {
    }

    /**
     * What is wrong with {@code tool}'s packaged model, for the test of each packaged command: missing from the
     * class path or other than its annotations describe, a vector of {@code vectors} parsed otherwise
     * ({@link #disagreements}), or, for a vector that asks for help or the version or is invalid, another answer
     * (exit code, output, error) from {@link ToolCommand#run(Supplier, PrintWriter,
     * PrintWriter, String...)} than from the annotations. Valid vectors are parsed, never run.
     */
    public static List<String> problems(Supplier<? extends ToolCommand> tool, List<String[]> vectors)
            throws Exception {
        List<String> problems = new ArrayList<>();
        Class<?> type = tool.get().getClass();
        List<String> packaged = PrebuiltModel.packaged(type);
        if (packaged == null) {
            problems.add(PrebuiltModel.resourceName(type) + " is not on the class path: the build writes it at process-classes");
        } else if (!packaged.equals(PrebuiltModel.describe(type))) {
            problems.add(PrebuiltModel.resourceName(type) + " is not what the annotations describe: rebuild the module");
        }
        problems.addAll(disagreements(tool, vectors));
        for (String[] args : vectors) {
            if (runs(tool.get(), args)) {
                continue;
            }
            String expected = answer((out, err) -> ToolCommand.run(tool.get(), out, err, args));
            String actual = answer((out, err) -> ToolCommand.run(tool, out, err, args));
            if (!expected.equals(actual)) {
                problems.add("'" + String.join(" ", args) + "': annotations answer " + expected + ", model " + actual);
            }
        }
        return problems;
    }

    /** Whether {@code args} would run the command: valid, and asking for neither help nor the version. */
    private static boolean runs(Object command, String[] args) {
        try {
            CommandLine.ParseResult parsed = new CommandLine(command).parseArgs(args);
            return !parsed.isUsageHelpRequested() && !parsed.isVersionHelpRequested();
        } catch (CommandLine.ParameterException invalid) {
            return false;
        }
    }

    private interface Run {
        int run(PrintWriter out, PrintWriter err);
    }

    private static String answer(Run run) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run.run(new PrintWriter(out, true), new PrintWriter(err, true));
        return "exit " + code + ", out [" + out + "], err [" + err + "]";
    }

    /**
     * The argument vectors among {@code vectors} that the model of {@code tool}'s class parses differently from
     * its annotations (other field values, help or version flags, or another rejection), each with how: what a
     * test of each packaged command asserts is empty.
     */
    public static List<String> disagreements(Supplier<?> tool, List<String[]> vectors)
            throws Exception {
        List<String> model = PrebuiltModel.describe(tool.get().getClass());
        List<String> disagreements = new ArrayList<>();
        for (String[] args : vectors) {
            String vector = String.join(" ", args);
            Object annotated = tool.get();
            Object prebuilt = tool.get();
            String expected = outcome(new CommandLine(annotated), annotated, args);
            String actual = outcome(PrebuiltModel.build(prebuilt, model), prebuilt, args);
            if (!expected.equals(actual)) {
                disagreements.add("'" + vector + "': annotations " + expected + ", model " + actual);
            }
        }
        return disagreements;
    }

    private static String outcome(CommandLine commandLine, Object command, String[] args) throws Exception {
        try {
            CommandLine.ParseResult parsed = commandLine.parseArgs(args);
            return "help=" + parsed.isUsageHelpRequested() + " version=" + parsed.isVersionHelpRequested() + " "
                    + fieldValues(command);
        } catch (CommandLine.ParameterException rejected) {
            return rejected.getClass().getSimpleName() + ": " + rejected.getMessage();
        }
    }

    /**
     * The value of every option and positional field of {@code command}, by its path through the mixins
     * (arrays as lists): what a test compares between a model's parse and the annotations' parse.
     */
    public static Map<String, Object> fieldValues(Object command) throws ReflectiveOperationException {
        Map<Field, String> paths = new LinkedHashMap<>();
        PrebuiltModel.collectPaths(command.getClass(), "", paths);
        Map<String, Object> values = new LinkedHashMap<>();
        for (String path : paths.values()) {
            Object value = PrebuiltModel.FieldBinding.of(command, path).get();
            if (value != null && value.getClass().isArray()) {
                List<Object> elements = new ArrayList<>();
                for (int i = 0; i < Array.getLength(value); i++) {
                    elements.add(Array.get(value, i));
                }
                value = elements;
            }
            values.put(path, value);
        }
        return values;
    }
}
