package io.cumulus.cli.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cumulus-backup-delete in a JVM of its own with a heap far smaller than the WAL listing it reads:
 * the listing is streamed (one page, one decision per object), never held, so a retention job that
 * has failed for weeks can still run. The old delete held every WAL object (some 330 bytes each)
 * and died of "Java heap space" here.
 */
class DeleteOnLargeWalArchiveTest {

    /** WAL objects: at about 330 bytes each when held, several times the heap below. */
    private static final int SEGMENTS = 50_000;
    private static final String HEAP = "-Xmx16m";
    private static final OffsetDateTime T0 = OffsetDateTime.of(2026, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void aDeleteByPolicyStreamsAWalListingFarLargerThanItsHeap() throws Exception {
        Path root = dir.resolve("store");
        // backup 0 at the first segment, backup 1 at the last: REDUNDANCY 1 frees all WAL before backup 1
        backup(root, "20260101T000000", 0, segment(1));
        backup(root, "20260102T000000", 1, segment(SEGMENTS + 1));
        for (int s = 1; s <= SEGMENTS + 1; s++) {
            String name = segment(s);
            Path directory = root.resolve("pg/wals/" + name.substring(0, 16));
            if (s == 1 || (s & 0xFF) == 0) {
                Files.createDirectories(directory);
            }
            Files.createFile(directory.resolve(name + ".gz"));
        }
        String url = "file://" + root;

        Result dryRun = deleteInSmallHeap(url, "-r", "REDUNDANCY 1", "--dry-run");
        assertEquals(0, dryRun.exitCode(), dryRun::describe);
        assertTrue(dryRun.out().contains("Would delete backup 20260101T000000, then " + SEGMENTS + " WAL object(s) "
                + segment(1) + " .. " + segment(SEGMENTS) + ": WAL before " + segment(SEGMENTS + 1)), dryRun::describe);
        assertTrue(Files.exists(walKey(root, 1)), "a dry run deletes nothing");

        Result delete = deleteInSmallHeap(url, "-r", "REDUNDANCY 1");
        assertEquals(0, delete.exitCode(), delete::describe);
        assertFalse(Files.exists(walKey(root, 1)));
        assertFalse(Files.exists(walKey(root, SEGMENTS)));
        assertTrue(Files.exists(walKey(root, SEGMENTS + 1)), "the WAL of the backup kept stays");
        assertTrue(delete.err().contains("deleted 1 backup(s) and " + SEGMENTS + " WAL object(s)"), delete::describe);
    }

    private record Result(int exitCode, String out, String err) {
        String describe() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    private Result deleteInSmallHeap(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                HEAP, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                BackupDeleteCommand.class.getName(), args[0], "pg", "-v"));
        command.addAll(List.of(args).subList(1, args.length));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static void backup(Path root, String id, int day, String beginWal) throws IOException {
        BackupInfo info = BackupInfo.builder().status(BackupStatus.DONE).serverName("cloud").timeline(1)
                .version(150000).beginWal(beginWal).endWal(beginWal)
                .beginTime(T0.plusDays(day)).endTime(T0.plusDays(day).plusMinutes(5)).build();
        Path backup = Files.createDirectories(root.resolve("pg/base/" + id));
        Files.writeString(backup.resolve("backup.info"), info.format());
        Files.writeString(backup.resolve("data.tar"), "x");
    }

    private static Path walKey(Path root, int s) {
        String name = segment(s);
        return root.resolve("pg/wals/" + name.substring(0, 16) + "/" + name + ".gz");
    }

    /** The s-th segment of timeline 1 with 16 MB segments (256 to a log file). */
    private static String segment(int s) {
        return String.format("00000001%08X%08X", s >>> 8, s & 0xFF);
    }
}
