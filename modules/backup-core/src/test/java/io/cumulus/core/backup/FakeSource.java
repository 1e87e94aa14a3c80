package io.cumulus.core.backup;

import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A cluster made up in memory: tablespaces and a data directory of files with random
 * (incompressible) content, tar streams written the way the PostgreSQL source writes them, and
 * failures to inject at chosen steps.
 */
final class FakeSource implements BackupSource {

    static final String PGDATA = "/srv/pg/data";
    static final String LABEL = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n"
            + "CHECKPOINT LOCATION: 0/4000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
            + "START TIME: 2026-11-21 05:23:57 UTC\nLABEL: test\nSTART TIMELINE: 1\n";
    static final OffsetDateTime BEGIN = OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 618239000, ZoneOffset.UTC);
    static final OffsetDateTime END = OffsetDateTime.of(2026, 11, 21, 5, 24, 5, 89183000, ZoneOffset.UTC);

    /** One file of an archive. */
    record Member(String name, byte[] content) {
    }

    private final Map<Tablespace, List<Member>> tablespaces = new LinkedHashMap<>();
    /** The tablespaces created after {@link #facts()} read the list and before {@link #start}. */
    private final java.util.Set<Tablespace> createdAfterFacts = new java.util.HashSet<>();
    private final List<Member> data = new ArrayList<>();
    private final List<String> calls = new ArrayList<>();
    private java.time.Instant labelStopped;
    private final Random random = new Random(42);
    private RuntimeException stopFailure;
    private String label = LABEL;
    private String startLabel;
    private List<String> includedFiles = List.of();
    /** Set: the stop waits (as pg_backup_stop waits for WAL archiving) until {@link #cancel} is called. */
    private java.util.concurrent.CountDownLatch stopWaitsForCancel;

    FakeSource withTablespace(String name, long oid, int files, int fileSize) {
        Tablespace tablespace = new Tablespace(name, oid, "/srv/pg/" + name);
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            members.add(new Member("PG_15_202209061/5/" + (16385 + i), randomBytes(fileSize)));
        }
        tablespaces.put(tablespace, members);
        return this;
    }

    /** A tablespace created once {@link #facts()} was read, before the backup started: only the start lists it. */
    FakeSource withTablespaceCreatedAfterFacts(String name, long oid, int files, int fileSize) {
        withTablespace(name, oid, files, fileSize);
        createdAfterFacts.add(new Tablespace(name, oid, "/srv/pg/" + name));
        return this;
    }

    /** The files besides postgresql.conf that the server's settings come from (pg_settings.sourcefile). */
    FakeSource withIncludedFiles(String... files) {
        this.includedFiles = List.of(files);
        return this;
    }

    FakeSource withDataFiles(int files, int fileSize) {
        data.add(new Member("./PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < files; i++) {
            data.add(new Member("base/5/" + (16400 + i), randomBytes(fileSize)));
        }
        data.add(new Member("global/pg_control", randomBytes(8192)));
        return this;
    }

    /** Like {@link #withDataFiles}, with random hexadecimal text: half the size once compressed, and quick to compress. */
    FakeSource withTextFiles(int files, int fileSize) {
        data.add(new Member("./PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < files; i++) {
            byte[] text = new byte[fileSize];
            for (int j = 0; j < fileSize; j++) {
                text[j] = (byte) "0123456789abcdef".charAt(random.nextInt(16));
            }
            data.add(new Member("base/5/" + (16400 + i), text));
        }
        data.add(new Member("global/pg_control", randomBytes(8192)));
        return this;
    }

    /**
     * Makes the stop wait until the backup is cancelled and then fail, as pg_backup_stop does when it
     * waits for WAL archiving and its statement is cancelled.
     */
    FakeSource stopWaitingUntilCancelled() {
        this.stopWaitsForCancel = new java.util.concurrent.CountDownLatch(1);
        return this;
    }

    @Override
    public void cancel() {
        calls.add("cancel");
        if (stopWaitsForCancel != null) {
            stopWaitsForCancel.countDown();
        }
    }

    /** Makes the stop of the backup fail, as a dropped session would. */
    /** The backup is taken on a standby, as its backup_label says. */
    FakeSource onStandby() {
        this.label = LABEL.replace("BACKUP FROM: primary", "BACKUP FROM: standby");
        return this;
    }

    FakeSource failingAtStop(RuntimeException failure) {
        this.stopFailure = failure;
        return this;
    }

    List<Member> dataMembers() {
        return data;
    }

    List<Member> tablespaceMembers(long oid) {
        return tablespaces.entrySet().stream().filter(e -> e.getKey().oid() == oid).findFirst().orElseThrow()
                .getValue();
    }

    /** The steps the backup called, in order. */
    /** The time backup_label was given, the backup's stop. */
    java.time.Instant labelStopped() {
        return labelStopped;
    }

    List<String> calls() {
        return calls;
    }

    String startLabel() {
        return startLabel;
    }

    private byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        random.nextBytes(bytes);
        return bytes;
    }

    @Override
    public SourceFacts facts() {
        calls.add("facts");
        return new SourceFacts(PGDATA, PGDATA + "/postgresql.conf", PGDATA + "/pg_hba.conf",
                PGDATA + "/pg_ident.conf", includedFiles, 150018, "7710490106817857947", 16L << 20,
                tablespaces.keySet().stream().filter(t -> !createdAfterFacts.contains(t)).toList());
    }

    @Override
    public OptionalLong estimatedSize() {
        return OptionalLong.empty();
    }

    @Override
    public BackupBegin start(String label) {
        calls.add("start");
        startLabel = label;
        return new BackupBegin("0/4000028", "000000010000000000000004", 40, 1, BEGIN,
                new ArrayList<>(tablespaces.keySet()));
    }

    @Override
    public List<ArchiveContent> tablespaceArchives() {
        List<ArchiveContent> archives = new ArrayList<>();
        tablespaces.forEach((tablespace, members) -> archives.add(new Archive(Long.toString(tablespace.oid()),
                members)));
        return archives;
    }

    @Override
    public DataArchiveContent dataArchive() {
        return new Archive("data", data);
    }

    @Override
    public BackupEnd stop(String restorePointName) throws IOException {
        calls.add("stop " + restorePointName);
        if (stopFailure != null) {
            throw stopFailure;
        }
        if (stopWaitsForCancel != null) {
            try {
                stopWaitsForCancel.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("pg_backup_stop failed: ERROR: canceling statement due to user request");
        }
        return new BackupEnd("0/579E488", "000000010000000000000005", 7988360, 1, END, label, List.of());
    }

    @Override
    public ChunkedBytes manifest() {
        calls.add("manifest");
        return ChunkedBytes.of("{ \"PostgreSQL-Backup-Manifest-Version\": 1 }\n".getBytes(StandardCharsets.UTF_8));
    }

    /** Members written as PAX tar streams, one stream per part. */
    private final class Archive implements DataArchiveContent {
        private final String name;
        private final Iterator<Member> members;
        private TarArchiveOutputStream tar;

        Archive(String name, List<Member> members) {
            this.name = name;
            this.members = members.iterator();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void startPart(OutputStream out) {
            calls.add("part " + name);
            tar = new TarArchiveOutputStream(out, 10240, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        @Override
        public boolean hasNext() {
            return members.hasNext();
        }

        @Override
        public void addNext() throws IOException {
            write(members.next());
        }

        @Override
        public void addBackupLabel(String text, java.time.Instant stopped) throws IOException {
            calls.add("backup_label");
            labelStopped = stopped;
            write(new Member("backup_label", text.getBytes(StandardCharsets.UTF_8)));
        }

        private void write(Member member) throws IOException {
            TarArchiveEntry entry = new TarArchiveEntry(member.name());
            entry.setSize(member.content().length);
            tar.putArchiveEntry(entry);
            tar.write(member.content());
            tar.closeArchiveEntry();
        }

        @Override
        public void finishPart() throws IOException {
            tar.finish();
            tar.flush();
        }
    }
}
