package io.cumulus.e2e;

import io.cumulus.testsupport.PgCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * pgbench's TPC-B-like load running in the background against a cluster, as a busy application
 * would while the nightly backup runs. Every transaction adds the same delta to one account, its
 * teller and its branch and logs it in pgbench_history, so at every consistent point the four sums
 * agree: {@link #invariantHolds(PgCluster)} is what a correct restore must show.
 */
final class PgbenchLoad implements AutoCloseable {

    /** The query whose one row describes the pgbench tables: history rows and the four sums. */
    static final String STATE = "SELECT (SELECT count(*) FROM pgbench_history) || ' history rows, balances '"
            + " || (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts) || '/'"
            + " || (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers) || '/'"
            + " || (SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches) || '/'"
            + " || (SELECT coalesce(sum(delta), 0) FROM pgbench_history) || ', '"
            + " || (SELECT count(*) FROM pgbench_accounts) || ' accounts'";

    private final Process process;
    private final Path log;

    private PgbenchLoad(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Initialises the pgbench tables at {@code scale} (15 MB each), indexes in {@code indexTablespace}. */
    static void initialise(PgCluster cluster, int scale, String indexTablespace) {
        cluster.pgCommand("pgbench", "-i", "-q", "-s", Integer.toString(scale), "--index-tablespace=" + indexTablespace)
                .timeout(Duration.ofMinutes(5)).runSuccessfully();
    }

    /** Starts {@code clients} clients running transactions at about {@code tps} per second for up to ten minutes. */
    static PgbenchLoad start(PgCluster cluster, int clients, int tps) {
        try {
            Path log = Files.createTempFile("cumulus-pgbench-", ".log");
            Process process = new ProcessBuilder(List.of(PgCluster.PG_BIN.resolve("pgbench").toString(), "-n",
                    "-c", Integer.toString(clients), "-j", "1", "-R", Integer.toString(tps), "-T", "600",
                    "-h", "127.0.0.1", "-p", Integer.toString(cluster.port()), "-U", PgCluster.SUPERUSER, "postgres"))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new PgbenchLoad(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start pgbench", e);
        }
    }

    /** Waits until {@code transactions} more transactions have committed, so the load is really running. */
    void awaitProgress(PgCluster cluster, long transactions) {
        long target = cluster.queryLong("SELECT count(*) FROM pgbench_history") + transactions;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (cluster.queryLong("SELECT count(*) FROM pgbench_history") < target) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("pgbench is not making progress:\n" + output());
            }
            sleep(100);
        }
    }

    /** Stops the clients (their open transactions roll back) and waits for pgbench to exit. */
    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping pgbench", e);
        }
    }

    String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read pgbench's output: " + e + ")";
        }
    }

    /** The pgbench tables as one line (see {@link #STATE}). */
    static String state(PgCluster cluster) {
        // a killed pgbench's session may still commit the transaction it had sent: wait until none is left
        // (seen once in CI: one history row more at the backup's restore point than read here)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (cluster.queryLong("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'") > 0
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for pgbench's sessions to end", e);
            }
        }
        return cluster.queryString(STATE);
    }

    /** Whether the accounts, tellers, branches and history sums agree, as after any complete transactions. */
    static boolean invariantHolds(PgCluster cluster) {
        return "t".equals(cluster.queryString("SELECT (SELECT sum(abalance) FROM pgbench_accounts)"
                + " = (SELECT sum(tbalance) FROM pgbench_tellers)"
                + " AND (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT sum(bbalance) FROM pgbench_branches)"
                + " AND (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT coalesce(sum(delta), 0)"
                + " FROM pgbench_history)"));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            stop();
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a leftover log in the temp directory is harmless
        }
    }
}
