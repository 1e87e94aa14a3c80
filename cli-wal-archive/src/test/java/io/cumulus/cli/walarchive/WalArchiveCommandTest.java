package io.cumulus.cli.walarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.cli.ToolCommand;
import io.cumulus.core.wal.ArchiveSpool;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of cumulus-wal-archive, run in-process as its main runs it, against a file:// store. */
class WalArchiveCommandTest {
    /** The time of ok marks a test writes by hand: later than any file it makes, so the marks are those files'. */
    private static final FileTime MARKED = FileTime.from(java.time.Instant.now().plus(java.time.Duration.ofDays(1)));

    @TempDir
    Path dir;

    private record Result(int exitCode, String out, String err) {
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(() -> WalArchiveCommand.withArguments(args), new PrintWriter(out, true),
                new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    private Path segment(String name) throws IOException {
        Files.createDirectories(dir.resolve("pg_wal"));
        return Files.write(dir.resolve("pg_wal").resolve(name), new byte[1 << 20]);
    }

    /** Marks {@code wal} .ready in its archive_status, as PostgreSQL does before it calls archive_command. */
    private static Path markReady(Path wal) throws IOException {
        Files.createDirectories(wal.resolveSibling("archive_status"));
        Files.createFile(wal.resolveSibling("archive_status").resolve(wal.getFileName() + ".ready"));
        return wal;
    }

    private String store() throws IOException {
        return "file://" + Files.createDirectories(dir.resolve("store"));
    }

    /** The help's example is one line a DBA can copy: picocli's wrapping once broke it inside %p. */
    @Test
    void theHelpShowsTheArchiveCommandOnOneLine() {
        Result result = run("--help");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().lines().anyMatch(line -> line.strip().equals(
                "archive_command = 'cumulus-wal-archive [OPTIONS] DESTINATION_URL SERVER_NAME %p'")), result.out());
    }

    @Test
    void archivesIntoTheBarmanLayoutAndExitsZero() throws IOException {
        Path wal = segment("000000010000000000000001");
        Result result = run("--bzip2", store(), "main", wal.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000/000000010000000000000001.bz2")));
    }

    @Test
    void aNameThatIsNotWalIsExitThree() throws IOException {
        Path bad = Files.write(dir.resolve("notawal"), new byte[1]);
        Result result = run(store(), "main", bad.toString());
        assertEquals(3, result.exitCode());
        assertTrue(result.err().contains("'notawal' is not a WAL file name"), result.err());
    }

    @Test
    void aMissingWalFileIsExitOneNamingThePath() throws IOException {
        Result result = run(store(), "main", dir.resolve("000000010000000000000009").toString());
        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains(dir.resolve("000000010000000000000009").toString()), result.err());
    }

    @Test
    void aMissingStoreDirectoryIsExitOneAndIsNotCreated() throws IOException {
        Path wal = segment("000000010000000000000001");
        Result result = run("file://" + dir.resolve("absent"), "main", wal.toString());
        assertEquals(1, result.exitCode());
        assertTrue(result.err().contains(dir.resolve("absent").toString()), result.err());
        assertFalse(Files.exists(dir.resolve("absent")));
    }

    @Test
    void testModeChecksTheStoreWithoutAWalPath() throws IOException {
        assertEquals(0, run("-t", store(), "main").exitCode());
        assertEquals(1, run("--test", "file://" + dir.resolve("absent"), "main").exitCode());
    }

    @Test
    void testModeTakesTheAsyncArchiveCommandsOptionsWithoutAWalPath() throws IOException {
        String spool = dir.resolve("spool").toString();
        Result ok = run("--async", "--spool-dir", spool, "-t", store(), "main");
        assertEquals(0, ok.exitCode(), ok.err());
        Result absent = run("--async", "--spool-dir", spool, "--test", "file://" + dir.resolve("absent"), "main");
        assertEquals(1, absent.exitCode(), absent.err());
        assertFalse(Files.exists(dir.resolve("spool/archive-out/current")), "no uploader was asked to start");
    }

    @Test
    void invalidOptionsAreExitThreeWithOneLineSayingWhy() throws IOException {
        Path wal = segment("000000010000000000000001");
        Result unknown = run("--no-such-option", store(), "main", wal.toString());
        assertEquals(3, unknown.exitCode());
        assertTrue(unknown.err().contains("--no-such-option"), unknown.err());
        Result twoCompressions = run("-z", "-j", store(), "main", wal.toString());
        assertEquals(3, twoCompressions.exitCode());
        Result badTag = run("--tag", "aws:key,v", store(), "main", wal.toString());
        assertEquals(3, badTag.exitCode());
        assertTrue(badTag.err().contains("aws:"), badTag.err());
        Result kmsWithoutKms = run("--sse-kms-key-id", "k", store(), "main", wal.toString());
        assertEquals(3, kmsWithoutKms.exitCode());
        assertTrue(kmsWithoutKms.err().contains("--encryption aws:kms"), kmsWithoutKms.err());
        Result badUrl = run("ftp://host/x", "main", wal.toString());
        assertEquals(3, badUrl.exitCode());
        Result asyncWithoutSpool = run("--async", store(), "main", wal.toString());
        assertEquals(3, asyncWithoutSpool.exitCode());
        assertTrue(asyncWithoutSpool.err().contains("--spool-dir"), asyncWithoutSpool.err());
    }

    @Test
    void helpSaysBarmanCloud312ReadsXzZstdAndLz4Wal() {
        String help = run("--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--xz Compress with xz (.xz); barman-cloud 3.12+ reads it"), help);
        assertTrue(help.contains("--zstd Compress with zstd (.zst); barman-cloud 3.12+ reads it"), help);
        assertTrue(help.contains("--lz4 Compress with lz4 (.lz4); barman-cloud 3.12+ reads it"), help);
    }

    @Test
    void nonsensicalNumbersAreExitThreeWhateverTheProviderAndMode() throws IOException {
        Path wal = segment("000000010000000000000001");
        String spool = dir.resolve("spool").toString();
        for (String[] args : List.of(
                new String[] {"--async-idle-timeout", "-3", store(), "main", wal.toString()},
                new String[] {"--async", "--spool-dir", spool, "--async-idle-timeout", "-3", store(), "main",
                    wal.toString()},
                new String[] {"--read-timeout", "-5", store(), "main", wal.toString()},
                new String[] {"--read-timeout", "0", "-t", store(), "main"},
                new String[] {"--async", "--spool-dir", spool, "--read-timeout", "0", store(), "main", wal.toString()},
                new String[] {"--max-parallel", "0", store(), "main", wal.toString()},
                new String[] {"--max-concurrency", "0", store(), "main", wal.toString()},
                new String[] {"--credential", "foo", store(), "main", wal.toString()},
                new String[] {"--azure-credential", "Azure-CLI", "-t", store(), "main"})) {
            Result result = run(args);
            assertEquals(3, result.exitCode(), String.join(" ", args) + ": " + result.err());
            assertEquals(1, result.err().strip().lines().count(), result.err());
        }
        assertFalse(Files.exists(dir.resolve("store/main")), "nothing archived");
        assertFalse(Files.exists(dir.resolve("spool/archive-out/current")), "no uploader was asked to start");
        assertEquals(0, run("--async-idle-timeout", "0", store(), "main", wal.toString()).exitCode());
    }

    @Test
    void anInvalidCompressionLevelIsExitThreeNamingTheAcceptedValues() throws IOException {
        Path wal = segment("000000010000000000000001");
        Result sync = run("-z", "--compression-level", "bogus", store(), "main", wal.toString());
        assertEquals(3, sync.exitCode(), sync.err());
        assertTrue(sync.err().contains("'bogus': must be low, medium, high or an integer"), sync.err());
        assertEquals(1, sync.err().strip().lines().count(), sync.err());
        Result async = run("--async", "--spool-dir", dir.resolve("spool").toString(), "-z", "--compression-level",
                "bogus", store(), "main", wal.toString());
        assertEquals(3, async.exitCode(), async.err());
        assertTrue(async.err().contains("must be low, medium, high or an integer"), async.err());
    }

    @Test
    void asyncForegroundAnswersFromAnOkMarkWithoutTouchingTheStore() throws IOException {
        Path wal = segment("000000010000000000000001");
        Path spool = dir.resolve("spool");
        String[] args = {"--async", "--spool-dir", spool.toString(), "file://" + dir.resolve("absent"), "main",
            wal.toString()};
        ArchiveSpool marks = new ArchiveSpool(spool, ArchiveSpool.keyOf(List.of(args).subList(0, 5),
                dir.toRealPath())).create();
        marks.markOk("000000010000000000000001", "", MARKED);
        // The store URL points nowhere: the foreground must not need it when the mark is there.
        Result result = run(args);
        assertEquals(0, result.exitCode(), result.err());
        assertFalse(Files.exists(marks.directory().resolve("000000010000000000000001.ok")), "the mark is consumed");
        assertTrue(Files.exists(marks.directory().resolve("000000010000000000000001.reported")),
                "and kept as reported until PostgreSQL marks the file done");
        // what the launcher's fast path reads to find this key without hashing
        assertEquals(String.join("\n", List.of(args).subList(0, 5)) + "\n",
                Files.readString(marks.directory().resolve("arguments")));
        assertEquals(dir.toRealPath() + "\n", Files.readString(marks.directory().resolve("data-directory")));
        assertEquals(marks.key() + "\n", Files.readString(spool.resolve("archive-out/current")));
        assertTrue(marks.lastCall().isPresent(), "the call is recorded: its uploader goes on while calls come");
    }

    @Test
    void theLauncherAnswersFromAnOkMarkOfItsOwnOptionsWithoutStartingJava() throws Exception {
        String name = "000000010000000000000001";
        String[] args = argsWithOkMark(name);
        ArchiveSpool marks = spoolOf(args);
        ProcessBuilder launcher = launcher(args);
        Process process = launcher.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        assertTrue(marks.hasOk(name), "the mark stays until PostgreSQL marks the file done");

        // The same file under other options (archive_command changed) is not taken for stored.
        String[] elsewhere = args.clone();
        elsewhere[3] = "s3://elsewhere/p";
        ArchiveSpool other = spoolOf(elsewhere);
        other.markOk(name, "", MARKED);
        Process missed = launcher.start();
        missed.getInputStream().readAllBytes();
        assertTrue(missed.waitFor() != 0, "a mark of other options must not answer this call");

        // A spool that does not know its options' arguments (made by an earlier version) goes to the tool.
        marks.makeCurrent();
        Files.delete(marks.directory().resolve("arguments"));
        Process unknown = launcher.start();
        unknown.getInputStream().readAllBytes();
        assertTrue(unknown.waitFor() != 0, "without the arguments the key is not taken for this call's");
    }

    /**
     * Two clusters with the same archive_command and --spool-dir (a pg_basebackup copy started as its own
     * primary): a mark of one cluster's segment never answers for the other's segment of the same name.
     */
    @Test
    void theLauncherTakesNoMarkOfAnotherDataDirectoryWithTheSameArguments() throws Exception {
        String name = "000000010000000000000001";
        Path a = Files.createDirectories(dir.resolve("a/pg_wal"));
        Path b = Files.createDirectories(dir.resolve("b/pg_wal"));
        String[] ofA = {"--async", "--spool-dir", dir.resolve("spool").toString(), "s3://bucket/p", "main",
            Files.write(a.resolve(name), new byte[] {1}).toString()};
        String[] ofB = ofA.clone();
        ofB[5] = Files.write(b.resolve(name), new byte[] {2}).toString();
        ArchiveSpool marks = spoolOf(ofA);
        marks.markOk(name, "", MARKED);
        spoolOf(ofB); // b's key current too
        Process other = launcher(ofB).start();
        other.getInputStream().readAllBytes();
        assertTrue(other.waitFor() != 0, "a's mark must not answer b's call (here /bin/false)");
        Process own = launcher(ofA).start();
        String output = new String(own.getInputStream().readAllBytes());
        assertEquals(0, own.waitFor(), output);

        // as PostgreSQL calls: pg_wal/NAME, in the data directory, here reached through a symbolic link
        String[] relative = ofA.clone();
        relative[5] = "pg_wal/" + name;
        Path link = Files.createSymbolicLink(dir.resolve("link-to-a"), dir.resolve("a"));
        Files.deleteIfExists(marks.directory().resolve("called"));
        Process fromA = launcher(relative).directory(link.toFile()).start();
        output = new String(fromA.getInputStream().readAllBytes());
        assertEquals(0, fromA.waitFor(), output);
        assertTrue(marks.lastCall().isPresent(), "the launcher's answer is recorded as a call of the key");
        Process fromB = launcher(relative).directory(dir.resolve("b").toFile()).start();
        fromB.getInputStream().readAllBytes();
        assertTrue(fromB.waitFor() != 0, "in b's data directory, a's mark does not answer");
    }

    /** The same, when the call reaches Java: the foreground leaves the other cluster's ok mark alone. */
    @Test
    void anAsyncCallTakesNoOkMarkOfAnotherDataDirectory() throws Exception {
        String name = "000000010000000000000001";
        Path a = Files.createDirectories(dir.resolve("a/pg_wal"));
        Path b = Files.createDirectories(dir.resolve("b/pg_wal"));
        String[] ofA = {"--async", "--spool-dir", dir.resolve("spool").toString(), "--async-timeout", "5",
            "file://" + dir.resolve("absent"), "main", Files.write(a.resolve(name), new byte[] {1}).toString()};
        String[] ofB = ofA.clone();
        ofB[7] = markReady(Files.write(b.resolve(name), new byte[] {2})).toString();
        ArchiveSpool marks = spoolOf(ofA);
        marks.markOk(name, "", MARKED);
        Result result = run(ofB);
        assertTrue(result.exitCode() != 0, "b's segment is not stored: " + result.err());
        assertTrue(Files.exists(marks.directory().resolve(name + ".ok")), "a's mark is not consumed");
        assertEquals(2, Files.readAllLines(dir.resolve("spool/archive-out/current")).size(), "both keys are current");
    }

    /** An uploader started with another data directory's WAL path than its key's serves nothing. */
    @Test
    void anUploaderRefusesTheKeyOfAnotherDataDirectory() throws Exception {
        String name = "000000010000000000000001";
        Path b = Files.createDirectories(dir.resolve("b/pg_wal"));
        String[] ofA = {"--async", "--spool-dir", dir.resolve("spool").toString(), store(), "main",
            Files.createDirectories(dir.resolve("a/pg_wal")).resolve(name).toString()};
        ArchiveSpool marks = spoolOf(ofA);
        Path walOfB = markReady(Files.write(b.resolve(name), new byte[] {2}));
        Result result = run("--async-uploader", "--spool-key=" + marks.key(), "--async", "--spool-dir",
                dir.resolve("spool").toString(), store(), "main", walOfB.toString());
        assertTrue(result.exitCode() != 0, result.err());
        assertTrue(marks.takeUploaderFailure().orElseThrow().reason().contains("serves the data directory "
                + dir.resolve("a").toRealPath() + ", not " + dir.resolve("b").toRealPath()), result.err());
        assertFalse(Files.exists(dir.resolve("store/main/wals")), "nothing stored");
    }

    /** The spool directory of an archive_command replaced long ago goes when the next uploader starts. */
    @Test
    void anUploaderRemovesTheKeysOfAnArchiveCommandReplacedLongAgo() throws Exception {
        String name = "000000010000000000000001";
        Path wal = markReady(segment(name));
        String[] before = {"--async", "--spool-dir", dir.resolve("spool").toString(), store(), "old", wal.toString()};
        ArchiveSpool replaced = spoolOf(before);
        replaced.markOk("000000010000000000000000", "", MARKED);
        String[] now = {"--async", "--spool-dir", dir.resolve("spool").toString(), "--async-idle-timeout", "1", store(),
            "main", wal.toString()};
        ArchiveSpool current = spoolOf(now);
        java.nio.file.attribute.FileTime longAgo = java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(java.time.Duration.ofHours(1)));
        try (var files = Files.list(replaced.directory())) {
            for (Path file : files.toList()) {
                Files.setLastModifiedTime(file, longAgo);
            }
        }
        Files.setLastModifiedTime(replaced.directory(), longAgo);

        Result result = run("--async-uploader", "--spool-key=" + current.key(), "--async", "--spool-dir",
                dir.resolve("spool").toString(), "--async-idle-timeout", "1", store(), "main", wal.toString());

        assertEquals(0, result.exitCode(), result.err());
        assertFalse(Files.exists(replaced.directory()), "the replaced key's directory is removed");
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)), "the uploader shipped");
    }

    @Test
    void theLauncherFindsTheWalPathBeforeTrailingTagsAsBarmanCloudPlacesThem() throws Exception {
        String name = "000000010000000000000002";
        Path wal = segment(name);
        String[] args = {"--async", "--spool-dir", dir.resolve("spool").toString(), "s3://bucket/p", "main",
            wal.toString(), "--tags", "a,1", "b,2"};
        List<String> options = List.of("--async", "--spool-dir", dir.resolve("spool").toString(), "s3://bucket/p",
                "main", "--tags", "a,1", "b,2");
        ArchiveSpool spool = new ArchiveSpool(Path.of(args[2]), ArchiveSpool.keyOf(options, dir.toRealPath())).create();
        spool.recordArguments(options, dir.toRealPath());
        spool.makeCurrent();
        spool.markOk(name, "", MARKED);

        Process call = launcher(args).start();
        String output = new String(call.getInputStream().readAllBytes());
        assertEquals(0, call.waitFor(), output);

        // other trailing tags are other options: not this spool's marks
        String[] otherTags = args.clone();
        otherTags[8] = "b,3";
        Process other = launcher(otherTags).start();
        other.getInputStream().readAllBytes();
        assertTrue(other.waitFor() != 0, "a mark of other options must not answer this call");
    }

    @Test
    void theLauncherDoesNotAnswerFromTheMarkOfAnOlderFileOfTheSameName() throws Exception {
        String name = "000000010000000000000001";
        String[] args = asyncArgs(name);
        Path wal = Path.of(args[5]);
        ArchiveSpool marks = spoolOf(args);
        marks.markOk(name, "", Files.getLastModifiedTime(wal)); // as the uploader marks the file it stored
        Process stored = launcher(args).start();
        String output = new String(stored.getInputStream().readAllBytes());
        assertEquals(0, stored.waitFor(), output);

        // the data directory put back to an earlier state, the spool not: PostgreSQL writes the name anew
        Files.write(wal, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(wal, FileTime.from(Files.getLastModifiedTime(wal).toInstant().plusSeconds(60)));
        Process rewritten = launcher(args).start();
        rewritten.getInputStream().readAllBytes();
        assertTrue(rewritten.waitFor() != 0, "a file newer than its mark goes to the tool (here /bin/false)");
    }

    @Test
    void anOkMarkOfAnOlderFileOfTheSameNameDoesNotAnswerForANewOne() throws Exception {
        String name = "000000010000000000000009";
        Path wal = segment(name);
        String store = store();
        assertEquals(0, run(store, "main", wal.toString()).exitCode(), "the first version is archived");
        String[] args = {"--async", "--spool-dir", dir.resolve("spool").toString(), "--async-idle-timeout", "1",
            store, "main", wal.toString()};
        spoolOf(args).markOk(name, "", Files.getLastModifiedTime(wal));

        // The data directory put back to an earlier state, the spool not: PostgreSQL writes the segment
        // anew, with other content, and asks for it to be archived.
        Files.write(wal, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(wal, FileTime.from(Files.getLastModifiedTime(wal).toInstant().plusSeconds(60)));
        markReady(wal);
        Result result = run(args);
        assertEquals(1, result.exitCode(), "an uploader archives it anew and finds the other content: " + result.err());
        assertTrue(result.err().contains("older file of that name"), result.err());
        assertTrue(result.err().contains("different content"), result.err());
    }

    @Test
    void optionsAfterTheWalPathBelongToTheSpoolKeyAndTheUploader() throws Exception {
        String name = "000000010000000000000003";
        Path wal = markReady(segment(name));
        String store = store();
        Path spool = dir.resolve("spool");
        String[] args = {"--async", "--spool-dir", spool.toString(), store, "main", wal.toString(), "--gzip",
            "--async-idle-timeout", "1"};
        Result result = run(args);
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name + ".gz")),
                "the uploader got the options that followed the path");
        String key = ArchiveSpool.keyOf(List.of("--async", "--spool-dir", spool.toString(), store, "main", "--gzip",
                "--async-idle-timeout", "1"), dir.toRealPath());
        assertEquals(key, Files.readString(spool.resolve("archive-out/current")).strip(), "the path is not in the key");
    }

    @Test
    void tagsAfterTheWalPathAsBarmanCloudTakesThemStillLeaveTheUploaderItsPath() throws Exception {
        // barman-cloud's --tags takes every word after it: URL SERVER %p --tags ... is its form
        String name = "000000010000000000000005";
        Path wal = markReady(segment(name));
        Result result = run("--async", "--spool-dir", dir.resolve("spool").toString(), "--async-idle-timeout", "1",
                store(), "main", wal.toString(), "--tags", "a,1", "b,2", "--history-tags", "h,3");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)), result.err());
    }

    @Test
    void anUploaderThatCannotStartFailsTheCallAtOnceWithItsReasonAndExitCode() throws Exception {
        String name = "000000010000000000000004";
        Path wal = markReady(segment(name));
        long started = System.nanoTime();
        // an option only the store's opening checks, in the uploader
        Result result = run("--async", "--spool-dir", dir.resolve("spool").toString(), "--sse-kms-key-id", "alias/k",
                "s3://bucket/p", "main", wal.toString());
        assertEquals(3, result.exitCode(), result.err());
        assertTrue(result.err().contains("the uploader could not start: --sse-kms-key-id needs --encryption aws:kms"),
                result.err());
        assertTrue(System.nanoTime() - started < java.time.Duration.ofSeconds(30).toNanos(),
                "not after the 60 s --async-timeout");
    }

    /** A spool that takes no mark (a full disk in life): the call archives its segment itself, and exits 0. */
    @Test
    void anAsyncCallWhoseSpoolTakesNoMarkArchivesItsSegmentItself() throws Exception {
        String name = "000000010000000000000006";
        Path wal = markReady(segment(name));
        Path spool = dir.resolve("spool");
        String[] args = {"--async", "--spool-dir", spool.toString(), store(), "main", wal.toString()};
        ArchiveSpool marks = spoolOf(args);
        Files.createDirectories(marks.directory().resolve("writable/in-the-way"));
        Result result = run(args);
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.err().contains("the --async spool " + spool + " cannot be written"), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)), result.err());
        assertFalse(Files.exists(marks.uploaderLog()), "no uploader was started");
    }

    /** A file where the spool's key directory goes: the call cannot even set the spool up, and archives itself. */
    @Test
    void anAsyncCallThatCannotCreateItsSpoolArchivesItsSegmentItself() throws Exception {
        String name = "000000010000000000000008";
        Path wal = markReady(segment(name));
        Path spool = dir.resolve("spool");
        String store = store();
        String[] args = {"--async", "--spool-dir", spool.toString(), store, "main", wal.toString()};
        String key = ArchiveSpool.keyOf(List.of(args).subList(0, 5), dir.toRealPath());
        Files.createDirectories(spool.resolve("archive-out"));
        Files.writeString(spool.resolve("archive-out").resolve(key), "in the way");
        Result result = run(args);
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.err().contains("archiving " + name + " in this call"), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)), result.err());
    }

    @Test
    void anAsyncCallWithAnOptionTheUploaderWouldRejectFailsAtOnce() {
        Result result = run("--async", "--spool-dir", dir.resolve("spool").toString(), "--tag", "aws:k,v",
                "s3://bucket/p", "main", dir.resolve("pg_wal/000000010000000000000001").toString());
        assertEquals(3, result.exitCode(), result.err());
        assertFalse(Files.exists(dir.resolve("spool/archive-out/current")), "no uploader was asked to start");
    }

    @Test
    void theAsyncForegroundLoadsNoCloudSdk() throws Exception {
        String name = "000000010000000000000008";
        String[] args = asyncArgs(name); // an s3:// destination
        ArchiveSpool marks = spoolOf(args);
        marks.markOk(name, "WAL file " + name + " is already archived with the same content; nothing written", MARKED);
        Path classes = dir.resolve("classes.log");
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info:file=" + classes, "-cp", System.getProperty("java.class.path"),
                WalArchiveCommand.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        String loaded = Files.readString(classes);
        assertTrue(loaded.contains(WalArchiveCommand.class.getName()), "the class log works");
        assertFalse(loaded.contains("software.amazon") || loaded.contains("io.cumulus.storage.s3"),
                "the foreground answered from the spool without loading the S3 provider");
    }

    @Test
    void theLauncherTakesOnlyItsOwnArgumentsForItsKey() throws Exception {
        String name = "000000010000000000000007";
        String[] args = argsWithOkMark(name);
        ArchiveSpool marks = spoolOf(args);
        // the recorded arguments and this call's differ by one more, one fewer, or a trailing space
        for (String recorded : List.of(String.join("\n", List.of(args).subList(0, 5)) + "\nextra\n",
                String.join("\n", List.of(args).subList(0, 4)) + "\n",
                String.join("\n", List.of(args).subList(0, 5)) + " \n",
                String.join("\n", List.of(args).subList(0, 5)))) {
            Files.writeString(marks.directory().resolve("arguments"), recorded);
            Process call = launcher(args).start();
            call.getInputStream().readAllBytes();
            assertTrue(call.waitFor() != 0, "arguments " + recorded.replace("\n", "|") + " are not this call's");
        }
        Files.writeString(marks.directory().resolve("arguments"), String.join("\n", List.of(args).subList(0, 5)) + "\n");
        Process call = launcher(args).start();
        call.getInputStream().readAllBytes();
        assertEquals(0, call.waitFor(), "its own arguments, one per line");
    }

    @Test
    void theLauncherWaitsForAFileTheUploaderIsStoringInsteadOfStartingJava() throws Exception {
        String name = "000000010000000000000002";
        String[] args = asyncArgs(name);
        ArchiveSpool marks = spoolOf(args);
        marks.markUploading(name);
        Process call = launcher(args).start();
        Thread.sleep(500);
        assertTrue(call.isAlive(), "the launcher waits while the uploader stores the file");
        marks.markOk(name, "", MARKED);
        marks.clearUploading(name);
        String output = new String(call.getInputStream().readAllBytes());
        assertEquals(0, call.waitFor(), output);

        // the uploader failed it: no ok mark once the uploading mark is gone, so Java reports the error
        String failing = "000000010000000000000003";
        args[5] = segment(failing).toString();
        marks.markUploading(failing);
        Process reported = launcher(args).start();
        Thread.sleep(300);
        assertTrue(reported.isAlive());
        marks.markError(failing, new ArchiveSpool.Failure(4, "store refuses writes"));
        marks.clearUploading(failing);
        reported.getInputStream().readAllBytes();
        assertTrue(reported.waitFor() != 0, "no ok mark: the call goes to the tool (here /bin/false)");
    }

    @Test
    void theLauncherGivesARunningUploaderAMomentToTakeANewFileOn() throws Exception {
        String name = "000000010000000000000004";
        String[] args = asyncArgs(name);
        ArchiveSpool marks = spoolOf(args);
        marks.markUploaderRunning();
        Process call = launcher(args).start();
        Thread.sleep(150);
        assertTrue(call.isAlive(), "no mark yet, but an uploader runs: the launcher waits for it");
        marks.markUploading(name);
        Thread.sleep(100);
        marks.markOk(name, "", MARKED);
        marks.clearUploading(name);
        String output = new String(call.getInputStream().readAllBytes());
        assertEquals(0, call.waitFor(), output);

        // no uploader: the call goes to the tool at once (here /bin/false)
        marks.clearUploaderRunning();
        args[5] = segment("000000010000000000000005").toString();
        Process alone = launcher(args).start();
        assertTrue(alone.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "no wait without an uploader");
        assertTrue(alone.exitValue() != 0);

        // an uploader that never takes the file on (slots full, or killed): the wait is bounded
        marks.markUploaderRunning();
        args[5] = segment("000000010000000000000006").toString();
        Process bounded = launcher(args).start();
        assertTrue(bounded.waitFor(5, java.util.concurrent.TimeUnit.SECONDS), "the wait ends by itself");
        assertTrue(bounded.exitValue() != 0, "then the tool is started (here /bin/false)");
    }

    @Test
    void anAsyncCallByHandOnASegmentAlreadyDoneArchivesItInTheCall() throws IOException {
        // docs/check.md's repair of a gap: the segment is still in pg_wal, PostgreSQL has marked it .done
        String name = "000000010000000000000006";
        Path wal = segment(name);
        Files.createDirectories(wal.resolveSibling("archive_status"));
        Files.createFile(wal.resolveSibling("archive_status").resolve(name + ".done"));
        Path spool = dir.resolve("spool");
        long started = System.nanoTime();
        Result result = run("-v", "--async", "--spool-dir", spool.toString(), "--async-timeout", "20", store(), "main",
                wal.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(System.nanoTime() - started < java.time.Duration.ofSeconds(15).toNanos(),
                "archived at once, not after waiting for an uploader that never takes it on: " + result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)));
        assertTrue(result.err().contains(name + " has no archive_status/" + name + ".ready beside it"), result.err());
        assertFalse(Files.exists(spoolOf(spool, result).uploaderLog()), "no uploader was started");
    }

    @Test
    void anAsyncCallByHandOnACopyOutsidePgWalArchivesItInTheCall() throws IOException {
        String name = "000000010000000000000007";
        Path copy = Files.write(Files.createDirectories(dir.resolve("copies")).resolve(name), new byte[1 << 20]);
        Path spool = dir.resolve("spool");
        Result result = run("--async", "--spool-dir", spool.toString(), "--async-timeout", "20", store(), "main",
                copy.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.exists(dir.resolve("store/main/wals/0000000100000000").resolve(name)));
        assertFalse(Files.exists(spoolOf(spool, result).uploaderLog()), "no uploader looked for " + copy.getParent()
                + "/archive_status");
    }

    /** The spool an --async call used: the one it named current. */
    private static ArchiveSpool spoolOf(Path spool, Result result) throws IOException {
        return new ArchiveSpool(spool, Files.readString(spool.resolve("archive-out/current")).strip());
    }

    /** An --async archive_command's arguments for a new segment {@code name} in {@code dir/spool}. */
    private String[] asyncArgs(String name) throws IOException {
        return new String[] {"--async", "--spool-dir", dir.resolve("spool").toString(), "s3://bucket/p", "main",
                segment(name).toString()};
    }

    /** An --async call's arguments for a new segment {@code name}, whose spool holds an empty ok mark for it. */
    private String[] argsWithOkMark(String name) throws IOException {
        String[] args = asyncArgs(name);
        spoolOf(args).markOk(name, "", MARKED);
        return args;
    }

    /**
     * The spool the launcher reads for {@code args} (its key: every argument but the WAL path), set up
     * as a foreground call of the tool leaves it: its arguments recorded, its key the current one.
     */
    private static ArchiveSpool spoolOf(String[] args) throws IOException {
        List<String> options = List.of(args).subList(0, args.length - 1);
        Path dataDirectory = ArchiveSpool.dataDirectoryOf(Path.of(args[args.length - 1]));
        ArchiveSpool spool = new ArchiveSpool(Path.of(args[2]), ArchiveSpool.keyOf(options, dataDirectory)).create();
        spool.recordArguments(options, dataDirectory);
        spool.makeCurrent();
        return spool;
    }

    /**
     * The packaged launcher with {@code args}, CUMULUS_JAVA=/bin/false: a call that misses the fast
     * path and reaches Java fails instead of answering, so an exit 0 proves the launcher answered.
     */
    private static ProcessBuilder launcher(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("sh",
                Path.of("src/main/bin/cumulus-wal-archive").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder launcher = new ProcessBuilder(command).redirectErrorStream(true);
        launcher.environment().put("CUMULUS_JAVA", "/bin/false");
        return launcher;
    }
}
