package io.cumulus.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reads tar files with Python's tarfile in streaming mode, exactly as barman-cloud-restore does
 * ({@code tarfile.open(fileobj=sys.stdin.buffer, mode="r|")}), so tests prove what Python sees.
 */
final class PythonTar {

    /** One member as Python's tarfile reports it (directory names without their trailing slash). */
    record Member(String name, String type, long size, int mode, String mtime, int uid, int gid, String uname,
            String gname, String linkname, String sha256) {
    }

    private static final String LIST = """
            import hashlib, sys, tarfile
            t = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
            for m in t:
                digest = hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else ""
                print("\\t".join([m.name, m.type.decode(), str(m.size), "%o" % m.mode, repr(m.mtime), str(m.uid),
                                 str(m.gid), m.uname, m.gname, m.linkname, digest]))
            """;

    private static final String EXTRACT = """
            import sys, tarfile
            t = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
            t.extractall(sys.argv[1])
            """;

    private PythonTar() {
    }

    static List<Member> list(Path tar) throws IOException, InterruptedException {
        List<Member> members = new ArrayList<>();
        for (String line : run(tar, LIST).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            members.add(new Member(f[0], f[1], Long.parseLong(f[2]), Integer.parseInt(f[3], 8), f[4],
                    Integer.parseInt(f[5]), Integer.parseInt(f[6]), f[7], f[8], f[9], f[10]));
        }
        return members;
    }

    static void extract(Path tar, Path directory) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        run(tar, EXTRACT, directory.toString());
    }

    private static String run(Path tar, String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("python3", "-c", script));
        command.addAll(List.of(args));
        Path err = Files.createTempFile("python-tar", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectInput(tar.toFile())
                    .redirectError(err.toFile()).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("python3 tarfile timed out");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("python3 tarfile failed on " + tar + ":\n" + Files.readString(err));
            }
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
