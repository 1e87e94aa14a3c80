package io.cumulus.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Range;
import picocli.CommandLine.Spec;

/**
 * picocli's parsing model of a command, written at build time and read at run time, so that a per-segment
 * call ({@code archive_command}, {@code restore_command}) parses its arguments without picocli reading the
 * command's annotations: that reading (annotation proxies, reflection over every option) took 45–80 ms of a
 * synchronous call of about 400 (docs/benchmarks.md, finding 16).
 *
 * <p>The model holds what parsing needs, one line per option or positional parameter: the field it sets
 * (a path through the {@code @Mixin} fields), names or index, arity, type and default. What only help,
 * version and error messages need is left out: {@link ToolCommand#run(Supplier,
 * PrintWriter, PrintWriter, String...)} answers those from the annotations, so their text
 * is picocli's own. The generator refuses a command that uses a picocli feature the model cannot carry
 * (groups, converters, split, negatable or interactive options, method bindings), and a test of each packaged
 * command checks that the model parses a corpus of arguments into the same field values as the annotations.
 */
public final class PrebuiltModel {

    /** Where a command's model is, under the class path. */
    static final String RESOURCE_PREFIX = "META-INF/cumulus/picocli/";

    private static final String HEADER = "cumulus-picocli-model 1";
    private static final String NULL = "\u2400";
    private static final String CONVERTER_EXCLUDES = "picocli.converters.excludes";

    private PrebuiltModel() {
    }

    /** Build time: {@code outputDirectory commandClass...}, writing each command's model under the directory. */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: PrebuiltModel OUTPUT_DIRECTORY COMMAND_CLASS...");
        }
        for (String className : Arrays.asList(args).subList(1, args.length)) {
            Class<?> type = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
            Path file = Path.of(args[0]).resolve(resourceName(type));
            Files.createDirectories(file.getParent());
            Files.writeString(file, String.join("\n", describe(type)) + "\n", StandardCharsets.UTF_8);
        }
    }

    static String resourceName(Class<?> type) {
        return RESOURCE_PREFIX + type.getName() + ".model";
    }

    /** The model of {@code type}'s annotations, as the lines of its resource; fails on what it cannot carry. */
    public static List<String> describe(Class<?> type) throws ReflectiveOperationException {
        Map<Field, String> paths = new LinkedHashMap<>();
        collectPaths(type, "", paths);
        CommandSpec spec = new CommandLine(instantiate(type)).getCommandSpec();
        refuse(!spec.subcommands().isEmpty(), type, "subcommands");
        refuse(!spec.argGroups().isEmpty(), type, "argument groups");
        refuse(!spec.unmatchedArgsBindings().isEmpty(), type, "@Unmatched");
        refuse(spec.defaultValueProvider() != null, type, "a default value provider");
        List<String> lines = new ArrayList<>();
        lines.add(HEADER);
        lines.add("command\t" + clean(spec.name(), type));
        for (ArgSpec arg : spec.args()) {
            String path = arg.userObject() instanceof Field field ? paths.get(field) : null;
            refuse(path == null, type, "an option that is not an annotated field: " + arg);
            refuse(arg.converters().length > 0, type, "a converter on " + path);
            refuse(!arg.splitRegex().isEmpty(), type, "split on " + path);
            refuse(arg.interactive(), type, "interactive " + path);
            refuse(arg.parameterConsumer() != null, type, "a parameter consumer on " + path);
            refuse(!arg.preprocessor().getClass().getSimpleName().equals("NoOpParameterPreprocessor"), type,
                    "a preprocessor on " + path);
            refuse(arg.arity().isRelative() || arg.arity().isUnresolved(), type, "the arity of " + path);
            refuse(arg.type() == java.util.Optional.class, type, "the Optional type of " + path);
            Field field = (Field) arg.userObject();
            String rawDefault = field.isAnnotationPresent(Option.class) ? field.getAnnotation(Option.class).defaultValue()
                    : field.getAnnotation(Parameters.class).defaultValue();
            refuse(rawDefault.contains("${") || Arrays.toString(arg instanceof OptionSpec o ? o.names() : new String[0])
                    .contains("${"), type, "a variable in the default or names of " + path + " (resolved at run time)");
            List<String> line = new ArrayList<>();
            if (arg instanceof OptionSpec option) {
                refuse(option.negatable(), type, "negatable " + path);
                refuse(!option.fallbackValue().isEmpty(), type, "a fallback value on " + path);
                line.add("option");
                line.add(path);
                line.add(String.join(",", option.names()));
            } else {
                Range index = ((PositionalParamSpec) arg).index();
                refuse(index.isRelative() || index.isUnresolved() || index.isUnspecified(), type, "the index of " + path);
                line.add("positional");
                line.add(path);
                line.add(rangeText(index));
            }
            line.add(rangeText(arg.arity()));
            line.add(String.valueOf(arg.arity().isUnspecified()));
            line.add(arg.type().getName());
            line.add(Arrays.stream(arg.auxiliaryTypes()).map(Class::getName).collect(Collectors.joining(",")));
            line.add(arg.paramLabel());
            line.add(arg.defaultValue() == null ? NULL : arg.defaultValue());
            line.add(String.valueOf(arg.required()));
            line.add(String.valueOf(arg instanceof OptionSpec option && option.usageHelp()));
            line.add(String.valueOf(arg instanceof OptionSpec option && option.versionHelp()));
            for (String value : line) {
                clean(value, type);
            }
            lines.add(String.join("\t", line));
        }
        return lines;
    }

    /**
     * Run time: a {@link CommandLine} for {@code command} built from its model, bound to its fields, or
     * {@code null} when the class path has no model for it (a test run from classes, for instance).
     */
    public static CommandLine load(Object command) throws IOException, ReflectiveOperationException {
        List<String> lines = packaged(command.getClass());
        return lines == null ? null : build(command, lines);
    }

    /** The lines of {@code type}'s model on the class path, or {@code null} when there is none. */
    static List<String> packaged(Class<?> type) throws IOException {
        ClassLoader loader = type.getClassLoader();
        InputStream resource = loader == null ? null : loader.getResourceAsStream(resourceName(type));
        if (resource == null) {
            return null;
        }
        try (resource) {
            return new String(resource.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** A {@link CommandLine} for {@code command} from the lines of its model ({@link #describe}). */
    static CommandLine build(Object command, List<String> lines) throws IOException, ReflectiveOperationException {
        if (lines.size() < 2 || !lines.get(0).equals(HEADER) || !lines.get(1).startsWith("command\t")) {
            throw new IOException("the picocli model of " + command.getClass().getName() + " is not readable");
        }
        // No initial values: a field is read or written only when its option is given or has a default, so
        // most fields cost no reflective accessor; a process parses once, so there is nothing to reset.
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command);
        spec.name(lines.get(1).substring("command\t".length()));
        boolean timeOrSql = false;
        for (String line : lines.subList(2, lines.size())) {
            String[] f = line.split("\t", -1);
            if (f.length != 12 || !f[0].equals("option") && !f[0].equals("positional")) {
                throw new IOException("the picocli model of " + command.getClass().getName() + " has a bad line: " + line);
            }
            timeOrSql |= timeOrSql(f[5]);
            FieldBinding binding = FieldBinding.of(command, f[1]);
            Range arity = Range.valueOf(f[3]).unspecified(Boolean.parseBoolean(f[4]));
            String[] auxiliaryNames = f[6].isEmpty() ? new String[0] : f[6].split(",");
            Class<?>[] auxiliary = new Class<?>[auxiliaryNames.length];
            for (int i = 0; i < auxiliary.length; i++) {
                auxiliary[i] = typeNamed(auxiliaryNames[i]);
                timeOrSql |= timeOrSql(auxiliaryNames[i]);
            }
            String defaultValue = f[8].equals(NULL) ? null : f[8];
            boolean required = Boolean.parseBoolean(f[9]);
            if (f[0].equals("option")) {
                spec.addOption(OptionSpec.builder(f[2].split(","))
                        .usageHelp(Boolean.parseBoolean(f[10])).versionHelp(Boolean.parseBoolean(f[11]))
                        .arity(arity).type(typeNamed(f[5])).auxiliaryTypes(auxiliary).paramLabel(f[7])
                        .defaultValue(defaultValue).required(required)
                        .hasInitialValue(false).getter(binding).setter(binding).build());
            } else {
                spec.addPositional(PositionalParamSpec.builder().index(f[2])
                        .arity(arity).type(typeNamed(f[5])).auxiliaryTypes(auxiliary).paramLabel(f[7])
                        .defaultValue(defaultValue).required(required)
                        .hasInitialValue(false).getter(binding).setter(binding).build());
            }
        }
        if (System.getProperty(CONVERTER_EXCLUDES) != null || timeOrSql) {
            return new CommandLine(spec);
        }
        // picocli registers its java.time and java.sql converters by reflection (classes loaded, methods
        // looked up) unless told not to; the model says this command takes none of those types. It reads
        // the property while it makes the command line, so the property is set for that moment only: a
        // command line made later in the same JVM gets every converter, as usual.
        System.setProperty(CONVERTER_EXCLUDES, "java\\.(time|sql)\\..*");
        try {
            return new CommandLine(spec);
        } finally {
            System.clearProperty(CONVERTER_EXCLUDES);
        }
    }

    /** Finds every {@code @Option} and {@code @Parameters} field of {@code type}, through its {@code @Mixin} fields. */
    static void collectPaths(Class<?> type, String prefix, Map<Field, String> paths) {
        List<Class<?>> hierarchy = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            hierarchy.add(0, c);
        }
        for (Class<?> c : hierarchy) {
            for (Field field : c.getDeclaredFields()) {
                if (field.isAnnotationPresent(Option.class) || field.isAnnotationPresent(Parameters.class)) {
                    paths.put(field, prefix + field.getName());
                } else if (field.isAnnotationPresent(Mixin.class)) {
                    collectPaths(field.getType(), prefix + field.getName() + ".", paths);
                } else if (field.isAnnotationPresent(Spec.class)) {
                    refuse(!(field.getDeclaringClass() == ToolCommand.class && field.getName().equals("spec")), type,
                            "@Spec on " + prefix + field.getName());
                } else {
                    for (Annotation annotation : field.getAnnotations()) {
                        refuse(annotation.annotationType().getName().startsWith("picocli."), type,
                                annotation.annotationType().getSimpleName() + " on " + prefix + field.getName());
                    }
                }
            }
        }
    }

    private static void refuse(boolean unsupported, Class<?> type, String what) {
        if (unsupported) {
            throw new IllegalStateException("cannot prebuild the picocli model of " + type.getName() + ": " + what);
        }
    }

    private static String clean(String value, Class<?> type) {
        refuse(value.contains("\t") || value.contains("\n") || value.contains("\r")
                || value.contains(NULL) && !value.equals(NULL), type, "a tab, line break or \u2400 in " + value);
        return value;
    }

    private static String rangeText(Range range) {
        return range.originalValue() != null ? range.originalValue() : range.toString();
    }

    private static boolean timeOrSql(String typeName) {
        return typeName.startsWith("java.time.") || typeName.startsWith("java.sql.");
    }

    private static Class<?> typeNamed(String name) {
        switch (name) {
            case "boolean": return boolean.class;
            case "byte": return byte.class;
            case "char": return char.class;
            case "short": return short.class;
            case "int": return int.class;
            case "long": return long.class;
            case "float": return float.class;
            case "double": return double.class;
            default:
                try {
                    return Class.forName(name, false, PrebuiltModel.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new IllegalStateException("the picocli model names an unknown type " + name, e);
                }
        }
    }

    private static Object instantiate(Class<?> type) throws ReflectiveOperationException {
        Constructor<?> constructor = type.getDeclaredConstructor();
        constructor.setAccessible(true);
        return constructor.newInstance();
    }

    /**
     * A field reached from the command through its mixin fields; mixins that are still null are created. The
     * fields are read and written through {@link VarHandle}s rather than {@link Field#get}/{@link Field#set}:
     * core reflection makes a method-handle accessor for each field the first time it is used, spinning
     * classes at run time that neither the AOT cache nor a CDS archive holds (about a dozen in a call, 1 ms
     * or more each), whereas a VarHandle reaches a field of each of these types through code the JDK has
     * already compiled (docs/benchmarks.md, finding 28). A primitive field is accessed with its own type,
     * which keeps every access on that code.
     */
    record FieldBinding(Object owner, VarHandle handle)
            implements CommandLine.Model.IGetter, CommandLine.Model.ISetter {

        static FieldBinding of(Object command, String path) throws ReflectiveOperationException {
            Object owner = command;
            String[] names = path.split("\\.");
            for (int i = 0; i < names.length - 1; i++) {
                Field mixinField = field(owner.getClass(), names[i]);
                VarHandle mixin = handle(mixinField);
                Object value = mixin.get(owner);
                if (value == null) {
                    value = instantiate(mixinField.getType());
                    mixin.set(owner, value);
                }
                owner = value;
            }
            return new FieldBinding(owner, handle(field(owner.getClass(), names[names.length - 1])));
        }

        private static Field field(Class<?> type, String name) throws NoSuchFieldException {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (Field field : c.getDeclaredFields()) {
                    if (field.getName().equals(name) && !Modifier.isStatic(field.getModifiers())) {
                        return field;
                    }
                }
            }
            throw new NoSuchFieldException(type.getName() + "." + name);
        }

        private static VarHandle handle(Field field) throws IllegalAccessException {
            return MethodHandles.privateLookupIn(field.getDeclaringClass(), MethodHandles.lookup())
                    .unreflectVarHandle(field);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T get() {
            return (T) read();
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T set(T value) {
            Object previous = read();
            write(value);
            return (T) previous;
        }

        private Object read() {
            Class<?> type = handle.varType();
            if (!type.isPrimitive()) {
                return handle.get(owner);
            } else if (type == boolean.class) {
                return (boolean) handle.get(owner);
            } else if (type == int.class) {
                return (int) handle.get(owner);
            } else if (type == long.class) {
                return (long) handle.get(owner);
            } else if (type == double.class) {
                return (double) handle.get(owner);
            } else if (type == float.class) {
                return (float) handle.get(owner);
            } else if (type == short.class) {
                return (short) handle.get(owner);
            } else if (type == byte.class) {
                return (byte) handle.get(owner);
            } else {
                return (char) handle.get(owner);
            }
        }

        private void write(Object value) {
            Class<?> type = handle.varType();
            if (!type.isPrimitive()) {
                handle.set(owner, type.cast(value));
            } else if (type == boolean.class) {
                handle.set(owner, (boolean) (Boolean) value);
            } else if (type == int.class) {
                handle.set(owner, (int) (Integer) value);
            } else if (type == long.class) {
                handle.set(owner, (long) (Long) value);
            } else if (type == double.class) {
                handle.set(owner, (double) (Double) value);
            } else if (type == float.class) {
                handle.set(owner, (float) (Float) value);
            } else if (type == short.class) {
                handle.set(owner, (short) (Short) value);
            } else if (type == byte.class) {
                handle.set(owner, (byte) (Byte) value);
            } else {
                handle.set(owner, (char) (Character) value);
            }
        }
    }
}
