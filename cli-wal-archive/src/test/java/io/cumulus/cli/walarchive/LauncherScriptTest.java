package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which runtime and start-up files build-support/launcher.sh picks. The "java" binaries here are
 * scripts that print which one ran and its arguments.
 */
class LauncherScriptTest {

    @TempDir
    Path dir;

    private Path tool;
    private Path aotJava;
    private Path homeJava;

    @BeforeEach
    void layOutATool() throws IOException {
        layOutTool(dir.resolve("cli-tool"));
        aotJava = fakeJava(dir.resolve("jdk25/bin/java"), "jdk25");
        homeJava = fakeJava(dir.resolve("home/bin/java"), "home");
        release(dir.resolve("jdk25"), "25.0.3");
        release(dir.resolve("home"), "17.0.15");
    }

    private void layOutTool(Path at) throws IOException {
        tool = at;
        Files.createDirectories(tool.resolve("bin"));
        Files.createDirectories(tool.resolve("lib"));
        Files.copy(Path.of("../build-support/launcher.sh"), tool.resolve("bin/launcher.sh"));
        script(tool.resolve("bin/cumulus-tool"), "CUMULUS_MAIN=io.example.Main\n"
                + "cumulus_self=$(readlink -f \"$0\")\n. \"${cumulus_self%/*}/launcher.sh\"\n");
        Files.writeString(tool.resolve("cli-tool.jar"), "");
        Files.writeString(tool.resolve("lib/cds.jsa"), "");
        Files.writeString(tool.resolve("lib/cds.jsa.size"), "0\n");
    }

    @Test
    void prefersThePackagedJavaWithItsAotCache() throws Exception {
        packageAot(true);
        String out = run(Map.of());
        assertTrue(out.startsWith("jdk25 "), out);
        assertTrue(out.contains(" -XX:AOTCache=" + tool.toRealPath().resolve("lib/aot.cache") + " "), out);
        assertTrue(out.contains(" --enable-native-access=ALL-UNNAMED "), out);
        assertFalse(out.contains("SharedArchiveFile"), out);
        assertTrue(out.endsWith(" -cp " + tool.toRealPath().resolve("cli-tool.jar") + " io.example.Main a b"), out);
    }

    @Test
    void fallsBackToJavaHomeAndTheCdsArchiveWhenThePackagedJavaIsGone() throws Exception {
        packageAot(true);
        Files.delete(aotJava);
        String out = run(Map.of());
        assertTrue(out.startsWith("home "), out);
        assertTrue(out.contains(" -XX:SharedArchiveFile=" + tool.toRealPath().resolve("lib/cds.jsa") + " "), out);
        assertFalse(out.contains("AOTCache"), out);
    }

    @Test
    void withoutACacheThePackagedJavaRunsWithoutTheDefaultJavasArchive() throws Exception {
        // a stale or missing cache sent calls to a java on PATH, which the PostgreSQL user often lacks (127)
        packageAot(false);
        String out = run(Map.of());
        assertTrue(out.startsWith("jdk25 ") && !out.contains("SharedArchiveFile") && !out.contains("AOTCache"), out);
        // PostgreSQL's PATH without java: only what the launcher itself runs
        Path bin = Files.createDirectories(dir.resolve("no-java-bin"));
        for (String command : List.of("readlink", "wc")) {
            Files.createSymbolicLink(bin.resolve(command), Path.of("/usr/bin", command));
        }
        String noJavaOnPath = run(Map.of("JAVA_HOME", "", "PATH", bin.toString()));
        assertTrue(noJavaOnPath.startsWith("jdk25 "), noJavaOnPath);
        Files.delete(tool.resolve("lib/aot.java"));
        String unpackaged = run(Map.of());
        assertTrue(unpackaged.startsWith("home ") && unpackaged.contains("SharedArchiveFile"), unpackaged);
    }

    @Test
    void aJava24OrNewerChosenAnyWayGetsTheFlagsThatSilenceItsWarnings() throws Exception {
        String flags = " --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow ";
        packageAot(true);
        assertTrue(run(Map.of()).contains(flags), "the packaged Java 25");
        Files.delete(tool.resolve("lib/aot.java"));
        assertFalse(run(Map.of()).contains("native-access"), "JAVA_HOME's Java 17");
        release(dir.resolve("home"), "24.0.1");
        String home24 = run(Map.of());
        assertTrue(home24.startsWith("home ") && home24.contains(flags), "JAVA_HOME's Java 24: " + home24);
        Path own = fakeJava(dir.resolve("own jdk/bin/java"), "own");
        assertFalse(run(Map.of("CUMULUS_JAVA", own.toString())).contains("native-access"), "no release file");
        release(dir.resolve("own jdk"), "26-ea");
        assertTrue(run(Map.of("CUMULUS_JAVA", own.toString())).contains(flags), "CUMULUS_JAVA's Java 26");
        release(dir.resolve("own jdk"), "1.8.0_402");
        assertFalse(run(Map.of("CUMULUS_JAVA", own.toString())).contains("native-access"));
    }

    @Test
    void cumulusJavaWinsAndNoCdsTurnsBothOff() throws Exception {
        packageAot(true);
        Path own = fakeJava(dir.resolve("own/bin/java"), "own");
        String chosen = run(Map.of("CUMULUS_JAVA", own.toString()));
        assertTrue(chosen.startsWith("own ") && chosen.contains("SharedArchiveFile"), chosen);
        String bare = run(Map.of("CUMULUS_NO_CDS", "1"));
        assertTrue(bare.startsWith("home "), bare);
        assertFalse(bare.contains("SharedArchiveFile") || bare.contains("AOTCache"), bare);
    }

    @Test
    void aJarNewerThanTheCacheAndTheArchiveTurnsThemOff() throws Exception {
        packageAot(true);
        Path jar = Files.writeString(tool.resolve("lib/some-library.jar"), "");
        FileTime later = FileTime.fromMillis(System.currentTimeMillis() + 60_000);
        Files.setLastModifiedTime(jar, later);
        String out = run(Map.of());
        assertTrue(out.startsWith("jdk25 "), "the packaged runtime still, without its cache: " + out);
        assertFalse(out.contains("AOTCache") || out.contains("SharedArchiveFile"), out);
        // the default Java, when the user says so, leaves the archive out too
        String own = run(Map.of("CUMULUS_JAVA", homeJava.toString()));
        assertTrue(own.startsWith("home ") && !own.contains("SharedArchiveFile"), own);
        Files.setLastModifiedTime(tool.resolve("lib/aot.cache"), later);
        assertTrue(run(Map.of()).contains("AOTCache"), "a cache made after the jar is used again");
    }

    @Test
    void theTrainingRunWritesTheCacheWithThePackagedJava() throws Exception {
        packageAot(false);
        String out = run(Map.of("CUMULUS_AOT_OUTPUT", "/tmp/x.aot"));
        assertTrue(out.startsWith("jdk25 ") && out.contains(" -XX:AOTCacheOutput=/tmp/x.aot "), out);
        assertTrue(out.contains(" -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining "), "no method profiles: " + out);
        // a new runtime's training (cds-archive.sh): named by CUMULUS_JAVA, lib/aot.java still names the old one
        Path next = fakeJava(dir.resolve("jdk26/bin/java"), "jdk26");
        String next26 = run(Map.of("CUMULUS_AOT_OUTPUT", "/tmp/x.aot", "CUMULUS_JAVA", next.toString()));
        assertTrue(next26.startsWith("jdk26 ") && next26.contains(" -XX:AOTCacheOutput=/tmp/x.aot "), next26);
        assertTrue(next26.contains(" --enable-native-access=ALL-UNNAMED "), next26);
    }

    @Test
    void anAzureOrGcsCallHasItsSdksJarsOnItsClassPathAndStartsFromTheArchivesTrainedOnThem() throws Exception {
        packageAot(true);
        Path azure = Files.createDirectories(tool.resolve("lib/azure"));
        Files.writeString(azure.resolve("azure-core.jar"), "");
        Files.writeString(azure.resolve("reactor-core.jar"), "");
        Path real = tool.toRealPath();
        String toolJar = real.resolve("cli-tool.jar").toString();
        String azureClassPath = " -cp " + toolJar + ":" + real.resolve("lib/azure/azure-core.jar") + ":"
                + real.resolve("lib/azure/reactor-core.jar") + " io.example.Main ";
        List<String> separate = List.of("--cloud-provider", "azure-blob-storage", "http://127.0.0.1:10000/a/c", "pg", "x");
        List<String> joined = List.of("--cloud-provider=azure-blob-storage", "https://a.blob.core.windows.net/c", "pg", "x");

        // no archive for Azure yet: its jars on the class path, the tool's cache (its class path is the start of that one)
        String untrained = run(Map.of(), separate);
        assertTrue(untrained.contains(azureClassPath) && untrained.contains(" -XX:AOTCache=" + real.resolve("lib/aot.cache") + " "),
                untrained);
        Files.writeString(azure.resolve("aot.cache"), "");
        Files.writeString(azure.resolve("cds.jsa"), "");
        Files.writeString(azure.resolve("cds.jsa.size"), "0\n");
        for (List<String> args : List.of(separate, joined)) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -XX:AOTCache=" + real.resolve("lib/azure/aot.cache") + " "), out);
            assertTrue(out.contains(azureClassPath), out);
            String java17 = run(Map.of("CUMULUS_JAVA", homeJava.toString()), args);
            assertTrue(java17.contains(" -XX:SharedArchiveFile=" + real.resolve("lib/azure/cds.jsa") + " "), java17);
            assertTrue(java17.contains(azureClassPath), java17);
        }
        // GCS the same way with lib/gcs/, and neither SDK on the other's class path
        Path gcs = Files.createDirectories(tool.resolve("lib/gcs"));
        Files.writeString(gcs.resolve("google-cloud-storage.jar"), "");
        Files.writeString(gcs.resolve("aot.cache"), "");
        String google = run(Map.of(), List.of("--cloud-provider", "google-cloud-storage", "gs://b/p", "pg", "x"));
        assertTrue(google.contains(" -XX:AOTCache=" + real.resolve("lib/gcs/aot.cache") + " "), google);
        assertTrue(google.contains(" -cp " + toolJar + ":" + real.resolve("lib/gcs/google-cloud-storage.jar") + " io.example.Main "),
                google);
        assertTrue(run(Map.of(), separate).contains(azureClassPath));
        // only --cloud-provider's value decides (a unique prefix of the option too, its last value), not an
        // argument that happens to name a provider: the two SDKs' jars must never meet on one class path
        for (List<String> args : List.of(
                List.of("--cloud-prov=azure-blob-storage", "https://a.blob.core.windows.net/c", "pg", "x"),
                List.of("--cl", "azure-blob-storage", "https://a.blob.core.windows.net/c", "pg", "x"),
                List.of("--cloud-provider", "azure-blob-storage", "https://a.blob.core.windows.net/c", "google-cloud-storage", "x"),
                List.of("--cloud-provider", "google-cloud-storage", "--cloud-provider=azure-blob-storage", "http://h/a/c", "pg", "x"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(azureClassPath) && out.contains("lib/azure/aot.cache") && !out.contains("lib/gcs"),
                    args + ": " + out);
        }
        for (List<String> args : List.of(List.of("s3://b/p", "azure-blob-storage", "x"),
                List.of("--cloud-provider", "aws-s3", "s3://b/p", "google-cloud-storage", "x"),
                List.of("--cloud-provider=azure-blob-storage", "--cloud-provider", "aws-s3", "s3://b/p", "pg", "x"),
                List.of("--", "--cloud-provider", "azure-blob-storage"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -cp " + toolJar + " io.example.Main ") && out.contains("lib/aot.cache"), args + ": " + out);
        }
        // S3: the tool's own class path and cache, as before
        String s3 = run(Map.of(), List.of("s3://b/p", "pg", "x"));
        assertTrue(s3.contains(" -XX:AOTCache=" + real.resolve("lib/aot.cache") + " "), s3);
        assertTrue(s3.contains(" -cp " + toolJar + " io.example.Main "), s3);
        // an Azure jar newer than the Azure cache turns that one off (the tool's still fits)
        Files.setLastModifiedTime(azure.resolve("reactor-core.jar"), FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        String stale = run(Map.of(), separate);
        assertTrue(stale.contains(" -XX:AOTCache=" + real.resolve("lib/aot.cache") + " ") && stale.contains(azureClassPath), stale);
        // the training run of the Azure cache: the Azure class path, the output named
        String training = run(Map.of("CUMULUS_AOT_OUTPUT", "/tmp/x.aot"), separate);
        assertTrue(training.contains(" -XX:AOTCacheOutput=/tmp/x.aot ") && training.contains(azureClassPath), training);
        // a tool without lib/azure (the provider removed): nothing added
        for (Path file : List.of(azure.resolve("azure-core.jar"), azure.resolve("reactor-core.jar"), azure.resolve("aot.cache"),
                azure.resolve("cds.jsa"), azure.resolve("cds.jsa.size"), azure)) {
            Files.delete(file);
        }
        String removed = run(Map.of(), separate);
        assertTrue(removed.contains(" -cp " + toolJar + " io.example.Main ") && removed.contains("lib/aot.cache"), removed);
    }

    private void packageAot(boolean withCache) throws IOException {
        Files.writeString(tool.resolve("lib/aot.java"), aotJava + "\n");
        if (withCache) {
            Files.writeString(tool.resolve("lib/aot.cache"), "");
        }
    }

    @Test
    void aCallOverPlainHttpOrToADirectoryKeepsToC1() throws Exception {
        packageAot(true);
        for (List<String> args : List.of(
                List.of("--endpoint-url", "http://127.0.0.1:9000", "s3://b/p", "pg", "x"),
                List.of("--endpoint-url=HTTP://minio:9000", "s3://b/p", "pg", "x"),
                List.of("file:///var/lib/archive", "pg", "x"),
                List.of("http://127.0.0.1:10000/devstoreaccount1/c", "pg", "x"),
                List.of("--async", "--spool-dir", "/s", "s3://b/p", "pg", "x"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -XX:TieredStopAtLevel=1 -Xmx256m "), out);
            assertFalse(out.contains("CompileCommand"), out);
        }
    }

    @Test
    void aCallOverTlsLetsC2CompileTheJdksCipherCode() throws Exception {
        packageAot(true);
        Files.writeString(dir.resolve("-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.x::y,0.01"), "");
        // (a file in the working directory that the flag, as a pattern, would match)
        for (List<String> args : List.of(
                List.of("s3://b/p", "pg", "x"),
                List.of("--endpoint-url", "https://s3.example.com", "s3://b/p", "pg", "x"),
                List.of("https://account.blob.core.windows.net/c/p", "pg", "x"),
                List.of("--cloud-provider", "google-cloud-storage", "gs://b/p", "pg", "x"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -XX:CompileCommand=quiet"
                    + " -XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01 -Xmx256m "), out);
            assertFalse(out.contains("TieredStopAtLevel"), out);
            assertFalse(out.contains("java.library.path"), "no lib/native, no library path: " + out);
        }
        String own = run(Map.of("CUMULUS_JVM_FLAGS", "-Xmx64m"), List.of("s3://b/p", "pg", "x"));
        assertTrue(own.contains(" -Xss1m -XX:-UsePerfData -Xmx64m ") && !own.contains("CompileCommand"), "the user's flags win: " + own);
    }

    @Test
    void anS3CallOverTlsKeepsToC1WhereConscryptsLibraryIsPackagedAndFindsIt() throws Exception {
        packageAot(true);
        Path natives = Files.createDirectories(tool.resolve("lib/native"));
        Files.writeString(natives.resolve("libconscrypt_openjdk_jni-linux-x86_64.so"), "");
        Files.writeString(natives.resolve("libconscrypt_openjdk_jni-linux-aarch_64.so"), "");
        String libraryPath = " -Djava.library.path=" + tool.toRealPath().resolve("lib/native") + " ";
        for (List<String> args : List.of(
                List.of("s3://b/p", "pg", "x"),
                List.of("--endpoint-url", "https://s3.example.com", "S3://b/p", "pg", "x"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -XX:TieredStopAtLevel=1 -Xmx256m ") && !out.contains("CompileCommand"), out);
            assertTrue(out.contains(libraryPath), out);
        }
        // the JDK's TLS asked for, or a store whose client is not S3's: the JDK's ciphers, compiled by C2
        for (Map.Entry<Map<String, String>, List<String>> call : Map.of(
                Map.of("CUMULUS_TLS", "JDK"), List.of("s3://b/p", "pg", "x"),
                Map.<String, String>of(), List.of("https://account.blob.core.windows.net/c/p", "pg", "x")).entrySet()) {
            String out = run(call.getKey(), call.getValue());
            assertTrue(out.contains("CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01") && !out.contains("TieredStopAtLevel"),
                    call + ": " + out);
            assertTrue(out.contains(libraryPath), out);
        }
        Files.delete(natives.resolve("libconscrypt_openjdk_jni-linux-x86_64.so"));
        Files.delete(natives.resolve("libconscrypt_openjdk_jni-linux-aarch_64.so"));
        String none = run(Map.of(), List.of("s3://b/p", "pg", "x"));
        assertTrue(none.contains("CompileThresholdScaling") && !none.contains("TieredStopAtLevel"),
                "no library for this machine: the JDK's TLS, whose ciphers C2 compiles: " + none);
    }

    @Test
    void aWorkerGetsTheFullJitWithRaisedThresholdsAndALargerHeapWhateverItsStore() throws Exception {
        packageAot(true);
        for (List<String> args : List.of(
                List.of("--async-uploader", "--spool-key=k", "--async", "--spool-dir", "/s", "s3://b/p", "pg", "/x"),
                List.of("--prefetch-worker", "--segment-size=16777216", "--spool-key=k", "--prefetch", "8",
                        "https://account.blob.core.windows.net/c/p", "pg", "f", "p"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(" -Xss1m -XX:-UsePerfData -XX:CompileThresholdScaling=5 -Xmx512m "), out);
            assertFalse(out.contains("TieredStopAtLevel") || out.contains("CompileCommand"), out);
            // an empty variable is no choice; flags the user set replace the worker's too
            assertTrue(run(Map.of("CUMULUS_JVM_FLAGS", ""), args).contains(" -XX:CompileThresholdScaling=5 -Xmx512m "));
            String own = run(Map.of("CUMULUS_JVM_FLAGS", "-Xmx1g"), args);
            assertTrue(own.contains(" -Xss1m -XX:-UsePerfData -Xmx1g ") && !own.contains("CompileThresholdScaling=5"), own);
        }
    }

    /**
     * No hsperfdata file: with /tmp full, every JVM warned about it in PostgreSQL's log at each call. Every
     * JVM the launcher starts (a call, a worker, a training run of cds-archive.sh, whose archives must be
     * made with the flags they serve, flags of the user's own), unless the user turns it back on.
     */
    @Test
    void everyJvmRunsWithoutPerfDataUnlessTheUserTurnsItOn() throws Exception {
        packageAot(true);
        List<Map<String, String>> environments = List.of(Map.of(), Map.of("CUMULUS_JVM_FLAGS", "-Xmx1g"),
                Map.of("CUMULUS_AOT_OUTPUT", "/tmp/x.aot"), Map.of("CUMULUS_JAVA", homeJava.toString()),
                Map.of("CUMULUS_NO_CDS", "1"));
        for (Map<String, String> environment : environments) {
            for (List<String> args : List.of(List.of("s3://b/p", "pg", "x"), List.of("--async-uploader",
                    "--spool-key=k", "--async", "--spool-dir", "/s", "s3://b/p", "pg", "/x"))) {
                String out = run(environment, args);
                assertTrue(out.contains(" -XX:+UseSerialGC -Xss1m -XX:-UsePerfData "), environment + ": " + out);
            }
        }
        String own = run(Map.of("CUMULUS_JAVA_OPTS", "-XX:+UsePerfData"), List.of("s3://b/p", "pg", "x"));
        assertTrue(own.indexOf("-XX:-UsePerfData") < own.indexOf("-XX:+UsePerfData"), "the last one wins: " + own);
    }

    @Test
    void everyJvmTakesNativeReflectionAccessorsUnlessTheUserSaysOtherwise() throws Exception {
        packageAot(true);
        String property = " -Djdk.reflect.useNativeAccessorOnly=true ";
        for (List<String> args : List.of(
                List.of("--endpoint-url", "http://127.0.0.1:9000", "s3://b/p", "pg", "x"),
                List.of("s3://b/p", "pg", "x"),
                List.of("--async-uploader", "--spool-key=k", "--async", "--spool-dir", "/s", "s3://b/p", "pg", "/x"))) {
            String out = run(Map.of(), args);
            assertTrue(out.contains(property), out);
            // the user's options come after it, so that their -D of the same property wins
            String own = run(Map.of("CUMULUS_JAVA_OPTS", "-Djdk.reflect.useNativeAccessorOnly=false"), args);
            assertTrue(own.contains(property + "-Djdk.reflect.useNativeAccessorOnly=false "), own);
        }
    }

    @Test
    void aToolUnderAPathWithASpaceOrAStarGetsEachOfItsPathsAsOneArgument() throws Exception {
        // a "java" that prints its arguments one per line, itself under a path with a space
        Path linesJava = script(Files.createDirectories(dir.resolve("my jdk/bin")).resolve("java"),
                "echo lines; for arg in \"$@\"; do printf '%s\\n' \"$arg\"; done\n");
        // a directory that "cli*tool" would match as a pattern
        Files.createDirectories(dir.resolve("cli-other-tool/lib/native"));
        for (String name : List.of("my tools/cli-tool", "cli*tool")) {
            layOutTool(dir.resolve(name));
            Files.createDirectories(tool.resolve("lib/native"));
            Files.writeString(tool.resolve("lib/aot.java"), linesJava + "\n");
            Files.writeString(tool.resolve("lib/aot.cache"), "");
            Path real = tool.toRealPath();
            List<String> tail = List.of("-cp", real.resolve("cli-tool.jar").toString(), "io.example.Main", "s3://b/p", "pg", "x");

            List<String> cached = arguments(run(Map.of(), List.of("s3://b/p", "pg", "x")));
            assertTrue(cached.contains("-XX:AOTCache=" + real.resolve("lib/aot.cache")), cached.toString());
            assertTrue(cached.contains("-Djava.library.path=" + real.resolve("lib/native")), cached.toString());
            assertEquals(tail, cached.subList(cached.size() - tail.size(), cached.size()));

            Path output = tool.resolve("lib/new aot.cache");
            List<String> training = arguments(run(Map.of("CUMULUS_AOT_OUTPUT", output.toString()), List.of("s3://b/p", "pg", "x")));
            assertTrue(training.contains("-XX:AOTCacheOutput=" + output), training.toString());

            List<String> archived = arguments(run(Map.of("CUMULUS_JAVA", linesJava.toString()), List.of("s3://b/p", "pg", "x")));
            assertTrue(archived.contains("-XX:SharedArchiveFile=" + real.resolve("lib/cds.jsa")), archived.toString());
            assertTrue(archived.contains("-Djava.library.path=" + real.resolve("lib/native")), archived.toString());
            assertEquals(tail, archived.subList(archived.size() - tail.size(), archived.size()));
        }
    }

    @Test
    void anArchiveOfAnotherSizeThanPackagedIsLeftOutAndCrashReportsStayOutOfTheWorkingDirectory() throws Exception {
        // a copy cut short by a full disk: Java 17 crashed (SIGBUS) on every call, an hs_err file in PGDATA each time
        Files.write(tool.resolve("lib/cds.jsa"), new byte[4096]);
        Files.writeString(tool.resolve("lib/cds.jsa.size"), "8192\n");
        String cut = run(Map.of());
        assertTrue(cut.startsWith("home ") && !cut.contains("SharedArchiveFile"), cut);
        Files.writeString(tool.resolve("lib/cds.jsa.size"), "4096\n");
        assertTrue(run(Map.of()).contains(" -XX:SharedArchiveFile="), "the size packaged: used");
        Files.delete(tool.resolve("lib/cds.jsa.size"));
        assertFalse(run(Map.of()).contains("SharedArchiveFile"), "no size recorded: left out");
        assertTrue(run(Map.of("TMPDIR", "/var/my tmp")).startsWith("home -XX:ErrorFile=/var/my tmp/cumulus_hs_err_%p.log "));
        assertTrue(run(Map.of("TMPDIR", "")).startsWith("home -XX:ErrorFile=/tmp/cumulus_hs_err_%p.log "));
    }

    @Test
    void theOneShotWalCallsLeaveSigquitToTheSystemAndNothingElseDoes() throws Exception {
        packageAot(true);
        assertFalse(run(Map.of()).contains("-Xrs"), "another tool (cumulus-backup's hook handles SIGTERM)");
        for (String main : List.of("io.cumulus.cli.walarchive.WalArchiveCommand", "io.cumulus.cli.walrestore.WalRestoreCommand")) {
            script(tool.resolve("bin/cumulus-tool"), "CUMULUS_MAIN=" + main + "\n"
                    + "cumulus_self=$(readlink -f \"$0\")\n. \"${cumulus_self%/*}/launcher.sh\"\n");
            String call = run(Map.of("CUMULUS_JVM_FLAGS", "-Xmx64m"), List.of("s3://b/p", "pg", "x"));
            assertTrue(call.startsWith("jdk25 -Xrs -XX:ErrorFile="), call);
            String worker = run(Map.of(), List.of("--async-uploader", "--prefetch-worker", "s3://b/p", "pg", "x"));
            assertFalse(worker.contains("-Xrs"), "a worker runs in its own session: " + worker);
        }
    }

    @Test
    void aCOrPosixLocaleGivesJavaUtf8FileNamesAndAnotherLocaleIsKept() throws Exception {
        // the postmaster's environment when LANG is unset: Java would decode file names as ASCII
        Path localeJava = script(Files.createDirectories(dir.resolve("locale/bin")).resolve("java"),
                "echo \"LC_ALL=${LC_ALL-unset} LC_CTYPE=${LC_CTYPE-unset} LANG=${LANG-unset}\"\n");
        Map<Map<String, String>, String> expected = Map.of(
                Map.of("LC_ALL", "", "LC_CTYPE", "", "LANG", ""), "LC_ALL= LC_CTYPE=C.UTF-8 LANG=",
                Map.of("LC_ALL", "", "LC_CTYPE", "", "LANG", "C"), "LC_ALL= LC_CTYPE=C.UTF-8 LANG=C",
                Map.of("LC_ALL", "", "LC_CTYPE", "POSIX", "LANG", "fr_FR.UTF-8"), "LC_ALL= LC_CTYPE=C.UTF-8 LANG=fr_FR.UTF-8",
                Map.of("LC_ALL", "C", "LC_CTYPE", "", "LANG", "de_DE.UTF-8"), "LC_ALL=C.UTF-8 LC_CTYPE= LANG=de_DE.UTF-8",
                Map.of("LC_ALL", "", "LC_CTYPE", "", "LANG", "fr_FR.ISO-8859-1"), "LC_ALL= LC_CTYPE= LANG=fr_FR.ISO-8859-1",
                Map.of("LC_ALL", "", "LC_CTYPE", "en_US.UTF-8", "LANG", "C"), "LC_ALL= LC_CTYPE=en_US.UTF-8 LANG=C",
                Map.of("LC_ALL", "POSIX", "LC_CTYPE", "en_US.UTF-8", "LANG", ""), "LC_ALL=C.UTF-8 LC_CTYPE=en_US.UTF-8 LANG=");
        for (Map.Entry<Map<String, String>, String> locale : expected.entrySet()) {
            Map<String, String> env = new java.util.HashMap<>(locale.getKey());
            env.put("CUMULUS_JAVA", localeJava.toString());
            assertEquals(locale.getValue(), run(env), locale.getKey().toString());
        }
    }

    @Test
    void aLauncherShEmptiedOrCutShortNeverPassesForSuccess() throws Exception {
        // every tool's launcher, with the packaged layout, a launcher.sh broken three ways, and a java that
        // would succeed: archive_command's exit 0 would have PostgreSQL recycle a segment never archived
        String whole = Files.readString(Path.of("../build-support/launcher.sh"));
        String atALineEnd = whole.substring(0, whole.indexOf("cumulus_jit=") - 1);
        String inTheMiddleOfAnIf = whole.substring(0, whole.indexOf("if [ -n \"${CUMULUS_JAVA:-}\" ]; then") + 40);
        List<Path> launchers;
        try (var found = Files.list(Path.of(".."))) {
            launchers = found.filter(module -> module.getFileName().toString().startsWith("cli-"))
                    .flatMap(module -> {
                        try (var bins = Files.list(module.resolve("src/main/bin"))) {
                            return bins.filter(bin -> bin.getFileName().toString().startsWith("cumulus-")).toList().stream();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).toList();
        }
        assertTrue(launchers.size() >= 10, launchers.toString());
        Path okJava = script(Files.createDirectories(dir.resolve("ok/bin")).resolve("java"), "exit 0\n");
        for (Path launcher : launchers) {
            String name = launcher.getFileName().toString();
            for (String broken : List.of("", atALineEnd, inTheMiddleOfAnIf)) {
                Path bin = Files.createDirectories(Files.createTempDirectory(dir, "tool").resolve("bin"));
                Files.copy(launcher, bin.resolve(name));
                Files.writeString(bin.resolve("launcher.sh"), broken);
                Files.createDirectories(Files.createDirectories(dir.resolve("data")).resolve("pg_wal"));
                Path wal = Files.write(dir.resolve("data/pg_wal/000000010000000000000001"), new byte[16]);
                ProcessBuilder builder = new ProcessBuilder("sh", bin.resolve(name).toString(), "file:///nowhere", "pg",
                        wal.toString()).redirectErrorStream(true).directory(dir.resolve("data").toFile());
                builder.environment().put("CUMULUS_JAVA", okJava.toString());
                Process process = builder.start();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int exit = process.waitFor();
                assertTrue(exit != 0, name + ", launcher.sh of " + broken.length() + " bytes: exit 0");
                if (broken.equals(atALineEnd) || broken.isEmpty()) {
                    assertEquals(4, exit, name + ": " + out);
                    assertTrue(out.contains(name + ": " + bin.toRealPath().resolve("launcher.sh")
                            + " did not start Java; check the installation"), name + ": " + out);
                }
            }
        }
    }

    @Test
    void anAotJavaThisUserCannotReadIsLeftOutSilently() throws Exception {
        // written by root under umask 077: every call as postgres put "cannot open .../aot.java: Permission
        // denied" into PostgreSQL's log
        packageAot(true);
        Files.setPosixFilePermissions(tool.resolve("lib/aot.java"), PosixFilePermissions.fromString("rw-------"));
        List<String> otherUser = List.of();
        if ("root".equals(System.getProperty("user.name"))) {
            // (root reads any file: the PostgreSQL user, as archive_command runs)
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            otherUser = List.of("runuser", "-u", "postgres", "--");
        }
        Call call = call(Map.of(), List.of("a", "b"), otherUser);
        assertEquals(0, call.exit(), call.output());
        assertEquals("home ", call.output().substring(0, 5), "as without lib/aot.java: " + call.output());
        assertFalse(call.output().contains("aot.java") || call.output().contains("ermission"), call.output());
    }

    @Test
    void noJavaRuntimeIsExit4WithOneLineNamingWhatWasLookedAt() throws Exception {
        // exec's "java: not found" was exit 127, which PostgreSQL takes for a shell failure: its archiver died
        // FATAL without counting it in pg_stat_archiver
        Path bin = Files.createDirectories(dir.resolve("no-java-bin"));
        Files.createSymbolicLink(bin.resolve("readlink"), Path.of("/usr/bin/readlink"));
        Path gone = dir.resolve("jdk-25-gone/bin/java");
        Files.writeString(tool.resolve("lib/aot.java"), gone + "\n");
        script(tool.resolve("bin/cumulus-tool"), "CUMULUS_MAIN=io.cumulus.cli.walarchive.WalArchiveCommand\n"
                + "cumulus_self=$(readlink -f \"$0\")\n. \"${cumulus_self%/*}/launcher.sh\"\n"
                + "echo 'did not start Java'; exit 4\n");
        String where = "in PostgreSQL's environment (the server's systemd unit, or pg_ctlcluster's"
                + " /etc/postgresql/VERSION/CLUSTER/environment)\n";
        Call nowhere = call(Map.of("JAVA_HOME", "/nowhere", "PATH", bin.toString()), List.of("a", "b"), List.of());
        assertEquals(4, nowhere.exit(), nowhere.output());
        assertEquals("cumulus-tool: no Java runtime: the packaged runtime (" + gone + ", named in lib/aot.java) is gone,"
                + " JAVA_HOME (/nowhere) has no bin/java and PATH (" + bin + ") has no java; set JAVA_HOME or CUMULUS_JAVA "
                + where, nowhere.output());
        Files.delete(tool.resolve("lib/aot.java"));
        Call unset = call(Map.of("JAVA_HOME", "", "PATH", bin.toString()), List.of("a", "b"), List.of());
        assertEquals(4, unset.exit(), unset.output());
        assertEquals("cumulus-tool: no Java runtime: JAVA_HOME is not set and PATH (" + bin + ") has no java;"
                + " set JAVA_HOME or CUMULUS_JAVA " + where, unset.output());
        Call named = call(Map.of("CUMULUS_JAVA", "/opt/no/java", "PATH", bin.toString()), List.of("a", "b"), List.of());
        assertEquals(4, named.exit(), named.output());
        assertEquals("cumulus-tool: no Java runtime: CUMULUS_JAVA (/opt/no/java) is not an executable file; point CUMULUS_JAVA"
                + " at a Java runtime's bin/java " + where, named.output());
        // another tool than the WAL tools: its own environment
        script(tool.resolve("bin/cumulus-tool"), "CUMULUS_MAIN=io.cumulus.cli.backup.BackupCommand\n"
                + "cumulus_self=$(readlink -f \"$0\")\n. \"${cumulus_self%/*}/launcher.sh\"\n");
        Call backup = call(Map.of("CUMULUS_JAVA", "java25", "PATH", bin.toString()), List.of("a", "b"), List.of());
        assertEquals(4, backup.exit(), backup.output());
        assertEquals("cumulus-tool: no Java runtime: CUMULUS_JAVA (java25) is not on PATH (" + bin + "); point CUMULUS_JAVA"
                + " at a Java runtime's bin/java\n", backup.output());
    }

    /** The arguments a "java" of aToolUnderAPathWithASpaceOrAStar... printed, one per line after its name. */
    private static List<String> arguments(String out) {
        List<String> lines = List.of(out.split("\n"));
        assertEquals("lines", lines.get(0), out);
        return lines.subList(1, lines.size());
    }

    private String run(Map<String, String> env) throws Exception {
        return run(env, List.of("a", "b"));
    }

    private String run(Map<String, String> env, List<String> args) throws Exception {
        Call call = call(env, args, List.of());
        assertEquals(0, call.exit(), call.output());
        return call.output().trim();
    }

    private record Call(int exit, String output) {
    }

    /**
     * The tool called with {@code args} and {@code env}, through a link as dist/bin's are, by the user that
     * the command prefix {@code user} switches to (empty: this one).
     */
    private Call call(Map<String, String> env, List<String> args, List<String> user) throws Exception {
        Path link = dir.resolve("cumulus-tool-link");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, tool.resolve("bin/cumulus-tool"));
        List<String> command = new java.util.ArrayList<>(user);
        command.addAll(List.of("/bin/sh", link.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        builder.environment().remove("CUMULUS_JAVA");
        builder.environment().remove("CUMULUS_NO_CDS");
        builder.environment().remove("CUMULUS_AOT_OUTPUT");
        builder.environment().remove("CUMULUS_JAVA_OPTS");
        builder.environment().remove("CUMULUS_TLS");
        builder.environment().put("JAVA_HOME", homeJava.getParent().getParent().toString());
        builder.environment().putAll(env);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Call(process.waitFor(), out);
    }

    /** A runtime's release file, as a JDK has it next to its bin/. */
    private static void release(Path home, String version) throws IOException {
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_RUNTIME_VERSION=\"" + version
                + "+1\"\nJAVA_VERSION=\"" + version + "\"\nJAVA_VERSION_DATE=\"2026-04-21\"\n");
    }

    private static Path fakeJava(Path path, String name) throws IOException {
        Files.createDirectories(path.getParent());
        return script(path, "echo " + name + " \"$@\"\n");
    }

    private static Path script(Path path, String body) throws IOException {
        Files.writeString(path, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }
}
