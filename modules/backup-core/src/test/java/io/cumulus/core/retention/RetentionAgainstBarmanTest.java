package io.cumulus.core.retention;

import static io.cumulus.core.retention.TestCatalog.LAYOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cumulus.core.OperationFailedException;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.BackupStatus;
import io.cumulus.core.catalog.CatalogBackup;
import io.cumulus.core.util.ExternalCommand;
import io.cumulus.storage.BlobIterator;
import io.cumulus.storage.testkit.InMemoryBlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cumulus's retention against barman-cloud-backup-delete 3.4's own code (Debian's python3-barman,
 * its {@code main()} run on an in-memory bucket): on random catalogs (backups across three timelines,
 * FAILED and WAITING_FOR_WALS ones, kept full and standalone ones, segments, partials, backup history
 * and timeline history files, plain, gzip and bzip2), with random REDUNDANCY and RECOVERY WINDOW
 * policies and random {@code -b} deletes, both leave exactly the same objects. One catalog has more
 * than 10,000 WAL objects (the in-memory bucket has no 1,000-key pages, which 3.4 would stop at).
 *
 * <p>The catalogs avoid what Cumulus does differently on purpose (see
 * docs/differences-from-barman-cloud.md): no object but archives and backup.info in a backup's
 * directory, one object per WAL name, only the compressions 3.4 knows.
 */
class RetentionAgainstBarmanTest {

    private static final String PYTHON = "/usr/bin/python3";
    private static final OffsetDateTime T0 = OffsetDateTime.of(2026, 1, 1, 2, 0, 0, 0, ZoneOffset.UTC);
    private static final String[] SUFFIXES = {"", ".gz", ".bz2"};

    private static int casesDeletingBackups;
    private static int casesDeletingWal;
    private static int casesRefused;

    /** The random catalogs exercise every outcome: backups deleted, WAL deleted, a kept backup refused. */
    @org.junit.jupiter.api.AfterAll
    static void theCasesWereNotVacuous() {
        assertTrue(casesDeletingBackups >= 15, "cases deleting backups: " + casesDeletingBackups);
        assertTrue(casesDeletingWal >= 10, "cases deleting WAL: " + casesDeletingWal);
    }

    @BeforeAll
    static void barmanIsInstalled() throws Exception {
        assumeTrue(ExternalCommand.available(PYTHON), PYTHON + " is missing");
        assumeTrue(ExternalCommand.run(List.of(PYTHON, "-c", "import barman.clients.cloud_backup_delete"),
                new byte[0]).exitCode() == 0, "barman's Python modules are not installed");
    }

    /** A catalog, as objects, and the arguments to delete with. */
    record Case(String name, Map<String, String> objects, List<String> args, ZonedDateTime now) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int seed = 1; seed <= 36; seed++) {
            cases.add(Arguments.of(randomCase(seed, 3 + seed % 25, 40)));
        }
        cases.add(Arguments.of(randomCase(1000, 45, 300)));
        // recovery windows across New York's daylight saving changes, every backup ending half an hour
        // inside the hour where counting wall-clock days (barman) and counting 24-hour days disagree:
        // after now's time of day in spring (the start moves an hour later), before it in autumn
        ZoneId newYork = ZoneId.of("America/New_York");
        OffsetDateTime springForward = OffsetDateTime.of(2026, 3, 10, 16, 0, 0, 0, ZoneOffset.UTC);
        OffsetDateTime fallBack = OffsetDateTime.of(2026, 11, 3, 17, 0, 0, 0, ZoneOffset.UTC);
        for (int days = 3; days <= 9; days += 3) {
            // seed 106 deletes a backup followed by one on another timeline (barman-cloud keeps that WAL)
            cases.add(Arguments.of(randomCase(100 + days, 12, 40, springForward.minusDays(12), newYork, days,
                    Duration.ofMinutes(24 * 60 + 30))));
            cases.add(Arguments.of(randomCase(300 + days, 12, 40, springForward.minusDays(12), newYork, days,
                    Duration.ofMinutes(24 * 60 + 30))));
            cases.add(Arguments.of(randomCase(200 + days, 12, 40, fallBack.minusDays(12), newYork, days,
                    Duration.ofMinutes(24 * 60 - 30))));
        }
        return cases.stream();
    }

    private static Case randomCase(int seed, int backups, int maxGap) {
        return randomCase(seed, backups, maxGap, T0, ZoneId.systemDefault(), -1, null);
    }

    /**
     * A random catalog of {@code backups} backups, one a day from {@code t0}, deleted at {@code t0}
     * plus {@code backups} days on {@code zone}'s clock; with {@code windowDays} of 0 or more, by that
     * recovery window, every backup ending {@code endAfter} after it began.
     */
    private static Case randomCase(int seed, int backups, int maxGap, OffsetDateTime t0, ZoneId zone,
                                   int windowDays, Duration endAfter) {
        Random random = new Random(seed);
        Map<String, String> objects = new TreeMap<>();
        List<CatalogBackup> catalog = new ArrayList<>();
        int timeline = 1;
        long cursor = 3 + random.nextInt(10);
        Map<Integer, long[]> timelineSpan = new TreeMap<>();
        timelineSpan.put(1, new long[] {1, cursor});
        for (int n = 0; n < backups; n++) {
            if (timeline < 3 && random.nextInt(100) < 12) {
                timelineSpan.get(timeline)[1] = cursor;
                timeline++;
                timelineSpan.put(timeline, new long[] {cursor, cursor});
            }
            long begin = cursor;
            long end = begin + random.nextInt(4);
            cursor = end + 1 + random.nextInt(maxGap);
            timelineSpan.get(timeline)[1] = cursor;
            int roll = random.nextInt(100);
            BackupStatus status = roll < 75 ? BackupStatus.DONE : roll < 90 ? BackupStatus.FAILED
                    : BackupStatus.WAITING_FOR_WALS;
            BackupId id = BackupId.of(t0.plusDays(n).toLocalDateTime());
            OffsetDateTime endTime = endAfter != null ? t0.plusDays(n).plus(endAfter)
                    : t0.plusDays(n).plusHours(1 + random.nextInt(20));
            BackupInfo info = BackupInfo.builder().status(status).timeline(timeline).version(150000)
                    .serverName("cloud").beginWal(TestCatalog.segment(timeline, begin))
                    .endWal(TestCatalog.segment(timeline, end)).beginTime(t0.plusDays(n)).endTime(endTime).build();
            String prefix = LAYOUT.backupPrefix(id.value());
            objects.put(prefix + "backup.info", info.format());
            objects.put(prefix + "data.tar.gz", "d");
            if (random.nextBoolean()) {
                objects.put(prefix + "data_0001.tar.gz", "d");
            }
            int keep = random.nextInt(100);
            if (status == BackupStatus.DONE && keep < 10) {
                objects.put(prefix + "annotations/keep", "full");
            } else if (status == BackupStatus.DONE && keep < 22) {
                objects.put(prefix + "annotations/keep", "standalone");
            }
            catalog.add(CatalogBackup.of(id, info));
            String backupFile = TestCatalog.segment(timeline, begin) + ".00000028.backup";
            objects.put(LAYOUT.walsPrefix() + backupFile.substring(0, 16) + "/" + backupFile, "b");
        }
        for (Map.Entry<Integer, long[]> span : timelineSpan.entrySet()) {
            int tli = span.getKey();
            for (long s = Math.max(1, span.getValue()[0] - 2); s <= span.getValue()[1] + 2; s++) {
                if (random.nextInt(100) < 3) {
                    continue; // a hole in the archive
                }
                String name = TestCatalog.segment(tli, s);
                objects.put(LAYOUT.walsPrefix() + name.substring(0, 16) + "/" + name
                        + SUFFIXES[random.nextInt(SUFFIXES.length)], "w");
            }
            if (tli > 1) {
                String partial = TestCatalog.segment(tli - 1, span.getValue()[0]) + ".partial";
                objects.put(LAYOUT.walsPrefix() + partial.substring(0, 16) + "/" + partial, "p");
                objects.put(LAYOUT.walsPrefix() + String.format("%08X.history", tli), "h");
            }
        }
        ZonedDateTime now = t0.plusDays(backups).atZoneSameInstant(zone);
        List<String> args = new ArrayList<>();
        int kind = random.nextInt(10);
        String name;
        if (windowDays >= 0) {
            name = "RECOVERY WINDOW OF " + windowDays + " DAYS in " + zone;
            args.addAll(List.of("-r", "RECOVERY WINDOW OF " + windowDays + " DAYS"));
        } else if (kind < 4) {
            name = "REDUNDANCY " + random.nextInt(6);
            args.addAll(List.of("-r", name));
        } else if (kind < 8) {
            name = "RECOVERY WINDOW OF " + random.nextInt(backups + 2) + " DAYS";
            args.addAll(List.of("-r", name));
        } else {
            name = "-b " + catalog.get(random.nextInt(catalog.size())).id();
            args.addAll(List.of("-b", name.substring(3)));
        }
        args.addAll(List.of("s3://memory/pfx", LAYOUT.serverName()));
        long wal = objects.keySet().stream().filter(k -> k.startsWith(LAYOUT.walsPrefix())).count();
        return new Case("seed " + seed + ": " + backups + " backups, " + wal + " WAL objects, " + name, objects,
                args, now);
    }

    /**
     * The policy of a case. cumulus-backup-delete refuses REDUNDANCY 0 (exit 3, RetentionPolicy.parse), which
     * barman-cloud-backup-delete runs; the generator still makes it, and its plan is built from the record
     * directly, so that the planner keeps matching barman's for 0 should the refusal ever be lifted.
     */
    private static RetentionPolicy policy(String text) {
        return text.strip().equalsIgnoreCase("REDUNDANCY 0") ? new RetentionPolicy.Redundancy(0)
                : RetentionPolicy.parse(text);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cumulusLeavesExactlyWhatBarmanCloudBackupDeleteLeaves(Case c) throws Exception {
        JsonNode barman = runBarman(c);
        Set<String> barmanLeft = new TreeSet<>();
        barman.get("keys").forEach(k -> barmanLeft.add(k.asText()));

        InMemoryBlobStore store = new InMemoryBlobStore();
        for (Map.Entry<String, String> o : c.objects().entrySet()) {
            TestCatalog.put(store, o.getKey(), o.getValue());
        }
        int exit = 0;
        try {
            CatalogSnapshot snapshot = CatalogSnapshot.read(store, LAYOUT);
            List<WalObject> wal = CatalogSnapshot.walObjects(store, LAYOUT);
            RetentionPlan plan;
            if (c.args().get(0).equals("-r")) {
                plan = RetentionPlanner.byPolicy(snapshot.backups(), wal, policy(c.args().get(1)), c.now(), 0);
            } else {
                BackupId id = new BackupId(c.args().get(1));
                plan = RetentionPlanner.single(snapshot.backups(), id, wal, 0);
            }
            new PlanExecutor(store, LAYOUT, 1000, line -> { }).execute(plan);
        } catch (OperationFailedException refused) {
            exit = 1;
        }

        assertEquals(barman.get("exit").asInt(), exit, "exit code");
        assertEquals(barmanLeft, keys(store));
        Set<String> gone = new TreeSet<>(c.objects().keySet());
        gone.removeAll(barmanLeft);
        if (gone.stream().anyMatch(k -> k.endsWith("/backup.info"))) {
            casesDeletingBackups++;
        }
        if (gone.stream().anyMatch(k -> k.startsWith(LAYOUT.walsPrefix()))) {
            casesDeletingWal++;
        }
        if (exit == 1) {
            casesRefused++;
        }
    }

    private static JsonNode runBarman(Case c) throws Exception {
        String script;
        try (InputStream in = RetentionAgainstBarmanTest.class.getResourceAsStream("barman34_delete.py")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("objects", c.objects());
        spec.put("args", c.args());
        spec.put("now", c.now().toOffsetDateTime().withOffsetSameInstant(ZoneOffset.UTC).toString());
        spec.put("tz", c.now().getZone().getId());
        ObjectMapper mapper = new ObjectMapper();
        ExternalCommand.Result result = ExternalCommand.run(List.of(PYTHON, "-c", script),
                mapper.writeValueAsBytes(spec));
        return mapper.readTree(result.successfulOutput());
    }

    private static Set<String> keys(InMemoryBlobStore store) throws IOException {
        Set<String> keys = new TreeSet<>();
        BlobIterator it = store.list("");
        while (it.hasNext()) {
            keys.add(it.next().key());
        }
        return keys;
    }

}
