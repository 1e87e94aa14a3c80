package io.cumulus.cli.backup;

import io.cumulus.core.retention.FreedWal;
import io.cumulus.core.retention.IncompleteBackup;
import io.cumulus.core.retention.RetentionPlan;
import java.io.PrintWriter;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/** The {@code --dry-run} table of cumulus-backup-delete: each backup, its status under the policy and why. */
final class PlanTable {

    // the status column fits barman's longest status, WAITING_FOR_WALS, and a space
    private static final String COLUMNS = "%-17s%-21s%-18s%-17s%s";
    private static final DateTimeFormatter END = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

    private PlanTable() {
    }

    static void print(RetentionPlan plan, PrintWriter out) {
        out.println("Dry run of " + plan.policy() + ": nothing is deleted");
        out.println();
        out.println(String.format(Locale.ROOT, COLUMNS, "Backup ID", "End Time", "Status", "Retention", "Why").stripTrailing());
        // one row per directory under base/, in id order: backups, and those without backup.info
        TreeMap<String, String> rows = new TreeMap<>();
        for (RetentionPlan.Decision d : plan.decisions()) {
            String end = d.backup().info().endTime() == null ? "-" : END.format(d.backup().info().endTime());
            String name = d.backup().info().backupName() == null ? "" : " [" + d.backup().info().backupName() + "]";
            rows.put(d.backup().id().value(), String.format(Locale.ROOT, COLUMNS, d.backup().id(), end,
                    d.backup().status().name(), d.status().label(), d.reason() + name));
        }
        for (IncompleteBackup.Decision d : plan.incomplete()) {
            rows.put(d.backup().id().value(), String.format(Locale.ROOT, COLUMNS, d.backup().id(), "-", "(none)",
                    d.delete() ? "INCOMPLETE" : "-", d.reason()));
        }
        rows.values().forEach(out::println);
        out.println();
        if (plan.deletions().isEmpty() && plan.incompleteToDelete().isEmpty()) {
            out.println("No backup would be deleted.");
            return;
        }
        long walTotal = 0;
        for (RetentionPlan.Deletion d : plan.deletions()) {
            FreedWal freed = d.freed();
            walTotal += freed.count();
            if (freed.count() == 0) {
                out.println("Would delete backup " + d.id() + "; " + d.walReason());
            } else {
                out.println("Would delete backup " + d.id() + ", then " + freed.count() + " WAL object(s) "
                        + freed.first().name() + " .. " + freed.last().name() + ": " + d.walReason());
            }
        }
        List<IncompleteBackup> dead = plan.incompleteToDelete();
        for (IncompleteBackup d : dead) {
            out.println("Would delete incomplete backup " + d.id() + " (no backup.info): " + d.objects().size()
                    + " object(s), " + (d.unfinishedWrites().isEmpty() ? ""
                            : d.unfinishedWrites().size() + " unfinished write(s), ") + d.bytes() + " bytes");
        }
        out.println("In all: " + plan.deletions().size() + " backup(s) and " + walTotal + " WAL object(s)"
                + (dead.isEmpty() ? "" : ", and " + dead.size() + " incomplete backup(s)") + ".");
    }
}
