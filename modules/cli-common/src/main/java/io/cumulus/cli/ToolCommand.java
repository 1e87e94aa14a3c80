package io.cumulus.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The base of every tool: standard and logging options, and the one place where a failure becomes a
 * one-line message and an exit code ({@link ExitCodes#forFailure}). Subclasses implement {@link #execute()}.
 */
public abstract class ToolCommand implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    @Mixin
    StandardOptions standardOptions;

    @Mixin
    LoggingOptions loggingOptions;

    /** The tool's log, ready when {@link #execute()} runs. */
    protected Log log;

    /** Runs the tool; returns its exit code or throws, and the failure is mapped to one. */
    protected abstract int execute() throws Exception;

    @Override
    public final Integer call() {
        try {
            log = loggingOptions.log(spec.commandLine().getErr());
            if (!perSegmentCall() || log.enabled(Log.Level.INFO)) {
                log.resolveTime();
            }
        } catch (RuntimeException e) {
            log = new Log(spec.commandLine().getErr(), Log.Level.WARNING.value);
            return fail(e);
        }
        try {
            checkWorkingDirectoryReadable();
            return execute();
        } catch (Exception | Error e) {
            return fail(e);
        }
    }

    /**
     * Whether this run is one of the calls PostgreSQL makes for each WAL segment, which must start fast: its
     * log then reads the time zone only when it first prints a line (some milliseconds, {@link
     * Log#resolveTime}). Every other run reads it at start-up, while a file descriptor is surely free.
     */
    protected boolean perSegmentCall() {
        return false;
    }

    /**
     * Fails (exit 4) when Java could not decode the working directory's path: a locale whose charset is
     * ASCII (C, POSIX, a UTF-8 locale missing on this host) turns each byte of a non-ASCII name into a
     * U+FFFD or a '?', and every path relative to it then names nothing (restore_command's
     * {@code pg_wal/RECOVERYXLOG} in a data directory named {@code données}). The launcher gives the JVM
     * C.UTF-8 for C and POSIX; this says what is wrong where that locale does not exist.
     */
    static void checkWorkingDirectoryReadable() throws IOException {
        String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
        String directory = System.getProperty("user.dir", "");
        if (encoding.equalsIgnoreCase("UTF-8") || encoding.equalsIgnoreCase("UTF8")) {
            return;
        }
        boolean plain = true;
        for (int i = 0; i < directory.length() && plain; i++) {
            char c = directory.charAt(i);
            plain = c < 0x80 && c != '?';
        }
        if (plain) {
            return;
        }
        boolean readable;
        try {
            readable = java.nio.file.Files.isDirectory(java.nio.file.Path.of(directory));
        } catch (java.nio.file.InvalidPathException e) {
            readable = false;
        }
        if (!readable) {
            throw new IOException("the working directory's path cannot be read in this locale (Java decodes file names"
                    + " as " + encoding + ", which LC_ALL, LC_CTYPE or LANG chose): " + directory + " names no directory;"
                    + " run the tool with a UTF-8 locale (LC_CTYPE=C.UTF-8 or another installed one, as `locale -a` lists)");
        }
    }

    /**
     * Logs {@code failure} in one line (with its stack trace at debug level) and returns its exit code.
     * The trace's messages go through {@link ShownTraces}: a cause's may quote a URL with a SAS or a
     * password.
     */
    protected int fail(Throwable failure) {
        log.error(Failures.describe(failure, largerHeap(heapVariable(), System.getenv("CUMULUS_JVM_FLAGS"))));
        if (log.enabled(Log.Level.DEBUG)) {
            log.debug(ShownTraces.of(failure));
        }
        return ExitCodes.forFailure(failure);
    }

    /**
     * The launcher's variable that sets this tool's heap ({@code CUMULUS_HEAP}), or null when its launcher
     * has none: named in the line of a failure that the heap running out caused.
     */
    protected String heapVariable() {
        return null;
    }

    /**
     * How to give a tool a larger heap, as its launcher takes it: {@code variable} (null: none), unless
     * {@code jvmFlags} (CUMULUS_JVM_FLAGS) replace the launcher's flags; else an -Xmx in CUMULUS_JAVA_OPTS,
     * which comes after the launcher's own (the last -Xmx wins).
     */
    static String largerHeap(String variable, String jvmFlags) {
        if (jvmFlags != null && !jvmFlags.isEmpty()) {
            return "raise the -Xmx of CUMULUS_JVM_FLAGS, which replaces the launcher's heap flag";
        }
        return variable != null ? "raise " + variable + " (e.g. " + variable + "=2g)"
                : "add a larger -Xmx to CUMULUS_JAVA_OPTS (e.g. CUMULUS_JAVA_OPTS=-Xmx1g)";
    }

    /**
     * barman-cloud's {@code -t/--test}: checks that the store answers and its bucket exists, and
     * returns 0; a failure is thrown (exit 2 unreachable, 1 missing bucket).
     */
    protected int testStore(String url, String serverName, StorageOptions storage, EncryptionOptions encryption)
            throws java.io.IOException {
        try (StoreLocation location = StoreOpener.open(url, serverName, storage, encryption)) {
            location.store().checkAvailable();
            log.info("store " + location.store().describe() + " is reachable");
            return ExitCodes.OK;
        }
    }

    /** The standard output of this command (captured by tests through picocli). */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /**
     * Runs {@code command} with {@code args} the way every tool's {@code main} does: invalid input is one
     * line on standard error and exit code 3, as barman-cloud's argparse errors.
     */
    public static int run(ToolCommand command, String... args) {
        return run(command, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** {@link #run(ToolCommand, String...)} with the tool's output and error streams given, for tests. */
    public static int run(ToolCommand command, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = configure(new CommandLine(command), out, err);
        return commandLine.execute(LongOptionPrefixes.expand(commandLine.getCommandSpec(), args));
    }

    /**
     * {@link #run(ToolCommand, String...)} for the tools PostgreSQL starts once per WAL segment: the arguments
     * are parsed with the command's {@link PrebuiltModel} when the class path has one, which spares the
     * reading of its annotations. Help, version and invalid input are answered as {@code run} answers them,
     * from the annotations of a second instance, so their text and exit code are the same.
     */
    public static int run(Supplier<? extends ToolCommand> tool, String... args) {
        return run(tool, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** {@link #run(Supplier, String...)} with the tool's output and error streams given, for tests. */
    public static int run(Supplier<? extends ToolCommand> tool, PrintWriter out, PrintWriter err, String... args) {
        ToolCommand command = tool.get();
        CommandLine commandLine;
        try {
            commandLine = PrebuiltModel.load(command);
        } catch (IOException | ReflectiveOperationException | RuntimeException e) {
            warnUnusable(command, e, err);
            commandLine = null;
        }
        if (commandLine == null) {
            return run(tool.get(), out, err, args);
        }
        configure(commandLine, out, err);
        try {
            CommandLine.ParseResult parsed = commandLine.parseArgs(
                    LongOptionPrefixes.expand(commandLine.getCommandSpec(), args));
            if (parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested()) {
                return run(tool.get(), out, err, args);
            }
        } catch (CommandLine.ParameterException invalid) {
            return run(tool.get(), out, err, args);
        } catch (CommandLine.PicocliException broken) {
            // a model that does not fit the class (a field of another type): the annotations decide
            warnUnusable(command, broken, err);
            return run(tool.get(), out, err, args);
        }
        command.spec = commandLine.getCommandSpec();
        return command.call();
    }

    private static void warnUnusable(ToolCommand command, Exception problem, PrintWriter err) {
        err.println(commandName(command) + ": warning: its prebuilt picocli model is unusable (" + problem
                + "); reading its annotations");
        err.flush();
    }

    private static String commandName(ToolCommand command) {
        Command annotation = command.getClass().getAnnotation(Command.class);
        return annotation == null ? command.getClass().getSimpleName() : annotation.name();
    }

    private static CommandLine configure(CommandLine commandLine, PrintWriter out, PrintWriter err) {
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        // as barman-cloud's argparse: a repeated option's last value wins (-J 2 -J 4 is -J 4)
        commandLine.setOverwrittenOptionsAllowed(true);
        // and reads integers as Python's int() does: ' 5', +5, 1_000
        commandLine.registerConverter(Integer.class, PythonInt::parse);
        commandLine.registerConverter(int.class, PythonInt::parse);
        commandLine.registerConverter(Long.class, PythonInt::parseLong);
        commandLine.registerConverter(long.class, PythonInt::parseLong);
        // argparse has no argument files: '@name' is an argument as it stands (a server name, a tag), never the
        // contents of a file of that name in the working directory (archive_command's is the data directory)
        commandLine.setExpandAtFiles(false);
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine cmd = exception.getCommandLine();
            String name = cmd.getCommandName();
            String message = exception.getMessage();
            if (exception instanceof CommandLine.UnmatchedArgumentException unmatched) {
                message = unmatched.getUnmatched().stream()
                        .map(arg -> LongOptionPrefixes.ambiguity(cmd.getCommandSpec(), arg))
                        .flatMap(java.util.Optional::stream).findFirst().orElse(message);
            }
            // picocli quotes the argument it refused, which may be an --endpoint-url=URL with a password
            cmd.getErr().println(name + ": error: " + io.cumulus.storage.ShownUrls.inText(message));
            cmd.getErr().println("Try '" + name + " --help' for more information.");
            cmd.getErr().flush();
            return ExitCodes.INVALID_INPUT;
        });
        return commandLine;
    }

    /**
     * {@code arguments} as given without the positional {@code values}, each the last argument that
     * names it (compared as paths) and not already taken: PostgreSQL's %f and %p usually end the
     * command, but options may follow them (barman-cloud's argparse allows it), and a spool key or a
     * worker's command line wants the options wherever they are.
     */
    protected static java.util.List<String> argumentsWithout(String[] arguments, java.nio.file.Path... values) {
        return argumentsReplacing(arguments, null, values);
    }

    /**
     * {@code arguments} as given, the last argument that names {@code value} (compared as paths)
     * replaced by {@code replacement} where it stands: a worker started with the caller's arguments
     * must read them as the caller did (a path appended after {@code --tags a,1} would be one more
     * tag, not the path).
     */
    protected static java.util.List<String> argumentsReplacing(String[] arguments, java.nio.file.Path value,
            String replacement) {
        return argumentsReplacing(arguments, replacement, value);
    }

    private static java.util.List<String> argumentsReplacing(String[] arguments, String replacement,
            java.nio.file.Path... values) {
        boolean[] taken = new boolean[arguments.length];
        for (java.nio.file.Path value : values) {
            for (int i = arguments.length - 1; i >= 0; i--) {
                if (!taken[i] && java.nio.file.Path.of(arguments[i]).equals(value)) {
                    taken[i] = true;
                    break;
                }
            }
        }
        java.util.List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < arguments.length; i++) {
            if (!taken[i]) {
                rest.add(arguments[i]);
            } else if (replacement != null) {
                rest.add(replacement);
            }
        }
        return rest;
    }
}
