package io.cumulus.core.restore;

import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.core.backup.ArchiveContent;
import io.cumulus.core.backup.BackupBegin;
import io.cumulus.core.backup.BackupEnd;
import io.cumulus.core.backup.BackupSource;
import io.cumulus.core.backup.DataArchiveContent;
import io.cumulus.core.backup.SourceFacts;
import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.zip.CRC32C;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A made-up cluster for the real backup pipeline: a data directory and tablespaces of random files,
 * written as PAX tar streams the way cumulus-backup writes them, and a PostgreSQL backup_manifest
 * with CRC32C checksums of exactly those files, so that a restore can be checked end to end.
 */
final class TestCluster implements BackupSource {

    static final String LABEL = "START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\n"
            + "CHECKPOINT LOCATION: 0/4000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\n"
            + "START TIME: 2026-11-21 05:23:57 UTC\nLABEL: test\nSTART TIMELINE: 1\n";
    static final OffsetDateTime BEGIN = OffsetDateTime.of(2026, 11, 21, 5, 19, 44, 0, ZoneOffset.UTC);
    static final OffsetDateTime END = OffsetDateTime.of(2026, 11, 21, 5, 24, 5, 0, ZoneOffset.UTC);

    /** One file; {@code name} as in the archive. */
    record Member(String name, byte[] content) {
    }

    private final Map<Tablespace, List<Member>> tablespaces = new LinkedHashMap<>();
    private final List<Member> data = new ArrayList<>();
    private final Random random = new Random(7);
    private final List<String> phantoms = new ArrayList<>();

    TestCluster withDataFiles(int files, int size) {
        data.add(new Member("./PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8)));
        for (int i = 0; i < files; i++) {
            data.add(new Member("base/5/" + (16400 + i), bytes(size)));
        }
        data.add(new Member("global/pg_control", bytes(8192)));
        return this;
    }

    /** Adds one more member to the data archive, after those added so far. */
    TestCluster withDataMember(String name, byte[] content) {
        data.add(new Member(name, content));
        return this;
    }

    TestCluster withTablespace(String name, long oid, String location, int files, int size) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            members.add(new Member("PG_15_202209061/5/" + (16385 + i), bytes(size)));
        }
        tablespaces.put(new Tablespace(name, oid, location), members);
        return this;
    }

    /** Lists a file in the manifest that no archive holds. */
    TestCluster withPhantomInManifest(String path) {
        phantoms.add(path);
        return this;
    }

    List<Member> dataMembers() {
        return data;
    }

    List<Member> tablespaceMembers(long oid) {
        return tablespaces.entrySet().stream().filter(e -> e.getKey().oid() == oid).findFirst().orElseThrow()
                .getValue();
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    @Override
    public SourceFacts facts() {
        return new SourceFacts("/srv/pg/data", "/srv/pg/data/postgresql.conf", "/srv/pg/data/pg_hba.conf",
                "/srv/pg/data/pg_ident.conf", List.of(), 150018, "7710490106817857947", 16L << 20,
                new ArrayList<>(tablespaces.keySet()));
    }

    @Override
    public OptionalLong estimatedSize() {
        return OptionalLong.empty();
    }

    @Override
    public BackupBegin start(String label) {
        return new BackupBegin("0/4000028", "000000010000000000000004", 40, 1, BEGIN,
                new ArrayList<>(tablespaces.keySet()));
    }

    @Override
    public List<ArchiveContent> tablespaceArchives() {
        List<ArchiveContent> archives = new ArrayList<>();
        tablespaces.forEach((t, members) -> archives.add(new Archive(Long.toString(t.oid()), members)));
        return archives;
    }

    @Override
    public DataArchiveContent dataArchive() {
        return new Archive("data", data);
    }

    @Override
    public BackupEnd stop(String restorePointName) {
        return new BackupEnd("0/579E488", "000000010000000000000005", 7988360, 1, END, LABEL, List.of());
    }

    @Override
    public ChunkedBytes manifest() {
        StringBuilder text = new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
        List<String> lines = new ArrayList<>();
        for (Member m : data) {
            lines.add(line(m.name().replaceFirst("^\\./", ""), m.content()));
        }
        lines.add(line("backup_label", LABEL.getBytes(StandardCharsets.UTF_8)));
        tablespaces.forEach((t, members) -> members.forEach(m -> lines.add(line("pg_tblspc/" + t.oid() + "/"
                + m.name(), m.content()))));
        phantoms.forEach(p -> lines.add(line(p, new byte[0])));
        text.append("\n").append(String.join(",\n", lines));
        text.append("\n],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1, \"Start-LSN\": \"0/4000028\", \"End-LSN\": "
                + "\"0/579E488\" }\n],\n\"Manifest-Checksum\": \"00\"}\n");
        return ChunkedBytes.of(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String line(String path, byte[] content) {
        CRC32C crc = new CRC32C();
        crc.update(content);
        long v = crc.getValue();
        String hex = HexFormat.of().formatHex(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16),
                (byte) (v >>> 24)});
        return "{ \"Path\": \"" + path + "\", \"Size\": " + content.length
                + ", \"Last-Modified\": \"2026-11-21 05:20:00 GMT\", \"Checksum-Algorithm\": \"CRC32C\","
                + " \"Checksum\": \"" + hex + "\" }";
    }

    private static final class Archive implements DataArchiveContent {
        private final String name;
        private final Iterator<Member> members;
        private TarArchiveOutputStream tar;
        private boolean rootWritten;

        Archive(String name, List<Member> members) {
            this.name = name;
            this.members = members.iterator();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void startPart(OutputStream out) throws IOException {
            tar = new TarArchiveOutputStream(out, 10240, StandardCharsets.UTF_8.name());
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            if (!rootWritten && name.equals("data")) {
                // Python's tarfile starts the data archive with its root, "./", as barman's does.
                TarArchiveEntry root = new TarArchiveEntry("./");
                root.setMode(040700);
                tar.putArchiveEntry(root);
                tar.closeArchiveEntry();
                rootWritten = true;
            }
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
            write(new Member("backup_label", text.getBytes(StandardCharsets.UTF_8)));
        }

        private void write(Member member) throws IOException {
            TarArchiveEntry entry = new TarArchiveEntry(member.name());
            entry.setSize(member.content().length);
            entry.setMode(0100600);
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
