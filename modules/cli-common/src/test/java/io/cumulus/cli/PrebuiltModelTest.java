package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The prebuilt picocli model parses every argument vector into the fields the annotations would. */
class PrebuiltModelTest {

    /** What {@link Sample#execute()} saw, with the line it printed. */
    static final AtomicReference<Map<String, Object>> EXECUTED = new AtomicReference<>();

    @Command(name = "model-sample")
    static final class Sample extends ToolCommand {
        @Parameters(index = "0", paramLabel = "URL")
        String url;
        @Parameters(index = "1", arity = "0..1", paramLabel = "PATH")
        Path path;
        @Option(names = {"-t", "--test"})
        boolean test;
        @Option(names = "--count", defaultValue = "4")
        int count;
        @Option(names = "--timeout")
        long timeout = 7;
        @Option(names = "--limit")
        Integer limit;
        @Option(names = "--endpoint")
        URI endpoint;
        @Option(names = "--items", arity = "1..*")
        List<String> items = new ArrayList<>();
        @Option(names = "--item")
        List<String> item = new ArrayList<>();
        // one field of each remaining primitive type: the model sets each through its own access path
        @Option(names = "--ratio")
        double ratio;
        @Option(names = "--scale", defaultValue = "2.5")
        float scale;
        @Option(names = "--small")
        short small = 3;
        @Option(names = "--octet")
        byte octet;
        @Option(names = "--letter")
        char letter = 'a';
        @Mixin
        StorageOptions storage;
        @Mixin
        WalCompressionOptions compression;
        @Mixin
        TagOptions tags;

        @Override
        protected int execute() throws Exception {
            EXECUTED.set(PrebuiltModelCheck.fieldValues(this));
            out().println("executed " + url);
            return 0;
        }
    }

    @Command(name = "grouped")
    static final class Grouped extends ToolCommand {
        @ArgGroup
        Exclusive exclusive;

        static final class Exclusive {
            @Option(names = "--a")
            boolean a;
            @Option(names = "--b")
            boolean b;
        }

        @Override
        protected int execute() {
            return 0;
        }
    }

    @Command(name = "converted")
    static final class Converted extends ToolCommand {
        @Option(names = "--size", converter = SizeConverter.class)
        Long size;

        static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
            @Override
            public Long convert(String value) {
                return Long.parseLong(value.replace("k", "000"));
            }
        }

        @Override
        protected int execute() {
            return 0;
        }
    }

    @Command(name = "variable")
    static final class Variable extends ToolCommand {
        @Option(names = "--dir", defaultValue = "${sys:user.home}")
        String dir;

        @Override
        protected int execute() {
            return 0;
        }
    }

    private static final List<String[]> VALID = List.of(
            new String[] {"s3://b/p"},
            new String[] {"s3://b/p", "/tmp/x"},
            new String[] {"-t", "--count", "9", "--timeout=3", "--limit", "5", "--endpoint", "http://h:1", "u", "p"},
            new String[] {"u", "--items", "a", "b", "--item", "c", "--item=d"},
            new String[] {"--ratio", "0.25", "--scale", "1.5", "--small", "-12", "--octet", "7", "--letter", "x", "u"},
            new String[] {"-vv", "-q", "u"},
            new String[] {"-zv", "--compression-level", "high", "u"},
            new String[] {"--xz", "--lz4", "u"},
            new String[] {"u", "--tags", "k,v", "k2,v2", "--tag", "a,b"},
            new String[] {"--endpoint-url", "http://e:9000", "-P", "prof", "--read-timeout", "30", "u"},
            new String[] {"--cloud-provider=aws-s3", "--credential", "managed-identity", "u", "--", "-p"},
            new String[] {"--help"},
            new String[] {"-V"});

    private static final List<String[]> INVALID = List.of(
            new String[] {},
            new String[] {"--bogus", "u"},
            new String[] {"--count", "many", "u"},
            new String[] {"--limit", "u"},
            new String[] {"--octet", "300", "u"},
            new String[] {"--letter", "xy", "u"},
            new String[] {"u", "p", "extra"},
            new String[] {"--items", "u"},
            new String[] {"-t"});

    private static CommandLine model(Object command) throws Exception {
        return PrebuiltModel.build(command, PrebuiltModel.describe(command.getClass()));
    }

    @Test
    void theModelParsesEveryVectorIntoTheFieldsTheAnnotationsSet() throws Exception {
        assertEquals(List.of(), PrebuiltModelCheck.disagreements(Sample::new, VALID));
    }

    @Test
    void theModelRejectsWhatTheAnnotationsReject() throws Exception {
        assertEquals(List.of(), PrebuiltModelCheck.disagreements(Sample::new, INVALID));
        for (String[] args : INVALID) {
            assertThrows(CommandLine.ParameterException.class, () -> model(new Sample()).parseArgs(args),
                    String.join(" ", args));
        }
    }

    /** A command of another tool that takes a java.time type, made in the same JVM after a model. */
    @Command(name = "timed")
    static final class Timed {
        @Option(names = "--wait")
        java.time.Duration wait;
    }

    @Test
    void aModelLeavesPicocliItsTimeConvertersForCommandLinesMadeLater() throws Exception {
        String excludes = "picocli.converters.excludes";
        assertNull(System.getProperty(excludes), "no one set it before");
        model(new Sample()).parseArgs("u"); // a model without java.time or java.sql types asks picocli to skip them
        assertNull(System.getProperty(excludes), "the model asked for its own command line only");
        Timed timed = new Timed();
        new CommandLine(timed).parseArgs("--wait", "PT5S");
        assertEquals(java.time.Duration.ofSeconds(5), timed.wait);
    }

    @Test
    void aDisagreementIsReported() throws Exception {
        // Two instances that differ before parsing: the comparison sees their fields, not just the parse.
        int[] made = {0};
        List<String> found = PrebuiltModelCheck.disagreements(() -> {
            Sample sample = new Sample();
            sample.timeout = made[0]++;
            return sample;
        }, List.of(new String[] {"u"}, new String[] {"--timeout", "5", "u"}));
        assertEquals(1, found.size(), found.toString());
        assertTrue(found.get(0).startsWith("'u': annotations "), found.get(0));
    }

    @Test
    void theComparedValuesAreTheParsedOnes() throws Exception {
        Sample prebuilt = new Sample();
        model(prebuilt).parseArgs("-vv", "--count", "9", "--tags", "k,v", "k2,v2", "--", "u", "/p");
        Map<String, Object> values = PrebuiltModelCheck.fieldValues(prebuilt);
        assertEquals(List.of(true, true), values.get("loggingOptions.verbose"));
        assertEquals(9, values.get("count"));
        assertEquals(7L, values.get("timeout"), "an option not given keeps its field's initial value");
        assertEquals(List.of("k,v", "k2,v2"), values.get("tags.tags"));
        assertEquals(Path.of("/p"), values.get("path"));
        assertEquals(4, PrebuiltModelCheck.fieldValues(parsed(new Sample(), "u")).get("count"), "the default applies");
    }

    @Test
    void theModelSetsAFieldOfEveryPrimitiveType() throws Exception {
        Sample given = new Sample();
        model(given).parseArgs("-t", "--count", "9", "--timeout", "-3", "--ratio", "0.25", "--scale", "1.5",
                "--small", "-12", "--octet", "7", "--letter", "x", "u");
        assertTrue(given.test);
        assertEquals(9, given.count);
        assertEquals(-3L, given.timeout);
        assertEquals(0.25, given.ratio);
        assertEquals(1.5f, given.scale);
        assertEquals((short) -12, given.small);
        assertEquals((byte) 7, given.octet);
        assertEquals('x', given.letter);
        Sample defaults = new Sample();
        model(defaults).parseArgs("u");
        assertEquals(2.5f, defaults.scale, "a default value");
        assertEquals((short) 3, defaults.small, "an initial value the model leaves alone");
        assertEquals('a', defaults.letter);
    }

    private static Sample parsed(Sample command, String... args) throws Exception {
        model(command).parseArgs(args);
        return command;
    }

    @Test
    void theModelCarriesEveryArgumentOfTheCommand() throws Exception {
        List<String> lines = PrebuiltModel.describe(Sample.class);
        assertEquals(new CommandLine(new Sample()).getCommandSpec().args().size(), lines.size() - 2);
        assertTrue(lines.contains(String.join("\t", "option", "compression.gzip", "-z,--gzip", "0", "true",
                "boolean", "boolean", "<gzip>", "\u2400", "false", "false", "false")), String.join("\n", lines));
    }

    @Test
    void theGeneratorRefusesWhatTheModelCannotCarry() {
        IllegalStateException grouped = assertThrows(IllegalStateException.class,
                () -> PrebuiltModel.describe(Grouped.class));
        assertTrue(grouped.getMessage().contains("ArgGroup on exclusive"), grouped.getMessage());
        IllegalStateException converted = assertThrows(IllegalStateException.class,
                () -> PrebuiltModel.describe(Converted.class));
        assertTrue(converted.getMessage().contains("a converter on size"), converted.getMessage());
        IllegalStateException variable = assertThrows(IllegalStateException.class,
                () -> PrebuiltModel.describe(Variable.class));
        assertTrue(variable.getMessage().contains("a variable in the default or names of dir"), variable.getMessage());
    }

    @Test
    void aDamagedModelIsRefused() {
        assertThrows(IOException.class, () -> PrebuiltModel.build(new Sample(), List.of("something else")));
        assertThrows(IOException.class, () -> PrebuiltModel.build(new Sample(),
                List.of("cumulus-picocli-model 1", "command\tmodel-sample", "option\tcount\t--count")));
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        EXECUTED.set(null);
        int code = ToolCommand.run(Sample::new, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Result runAnnotated(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        EXECUTED.set(null);
        int code = ToolCommand.run(new Sample(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void runUsesTheModelOnTheClassPathAndAnswersHelpAndErrorsFromTheAnnotations() throws Exception {
        Path classes = Path.of(Sample.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path resource = classes.resolve(PrebuiltModel.resourceName(Sample.class));
        Files.deleteIfExists(resource);
        try {
            assertNull(PrebuiltModel.load(new Sample()), "no model on the class path: none is loaded");
            List<String> missing = PrebuiltModelCheck.problems(Sample::new, List.of());
            assertEquals(1, missing.size(), missing.toString());
            assertTrue(missing.get(0).contains("is not on the class path"), missing.get(0));
            Result withoutModel = run("-z", "--count", "2", "s3://b/p");
            PrebuiltModel.main(new String[] {classes.toString(), Sample.class.getName()});
            assertNotNull(PrebuiltModel.load(new Sample()), "the model written by main is found");
            List<String[]> vectors = new ArrayList<>(VALID);
            vectors.addAll(INVALID);
            assertEquals(List.of(), PrebuiltModelCheck.problems(Sample::new, vectors));

            Result withModel = run("-z", "--count", "2", "s3://b/p");
            Map<String, Object> seen = EXECUTED.get();
            assertEquals(0, withModel.code(), withModel.err());
            assertEquals("executed s3://b/p\n", withModel.out(), "the command's streams are picocli's");
            assertEquals(withoutModel, withModel);
            assertEquals(true, seen.get("compression.gzip"));
            assertEquals(2, seen.get("count"));

            for (String[] args : List.of(new String[] {"--help"}, new String[] {"-V"}, new String[] {"--bogus", "u"},
                    new String[] {"--count", "many", "u"}, new String[] {})) {
                Result annotated = runAnnotated(args);
                Result prebuilt = run(args);
                assertEquals(annotated, prebuilt, String.join(" ", args));
                assertNull(EXECUTED.get(), "help, version and invalid input execute nothing");
            }
            assertEquals(ExitCodes.INVALID_INPUT, run("--bogus", "u").code());
            assertTrue(run("--bogus", "u").err().startsWith("model-sample: error: Unknown option: '--bogus'"));
            assertTrue(run("--help").out().contains("--compression-level"));

            Files.writeString(resource, "not a model\n");
            List<String> stale = PrebuiltModelCheck.problems(Sample::new, List.of());
            assertTrue(stale.size() == 1 && stale.get(0).contains("is not what the annotations describe"),
                    stale.toString());
            Result damaged = run("-z", "s3://b/p");
            assertEquals(0, damaged.code(), "a damaged model falls back to the annotations");
            assertTrue(damaged.err().contains("warning: its prebuilt picocli model is unusable"), damaged.err());
        } finally {
            Files.deleteIfExists(resource);
        }
        assertFalse(Files.exists(resource));
    }
}
