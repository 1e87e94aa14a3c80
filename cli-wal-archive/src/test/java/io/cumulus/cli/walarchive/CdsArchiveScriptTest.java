package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * build-support/cds-archive.sh, which a DBA runs on a live host (after moving the install, after a Java
 * update) while PostgreSQL calls the tool. The tool here is build-support/launcher.sh with "java" binaries
 * that are scripts: each writes the archive or cache its flags ask for, holding its own name, and answers a
 * call with its name. The training script makes such a call before its training run, as PostgreSQL would
 * meanwhile, on a PATH without java.
 */
class CdsArchiveScriptTest {

    @TempDir
    Path dir;

    private Path tool;
    private Path support;
    private Path oldJava;
    private Path newJava;
    private Path homeJava;
    private Path noJavaPath;

    @BeforeEach
    void layOutAnInstalledTool() throws IOException {
        // reachable by the PostgreSQL user, for the run as another user
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        support = Files.createDirectories(dir.resolve("support"));
        Files.copy(Path.of("../build-support/cds-archive.sh"), support.resolve("cds-archive.sh"));
        Files.copy(Path.of("../build-support/fake-s3.py"), support.resolve("fake-s3.py"));
        tool = dir.resolve("cli-tool");
        Files.createDirectories(tool.resolve("bin"));
        Files.createDirectories(tool.resolve("lib"));
        Files.copy(Path.of("../build-support/launcher.sh"), tool.resolve("bin/launcher.sh"));
        script(tool.resolve("bin/cumulus-tool"), "CUMULUS_MAIN=io.cumulus.cli.walarchive.WalArchiveCommand\n"
                + "cumulus_self=$(readlink -f \"$0\")\n. \"${cumulus_self%/*}/launcher.sh\"\n");
        // a call as PostgreSQL makes one meanwhile (its environment: no JAVA_HOME, no java on PATH), then the training
        script(tool.resolve("bin/cds-training"), "bin=$(dirname \"$(readlink -f \"$0\")\")\n"
                + "env -u CUMULUS_JAVA -u CUMULUS_NO_CDS -u CUMULUS_AOT_OUTPUT -u CUMULUS_JAVA_OPTS -u JAVA_HOME"
                + " PATH=\"$NO_JAVA_PATH\" \"$bin/cumulus-tool\" call >>\"$CALLS\" 2>&1 || echo \"call failed: $?\" >>\"$CALLS\"\n"
                + "exec \"$bin/cumulus-tool\" training\n");
        Files.writeString(tool.resolve("cli-tool.jar"), "");
        Files.setPosixFilePermissions(tool.resolve("cli-tool.jar"), PosixFilePermissions.fromString("rw-r--r--"));
        oldJava = fakeJava("jdk-25-old");
        newJava = fakeJava("jdk-25-new");
        homeJava = fakeJava("jdk-17");
        noJavaPath = Files.createDirectories(dir.resolve("no-java-bin"));
        for (String command : List.of("readlink", "dirname", "env", "cat")) {
            Files.createSymbolicLink(noJavaPath.resolve(command), Path.of("/usr/bin", command));
        }
    }

    /** The tool as the previous build or run of the script left it: the old runtime, its cache, an archive. */
    private void builtBefore() throws IOException {
        Files.writeString(tool.resolve("lib/aot.java"), oldJava + "\n");
        Files.writeString(tool.resolve("lib/aot.cache"), "cache of jdk-25-old");
        Files.writeString(tool.resolve("lib/cds.jsa"), "archive of jdk-17");
        Files.writeString(tool.resolve("lib/cds.jsa.size"), "17\n");
    }

    @Test
    void callsMadeDuringARebuildKeepTheToolsRuntimeAndTheNewOneTakesOverWhenItsCacheIsMade() throws Exception {
        // the script removed lib/aot.java first: a call without java on PATH failed (exit 127) until it was back
        builtBefore();
        Run run = cdsArchive(Map.of("CUMULUS_AOT_JAVA", newJava.toString()));
        assertEquals(0, run.exit(), run.output());
        List<String> calls = Files.readAllLines(dir.resolve("calls"));
        assertEquals(2, calls.size(), "the default Java's training and the Java 25's: " + calls);
        for (String call : calls) {
            assertTrue(call.startsWith("jdk-25-old ") && call.contains(" -XX:AOTCache=" + tool.toRealPath().resolve("lib/aot.cache")),
                    "a call during the rebuild: " + calls);
        }
        assertEquals(newJava.toRealPath().toString(), Files.readString(tool.resolve("lib/aot.java")).strip());
        assertEquals("cache of jdk-25-new", Files.readString(tool.resolve("lib/aot.cache")));
        assertEquals("archive of jdk-17", Files.readString(tool.resolve("lib/cds.jsa")));
        try (var files = Files.list(tool.resolve("lib"))) {
            assertEquals(List.of(), files.filter(file -> file.toString().endsWith(".tmp")).toList());
        }
        assertEquals("", run.output(), "nothing to say when all went well");
    }

    @Test
    void itsOutputsAreReadableByWhoeverCanReadTheJarsWhateverTheUmask() throws Exception {
        // root under umask 077 made lib/aot.java 0600: every call as postgres logged "Permission denied"
        builtBefore();
        Run run = cdsArchive(Map.of("CUMULUS_AOT_JAVA", newJava.toString()), "umask 077; ");
        assertEquals(0, run.exit(), run.output());
        for (String file : List.of("aot.java", "aot.cache", "cds.jsa", "cds.jsa.size")) {
            var permissions = Files.getPosixFilePermissions(tool.resolve("lib").resolve(file));
            assertTrue(permissions.contains(PosixFilePermission.OTHERS_READ) && permissions.contains(PosixFilePermission.GROUP_READ),
                    file + ": " + PosixFilePermissions.toString(permissions));
        }
    }

    @Test
    void aRuntimeThatFailsItsTrainingLeavesTheToolOnTheOneItHadAndSaysSo() throws Exception {
        builtBefore();
        Path broken = fakeJava("jdk-25-broken");
        script(broken, "echo 'Error: the training failed' >&2; exit 1\n");
        Run kept = cdsArchive(Map.of("CUMULUS_AOT_JAVA", broken.toString()));
        assertEquals(0, kept.exit(), kept.output());
        assertEquals(oldJava.toString(), Files.readString(tool.resolve("lib/aot.java")).strip());
        assertEquals("cache of jdk-25-old", Files.readString(tool.resolve("lib/aot.cache")));
        assertTrue(kept.output().contains("cds-archive: no AOT cache made with " + broken.toRealPath()
                + "; the tool keeps its runtime, " + oldJava + ", and its previous cache:"), kept.output());
        assertTrue(kept.output().contains("Error: the training failed"), kept.output());

        // the runtime the tool had is gone too (a Java update removed it): nothing left that could use them
        Files.delete(oldJava);
        Run gone = cdsArchive(Map.of("CUMULUS_AOT_JAVA", broken.toString()));
        assertEquals(0, gone.exit(), gone.output());
        assertFalse(Files.exists(tool.resolve("lib/aot.java")) || Files.exists(tool.resolve("lib/aot.cache")), gone.output());
        assertTrue(gone.output().contains("no AOT cache made with " + broken.toRealPath() + ", the tool will start on the default Java:"),
                gone.output());
    }

    @Test
    void aFailedArchiveKeepsTheOneTheToolHasUnlessAJarIsNewerThanIt() throws Exception {
        builtBefore();
        script(homeJava, "echo 'Error: no archive' >&2; exit 1\n");
        Run kept = cdsArchive(Map.of("CUMULUS_AOT_JAVA", "none"));
        assertEquals(0, kept.exit(), kept.output());
        assertEquals("archive of jdk-17", Files.readString(tool.resolve("lib/cds.jsa")));
        assertTrue(kept.output().startsWith("cds-archive: training run failed; the tool keeps its previous CDS archive"), kept.output());
        assertFalse(Files.exists(tool.resolve("lib/aot.java")), "CUMULUS_AOT_JAVA=none: no runtime of its own");

        // a jar newer than the archive: the launcher leaves it out already, so it goes
        Files.setLastModifiedTime(tool.resolve("cli-tool.jar"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Run stale = cdsArchive(Map.of("CUMULUS_AOT_JAVA", "none"));
        assertFalse(Files.exists(tool.resolve("lib/cds.jsa")) || Files.exists(tool.resolve("lib/cds.jsa.size")), stale.output());
        assertTrue(stale.output().startsWith("cds-archive: training run failed, the tool will start without a CDS archive:"),
                stale.output());
    }

    @Test
    void aDirectoryThatIsNoToolIsExit2NamingIt() throws Exception {
        // the install root (the natural reading of "where it is installed") and a typo did nothing, exit 0
        for (Path wrong : List.of(dir, dir.resolve("cli-tol"))) {
            Run run = cdsArchive(wrong, Map.of(), "");
            assertEquals(2, run.exit(), run.output());
            assertEquals("cds-archive: " + wrong + " is not a Cumulus tool directory (no bin/cds-training); give a tool"
                    + " directory such as /opt/cumulus/cli-wal-archive\n", run.output());
        }
    }

    @Test
    void aDirectoryThisUserCannotWriteIsExit1AndChangesNothing() throws Exception {
        // run by another user than the owner it said "the tool will start without..." (untrue) and exited 0
        builtBefore();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            Assumptions.assumeTrue(Files.exists(Path.of("/usr/sbin/runuser")) || Files.exists(Path.of("/sbin/runuser")),
                    "runuser, to run as the PostgreSQL user");
        } else {
            Files.setPosixFilePermissions(tool.resolve("lib"), PosixFilePermissions.fromString("r-xr-xr-x"));
        }
        Run run = cdsArchive(tool, Map.of("CUMULUS_AOT_JAVA", newJava.toString()), "", root ? List.of("runuser", "-u", "postgres", "--")
                : List.of());
        Files.setPosixFilePermissions(tool.resolve("lib"), PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(1, run.exit(), run.output());
        assertEquals("cds-archive: cannot write in " + tool.resolve("lib") + ": run it as the owner of " + tool + "\n", run.output());
        assertEquals(oldJava.toString(), Files.readString(tool.resolve("lib/aot.java")).strip());
        assertFalse(Files.exists(dir.resolve("calls")), "no training ran");
    }

    private record Run(int exit, String output) {
    }

    private Run cdsArchive(Map<String, String> env) throws Exception {
        return cdsArchive(env, "");
    }

    private Run cdsArchive(Map<String, String> env, String before) throws Exception {
        return cdsArchive(tool, env, before);
    }

    private Run cdsArchive(Path toolDir, Map<String, String> env, String before) throws Exception {
        return cdsArchive(toolDir, env, before, List.of());
    }

    /** Runs the script on {@code toolDir}, after the shell commands {@code before}, as {@code user} (a prefix). */
    private Run cdsArchive(Path toolDir, Map<String, String> env, String before, List<String> user) throws Exception {
        List<String> command = new ArrayList<>(user);
        command.addAll(List.of("sh", "-c", before + "exec sh \"$0\" \"$1\"", support.resolve("cds-archive.sh").toString(),
                toolDir.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        builder.environment().remove("CUMULUS_JAVA");
        builder.environment().remove("CUMULUS_NO_CDS");
        builder.environment().remove("CUMULUS_AOT_OUTPUT");
        builder.environment().remove("CUMULUS_JAVA_OPTS");
        builder.environment().put("JAVA_HOME", homeJava.getParent().getParent().toString());
        builder.environment().put("NO_JAVA_PATH", noJavaPath.toString());
        builder.environment().put("CALLS", dir.resolve("calls").toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.waitFor(), output);
    }

    /**
     * A runtime NAME/bin/java: writes "archive of NAME" or "cache of NAME" where its flags ask for an archive or
     * a cache, and prints its name and arguments.
     */
    private Path fakeJava(String name) throws IOException {
        Path java = Files.createDirectories(dir.resolve(name).resolve("bin")).resolve("java");
        return script(java, "for arg in \"$@\"; do\n"
                + "    case $arg in\n"
                + "    -XX:ArchiveClassesAtExit=*) printf 'archive of " + name + "' >\"${arg#*=}\" ;;\n"
                + "    -XX:AOTCacheOutput=*) printf 'cache of " + name + "' >\"${arg#*=}\" ;;\n"
                + "    esac\n"
                + "done\n"
                + "echo " + name + " \"$@\"\n");
    }

    private static Path script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
