package io.cumulus.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Azurite's blob service, from npm, as a child process on a free loopback port: installed once
 * into a cache directory, started per test class with its data in a temporary directory, stopped by
 * its PID. Used by the Azure provider's tests and the end-to-end tests.
 */
public final class AzuriteServer implements AutoCloseable {

    /** Pinned: 3.36 and later declare Node 21+, and the build machines have Node 20. */
    public static final String VERSION = "3.35.0";
    /** Azurite's built-in account and its well-known key (public, documented by Microsoft). */
    public static final String ACCOUNT = "devstoreaccount1";
    public static final String KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final int port;
    private final Path location;

    private AzuriteServer(Process process, int port, Path location) {
        this.process = process;
        this.port = port;
        this.location = location;
    }

    /** Installs Azurite if needed and starts it; fails (never skips) when Node or npm is missing. */
    public static AzuriteServer start() throws IOException, InterruptedException {
        Path executable = install();
        int port = freePort();
        Path location = Files.createTempDirectory("azurite-");
        Path log = location.resolve("azurite.log");
        Process process = new ProcessBuilder(executable.toString(),
                "--blobHost", "127.0.0.1", "--blobPort", Integer.toString(port),
                "--loose", "--skipApiVersionCheck", "--disableProductStyleUrl",
                // Azurite sends usage telemetry to Microsoft unless told not to; tests talk to loopback only
                "--disableTelemetry",
                "--location", location.resolve("data").toString(), "--silent")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        AzuriteServer server = new AzuriteServer(process, port, location);
        try {
            server.awaitListening(log);
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The blob endpoint, path-style as barman-cloud's emulator URLs: {@code http://127.0.0.1:PORT/devstoreaccount1}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port + "/" + ACCOUNT);
    }

    public int port() {
        return port;
    }

    /** A connection string for the built-in account, as users of barman-cloud with Azurite set it. */
    public String connectionString() {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + KEY + ";BlobEndpoint="
                + endpoint() + ";";
    }

    private void awaitListening(Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Azurite exited with " + process.exitValue() + ": " + read(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("Azurite did not listen on port " + port + " within " + START_TIMEOUT + ": " + read(log));
    }

    /** Stops the process by its PID, then removes its data. */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteRecursively(location);
    }

    // ---------------------------------------------------------------- installation

    /**
     * The {@code azurite-blob} script of the cached installation, installing it first when missing.
     * The install goes to a temporary sibling directory, moved into place only when complete, under a
     * file lock so that two test JVMs never install into the same place.
     */
    public static Path install() throws IOException, InterruptedException {
        Path home = Path.of(System.getProperty("cumulus.azurite.dir",
                Path.of(System.getProperty("user.home"), ".cache", "cumulus").toString()));
        Path dir = home.resolve("azurite-" + VERSION);
        Path executable = dir.resolve("node_modules").resolve(".bin").resolve("azurite-blob");
        if (Files.isExecutable(executable)) {
            return executable;
        }
        Files.createDirectories(home);
        try (FileChannel lockFile = FileChannel.open(home.resolve("azurite-" + VERSION + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            lockFile.lock(); // held until the channel closes
            if (Files.isExecutable(executable)) {
                return executable; // another JVM installed it while we waited
            }
            Path staging = Files.createTempDirectory(home, "azurite-install-");
            Path log = staging.resolve("npm.log");
            Process npm = new ProcessBuilder("npm", "install", "--prefix", staging.toString(), "--no-audit",
                    "--no-fund", "--no-update-notifier", "azurite@" + VERSION)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!npm.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                npm.destroyForcibly();
                throw new IOException("npm install azurite@" + VERSION + " took longer than " + INSTALL_TIMEOUT);
            }
            if (npm.exitValue() != 0) {
                throw new IOException("npm install azurite@" + VERSION + " failed (" + npm.exitValue() + "): "
                        + read(log));
            }
            deleteRecursively(dir); // a half-installed leftover from before this lock existed
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("Cannot run program \"npm\"")) {
                throw new IOException("the Azure tests need Node.js and npm to install Azurite", e);
            }
            throw e;
        }
        if (!Files.isExecutable(executable)) {
            throw new IOException("npm installed Azurite but " + executable + " is missing");
        }
        return executable;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String read(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
