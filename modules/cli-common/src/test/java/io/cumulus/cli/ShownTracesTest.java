package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What a tool prints of a failure at -vv, and of an argument it refuses: never a SAS or a password
 * quoted by a cause deep in the chain, or by picocli.
 */
class ShownTracesTest {

    @Command(name = "trace-sample")
    static final class Failing extends ToolCommand {
        @Parameters(index = "0", arity = "0..1")
        String url;
        @Option(names = "--endpoint-url")
        String endpoint;

        @Override
        protected int execute() throws Exception {
            IOException failure = new IOException("cannot list the container",
                    new RuntimeException(new URISyntaxException("http://127.0.0.1:18400/devstoreaccount1/cont"
                            + "?restype=container&\"sv=2020-08-04&ss=b sig=SECRET-SIG\"", "Illegal character in query")));
            failure.addSuppressed(new IllegalStateException("GET http://u:SECRET-PW@127.0.0.1:18400/storage/v1/b/o"));
            throw failure;
        }
    }

    private static String run(String... args) {
        StringWriter err = new StringWriter();
        ToolCommand.run(new Failing(), new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
        return err.toString();
    }

    @Test
    void theDebugTraceShowsEveryCauseAndFrameWithoutSecrets() {
        String err = run("-vv", "s3://b/p");
        assertFalse(err.contains("SECRET"), err);
        assertTrue(err.contains("java.io.IOException: cannot list the container"), err);
        assertTrue(err.contains("Caused by: java.lang.RuntimeException: java.net.URISyntaxException: Illegal character"
                + " in query: http://127.0.0.1:18400/devstoreaccount1/cont?***"), err);
        assertTrue(err.contains("Caused by: java.net.URISyntaxException: "), err);
        assertTrue(err.contains("\tSuppressed: java.lang.IllegalStateException: GET http://***@127.0.0.1:18400/"), err);
        assertTrue(err.contains("\tat io.cumulus.cli.ShownTracesTest$Failing.execute("), err);
        assertTrue(err.contains(" more\n"), err);
    }

    /** The layout is the JDK's, frame for frame, for a trace without anything to hide. */
    @Test
    void aJsonParsersExcerptOfACredentialProcessOutputIsNotShown() {
        // the AWS SDK's (shaded Jackson) words for a credential_process whose JSON was cut short
        IOException parse = new IOException("Unexpected end-of-input: expected close marker for Object (start marker"
                + " at [Source: (String)\"{\"Version\": 1, \"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"SECRET\",\n"
                + " \"SessionToken\": \"TOKEN\"\"; line: 1, column: 1])\n at [Source: (String)\"{\"SecretAccessKey\":"
                + " \"SECRET\"\"; line: 2, column: 30]");
        String trace = ShownTraces.of(new IllegalStateException("Failed to refresh process-based credentials.",
                new java.io.UncheckedIOException(parse)));
        assertFalse(trace.contains("SECRET") || trace.contains("TOKEN"), trace);
        assertTrue(trace.contains("[Source not shown; line: 2, column: 30]"), trace);
        assertTrue(trace.contains("Unexpected end-of-input"), trace);
    }

    @Test
    void aTraceWithNothingToHideIsTheJdksOwn() {
        IOException failure = new IOException("outer", new IllegalStateException("inner"));
        failure.addSuppressed(new RuntimeException("beside"));
        StringWriter jdk = new StringWriter();
        failure.printStackTrace(new PrintWriter(jdk));
        assertEquals(jdk.toString().replace(System.lineSeparator(), "\n"), ShownTraces.of(failure));
    }

    @Test
    void anArgumentPicocliRefusesIsShownWithoutItsPassword() {
        // (--endpoint= would be read as --endpoint-url=, argparse's unique prefix)
        String err = run("--endpoint-adress=http://minio:SECRET-PW@127.0.0.1:9000", "s3://b/p");
        assertTrue(err.contains("trace-sample: error: Unknown option: '--endpoint-adress=http://***@127.0.0.1:9000'"),
                err);
        assertFalse(err.contains("SECRET"), err);
    }
}
