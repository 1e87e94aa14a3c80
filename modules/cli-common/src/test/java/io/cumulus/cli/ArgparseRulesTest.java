package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The tools read their arguments as barman-cloud's argparse (Python 3.11) does: any unique prefix of a long
 * option is that option, and a repeated option's last value wins.
 */
class ArgparseRulesTest {

    static final AtomicReference<Sample> SEEN = new AtomicReference<>();

    @Command(name = "sample")
    static final class Sample extends ToolCommand {
        @Parameters(index = "0")
        String url;
        @Option(names = "--immediate-checkpoint")
        boolean immediate;
        @Option(names = {"-J", "--jobs"})
        Integer jobs;
        @Option(names = {"-S", "--max-archive-size"})
        String maxArchiveSize;
        @Option(names = "--max-bandwidth")
        String maxBandwidth;
        @Option(names = "--format")
        String format;
        @Option(names = "--tags", arity = "1..*")
        List<String> tags = new ArrayList<>();
        @Option(names = "--tag")
        List<String> tag = new ArrayList<>();
        @Option(names = {"-t", "--test"})
        boolean test;
        @Option(names = "--spool-dir")
        String spoolDir;
        @Option(names = "--spool-key", hidden = true)
        String spoolKey;
        @Option(names = "--timeline")
        Long timeline;
        @Mixin
        StorageOptions storage;

        @Override
        protected int execute() {
            SEEN.set(this);
            return 0;
        }
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        SEEN.set(null);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(new Sample(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private static Sample parsed(String... args) {
        Result result = run(args);
        assertEquals(0, result.code(), String.join(" ", args) + ": " + result.err());
        return SEEN.get();
    }

    @Test
    void aHiddenOptionIsNoCandidateForAPrefix() {
        // the uploader's --spool-key is the tool's own, always given in full: --spool is --spool-dir
        assertEquals("/spool", parsed("--spool", "/spool", "u").spoolDir);
        assertEquals("k", parsed("--spool-key", "k", "u").spoolKey);
    }

    @Test
    void aUniquePrefixOfALongOptionIsThatOption() {
        assertTrue(parsed("--imm", "u").immediate);
        assertTrue(parsed("u", "--immediate").immediate);
        assertEquals("http://h:9000", parsed("--endpoint", "http://h:9000", "u").storage.endpointUrl);
        assertEquals("http://h:9000", parsed("--endpoint=http://h:9000", "u").storage.endpointUrl);
        assertEquals("aws-s3", parsed("--cloud-prov", "aws-s3", "u").storage.cloudProvider);
        assertEquals("p", parsed("--prof", "p", "u").storage.awsProfile);
        assertEquals(5, parsed("--read-t", "5", "u").storage.readTimeout);
        assertEquals("1GB", parsed("--max-archive", "1GB", "u").maxArchiveSize);
        assertEquals(3, parsed("--jo", "3", "u").jobs);
        assertEquals("json", parsed("--form", "json", "u").format);
        assertTrue(parsed("--te", "u").test);
        // an option's own name is never a prefix of another: --tag is --tag, not --tags
        Sample tag = parsed("--tag", "a,b", "u");
        assertEquals(List.of("a,b"), tag.tag);
        assertEquals(List.of(), tag.tags);
        assertTrue(run("--he").out().contains("Usage: sample"), run("--he").out());
    }

    @Test
    void anAmbiguousPrefixIsRefusedAsArgparseRefusesIt() {
        Result max = run("--max", "1GB", "u");
        assertEquals(3, max.code());
        assertEquals("sample: error: ambiguous option: --max could match --max-archive-size, --max-bandwidth",
                max.err().lines().findFirst().orElseThrow());
        Result ta = run("--ta=a,b", "u");
        assertEquals(3, ta.code());
        assertTrue(ta.err().contains("ambiguous option: --ta=a,b could match --tags, --tag"), ta.err());
    }

    @Test
    void onlyPlainPrefixesAreAbbreviationsAndNotAfterDoubleDash() {
        // picocli's own rule would take these (a prefix of each hyphenated part); argparse does not
        assertEquals(3, run("--i-c", "u").code());
        assertEquals(3, run("--imm-check", "u").code());
        assertEquals(3, run("--Imm", "u").code());
        assertEquals("--imm", parsed("--", "--imm").url);
    }

    /** argparse's type=int is Python's int(): white space around, a sign, underscores between digits. */
    @Test
    void integersAreReadAsPythonReadsThem() {
        assertEquals(5, parsed("--read-timeout", " 5", "u").storage.readTimeout);
        assertEquals(10, parsed("--read-timeout", "1_0", "u").storage.readTimeout);
        assertEquals(3, parsed("-J", "+3", "u").jobs);
        assertEquals(-2, parsed("-J", "-2", "u").jobs);
        for (String bad : new String[] {"1__0", "_1", "1_", "1.0", "0x10", "", "++1"}) {
            Result result = run("-J", bad, "u");
            assertEquals(3, result.code(), bad);
            assertTrue(result.err().contains("'" + bad + "' is not an int"), result.err());
        }
    }

    /** cumulus-check-wal-archive's --timeline is a long, read as barman's check_positive reads it (int()). */
    @Test
    void longIntegersAreReadAsPythonReadsThemToo() {
        assertEquals(3L, parsed("--timeline", " 3", "u").timeline);
        assertEquals(10L, parsed("--timeline", "1_0", "u").timeline);
        assertEquals(3L, parsed("--timeline=+3", "u").timeline);
        Result result = run("--timeline", "1__0", "u");
        assertEquals(3, result.code());
        assertTrue(result.err().contains("'1__0' is not an int"), result.err());
    }

    /**
     * argparse has no argument files: picocli read {@code @srv} as the contents of a file named srv in the working
     * directory (for archive_command, the data directory), options included.
     */
    @Test
    void anArgumentStartingWithAtIsTakenAsItStands(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path file = dir.resolve("srv");
        java.nio.file.Files.writeString(file, "--bogus\n");
        assertEquals("@" + file, parsed("@" + file).url);
    }

    @Test
    void aRepeatedOptionTakesItsLastValue() {
        assertEquals(4, parsed("-J", "2", "-J", "4", "u").jobs);
        assertEquals(4, parsed("-J", "2", "--jobs=4", "u").jobs);
        assertEquals("http://b", parsed("--endpoint-url", "http://a", "--endpoint-url", "http://b", "u")
                .storage.endpointUrl);
        assertEquals("b", parsed("-P", "a", "--profile", "b", "u").storage.awsProfile);
        assertEquals("console", parsed("--format", "json", "--format", "console", "u").format);
        assertTrue(parsed("--immediate-checkpoint", "--immediate-checkpoint", "-t", "-t", "u").immediate);
        assertEquals("5MB", parsed("-S", "1MB", "-S", "5MB", "u").maxArchiveSize);
    }
}
