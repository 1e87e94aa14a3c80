package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code --tags} as barman-cloud 3.4's argparse reads it ({@code nargs='*'}), {@code --tag} as newest's. */
class TagOptionsTest {

    static final AtomicReference<Map<String, String>> TAGS = new AtomicReference<>();

    @Command(name = "tagged")
    static final class Tagged extends ToolCommand {
        @Parameters(index = "0")
        String url;
        @Option(names = {"-z", "--gzip"})
        boolean gzip;
        @Option(names = {"-P", "--profile"})
        String profile;
        @Mixin
        TagOptions tags;

        @Override
        protected int execute() {
            TAGS.set(tags.tags(spec.commandLine().getParseResult()));
            return 0;
        }
    }

    private static int run(StringWriter err, String... args) {
        TAGS.set(null);
        return ToolCommand.run(new Tagged(), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
    }

    private static Map<String, String> tags(String... args) {
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, args), String.join(" ", args) + ": " + err);
        return TAGS.get();
    }

    private static Map<String, String> map(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    @Test
    void theLastTagsCountsAndMayHaveNoValue() {
        assertEquals(map("c", "d", "e", "f"), tags("u", "--tags", "a,b", "--tags", "c,d", "e,f"));
        assertEquals(map("c", "d"), tags("u", "--tags", "a,b", "x,y", "-P", "p", "--tags=c,d"));
        assertEquals(map(), tags("u", "--tags"));
        assertEquals(map(), tags("--tags", "-z", "u"));
        assertEquals(map(), tags("u", "--tags", "a,b", "--tags"));
        assertEquals(map("a", "b"), tags("u", "--tags=a,b"));
    }

    @Test
    void aValueGivenWithEqualsIsTheOnlyOne() {
        StringWriter err = new StringWriter();
        assertEquals(3, run(err, "u", "--tags=a,b", "c,d"));
        assertTrue(err.toString().contains("a value given with '=' is the only one"), err.toString());
    }

    @Test
    void tagsItemsAreLeftToTheStoreAsBarman34LeavesThem() {
        assertEquals(map("aws:x", "1", "clé", "2", "k", "3", "!", "", "", "v", "long", "x".repeat(300)),
                tags("u", "--tags", "aws:x,1", "clé,2", "k,1", "k,3", "!,", ",v", "long," + "x".repeat(300)));
        StringWriter err = new StringWriter();
        assertEquals(3, run(err, "u", "--tags", "a,b,c"), "barman's own check: two CSV fields");
        assertEquals(3, run(new StringWriter(), "u", "--tag", "aws:x,1"), "--tag keeps newest barman's rules");
    }
}
