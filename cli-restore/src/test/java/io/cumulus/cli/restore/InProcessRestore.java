package io.cumulus.cli.restore;

import io.cumulus.cli.ToolCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** cumulus-restore run in-process, and backups written into a file:// store as barman-cloud writes them. */
final class InProcessRestore {

    /** The tool's exit code and what it printed. */
    record Result(int exitCode, String out, String err) {
    }

    private InProcessRestore() {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ToolCommand.run(new RestoreCommand(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    /**
     * A backup as barman-cloud writes it into {@code backupDirectory}: {@code backupInfo}, and one
     * data.tar of {@code members} (name, content) followed by global/pg_control and, last,
     * backup_label; no manifest.
     */
    static void barmanBackup(Path backupDirectory, String backupInfo, String[]... members) throws IOException {
        Path backup = Files.createDirectories(backupDirectory);
        Files.writeString(backup.resolve("backup.info"), backupInfo);
        try (OutputStream file = Files.newOutputStream(backup.resolve("data.tar"));
                TarArchiveOutputStream tar = new TarArchiveOutputStream(file)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            String[][] last = {{"global/pg_control", "control"},
                {"backup_label", "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n"}};
            for (String[][] group : new String[][][] {members, last}) {
                for (String[] member : group) {
                    byte[] content = member[1].getBytes(StandardCharsets.UTF_8);
                    TarArchiveEntry entry = new TarArchiveEntry(member[0]);
                    entry.setSize(content.length);
                    tar.putArchiveEntry(entry);
                    tar.write(content);
                    tar.closeArchiveEntry();
                }
            }
        }
    }
}
