package io.cumulus.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class LogTest {

    private final StringWriter err = new StringWriter();

    @Test
    void linesCarryTheTimeAndPidInBarmanCloudsFormat() {
        new Log(new PrintWriter(err), 30, () -> ZoneId.of("UTC")).warning("a warning");

        assertTrue(err.toString().matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} \\[\\d+] WARNING: a warning\\R"),
                err.toString());
    }

    @Test
    void aZoneThatCannotBeReadPrintsTheLineWithoutItsTimeRatherThanFail() {
        // as ZoneInfoFile after its tzdb.dat could not be opened (Too many open files)
        Supplier<ZoneId> broken = () -> {
            throw new NoClassDefFoundError("Could not initialize class sun.util.calendar.ZoneInfoFile");
        };
        Log log = new Log(new PrintWriter(err), 30, broken).resolveTime();

        log.error("backup 20261207T101941 failed: the real reason");
        log.error("and the next line");

        assertEquals("[" + ProcessHandle.current().pid() + "] ERROR: backup 20261207T101941 failed: the real reason"
                + System.lineSeparator() + "[" + ProcessHandle.current().pid() + "] ERROR: and the next line"
                + System.lineSeparator(), err.toString());
    }

    @Test
    void theZoneResolvedAtStartUpServesEveryLaterLine() {
        AtomicInteger lookups = new AtomicInteger();
        Supplier<ZoneId> once = () -> {
            if (lookups.incrementAndGet() > 1) {
                throw new Error("java.io.FileNotFoundException: lib/tzdb.dat (Too many open files)");
            }
            return ZoneId.of("Europe/Paris");
        };
        Log log = new Log(new PrintWriter(err), 30, once).resolveTime();

        log.warning("one");
        log.warning("two");

        assertEquals(1, lookups.get());
        assertTrue(err.toString().matches("(\\d{4}-\\S+ \\S+ \\[\\d+] WARNING: \\w+\\R){2}"), err.toString());
    }

    @Test
    void aLineBelowTheThresholdDoesNotReadTheZone() {
        AtomicInteger lookups = new AtomicInteger();
        Log log = new Log(new PrintWriter(err), 30, () -> {
            lookups.incrementAndGet();
            return ZoneId.of("UTC");
        });

        log.info("not shown");

        assertEquals(0, lookups.get());
        assertEquals("", err.toString());
    }
}
