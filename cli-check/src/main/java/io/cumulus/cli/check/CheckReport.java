package io.cumulus.cli.check;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cumulus.core.check.CheckResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What cumulus-check found, and its three renderings: aligned lines for people, one Nagios plugin
 * line with performance data, and a JSON document for scripts and exporters (schema in docs/check.md).
 *
 * @param serverName the SERVER_NAME checked
 * @param destinationUrl the DESTINATION_URL checked
 * @param results every check, in order
 * @param backupAge the newest DONE backup's age, when there is one
 * @param archiveLag the archiver's lag, when PostgreSQL answered
 * @param doneBackups how many DONE backups, when the catalog was read
 * @param maxBackupAge the --max-backup-age threshold
 * @param maxArchiveLag the --max-archive-lag threshold
 * @param minBackups the --min-backups threshold
 */
record CheckReport(String serverName, String destinationUrl, List<CheckResult> results, Optional<Duration> backupAge,
        Optional<Duration> archiveLag, OptionalLong doneBackups, Duration maxBackupAge, Duration maxArchiveLag,
        int minBackups) {

    CheckReport {
        results = List.copyOf(results);
    }

    boolean ok() {
        return results.stream().allMatch(CheckResult::ok);
    }

    /** One aligned line per check; a failed check is followed by its fix. */
    String text() {
        int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(0);
        StringBuilder out = new StringBuilder("Server " + serverName + " (" + destinationUrl + "):\n");
        for (CheckResult r : results) {
            String head = String.format(Locale.ROOT, "  %-" + width + "s  %-6s  ", r.name(), r.ok() ? "OK" : "FAILED");
            out.append(head).append(r.message()).append('\n');
            if (!r.ok()) {
                out.append(" ".repeat(head.length())).append("fix: ").append(r.fix()).append('\n');
            }
        }
        return out.toString();
    }

    /** The Nagios plugin line: status, summary or the failed checks, then performance data. */
    String nagios() {
        List<String> failed = new ArrayList<>();
        for (CheckResult r : results) {
            if (!r.ok()) {
                failed.add(r.name() + ": " + r.message());
            }
        }
        String summary = failed.isEmpty() ? serverName + ": " + results.size() + " checks OK"
                : serverName + ": " + failed.size() + " of " + results.size() + " checks FAILED: "
                        + String.join("; ", failed);
        // '|' separates performance data in Nagios output, so it may not appear in the text
        return "CUMULUS " + (failed.isEmpty() ? "OK" : "CRITICAL") + " - " + summary.replace('|', '/') + " | "
                + "backup_age=" + seconds(backupAge) + ";;" + maxBackupAge.toSeconds() + ";0"
                + " archive_lag=" + seconds(archiveLag) + ";;" + maxArchiveLag.toSeconds() + ";0"
                + " backups=" + (doneBackups.isPresent() ? Long.toString(doneBackups.getAsLong()) : "U")
                + ";;" + minBackups + ":;0";
    }

    /** The exit code of the Nagios plugin line: 0 OK, 2 CRITICAL. */
    int nagiosExitCode() {
        return ok() ? 0 : 2;
    }

    /** The JSON document. */
    String json() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("server", serverName);
        root.put("destination", destinationUrl);
        root.put("status", ok() ? "OK" : "FAILED");
        ArrayNode checks = root.putArray("checks");
        for (CheckResult r : results) {
            ObjectNode check = checks.addObject();
            check.put("name", r.name());
            check.put("status", r.ok() ? "OK" : "FAILED");
            check.put("message", r.message());
            check.put("fix", r.fix());
        }
        ObjectNode metrics = root.putObject("metrics");
        putSeconds(metrics, "backup_age_seconds", backupAge);
        putSeconds(metrics, "archive_lag_seconds", archiveLag);
        if (doneBackups.isPresent()) {
            metrics.put("done_backups", doneBackups.getAsLong());
        } else {
            metrics.putNull("done_backups");
        }
        ObjectNode thresholds = root.putObject("thresholds");
        thresholds.put("max_backup_age_seconds", maxBackupAge.toSeconds());
        thresholds.put("max_archive_lag_seconds", maxArchiveLag.toSeconds());
        thresholds.put("min_backups", minBackups);
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON tree", e);
        }
    }

    private static String seconds(Optional<Duration> d) {
        return d.map(x -> x.toSeconds() + "s").orElse("U");
    }

    private static void putSeconds(ObjectNode node, String name, Optional<Duration> d) {
        if (d.isPresent()) {
            node.put(name, d.get().toSeconds());
        } else {
            node.putNull(name);
        }
    }
}
