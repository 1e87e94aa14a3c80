package io.cumulus.cli.backup;

import io.cumulus.core.retention.RetentionPlan;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The {@code --dry-run} table of cumulus-backup-delete: each backup, its status under the policy and why. */
final class PlanTable {

    private static final String COLUMNS = "%-17s%-21s%-10s%-17s%s";
    private static final DateTimeFormatter END = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

    private PlanTable() {
    }

    static void print(RetentionPlan plan, PrintWriter out) {
        out.println("Dry run of " + plan.policy() + ": nothing is deleted");
        out.println();
        out.println(String.format(Locale.ROOT, COLUMNS, "Backup ID", "End Time", "Status", "Retention", "Why").stripTrailing());
        for (RetentionPlan.Decision d : plan.decisions()) {
            String end = d.backup().info().endTime() == null ? "-" : END.format(d.backup().info().endTime());
            String name = d.backup().info().backupName() == null ? "" : " [" + d.backup().info().backupName() + "]";
            out.println(String.format(Locale.ROOT, COLUMNS, d.backup().id(), end, d.backup().status().name(),
                    d.status().label(), d.reason() + name));
        }
        out.println();
        if (plan.deletions().isEmpty()) {
            out.println("No backup would be deleted.");
            return;
        }
        long walTotal = 0;
        for (RetentionPlan.Deletion d : plan.deletions()) {
            walTotal += d.wal().size();
            if (d.wal().isEmpty()) {
                out.println("Would delete backup " + d.id() + "; " + d.walReason());
            } else {
                out.println("Would delete backup " + d.id() + ", then " + d.wal().size() + " WAL object(s) "
                        + d.wal().get(0).name() + " .. " + d.wal().get(d.wal().size() - 1).name() + ": "
                        + d.walReason());
            }
        }
        out.println("In all: " + plan.deletions().size() + " backup(s) and " + walTotal + " WAL object(s).");
    }
}
