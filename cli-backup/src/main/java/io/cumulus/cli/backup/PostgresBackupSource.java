package io.cumulus.cli.backup;

import io.cumulus.core.OperationFailedException;
import io.cumulus.core.backup.ArchiveContent;
import io.cumulus.core.backup.BackupBegin;
import io.cumulus.core.backup.BackupEnd;
import io.cumulus.core.backup.BackupSource;
import io.cumulus.core.backup.DataArchiveContent;
import io.cumulus.core.backup.SourceFacts;
import io.cumulus.core.catalog.Tablespace;
import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.postgres.BackupManifestWriter;
import io.cumulus.postgres.BackupSession;
import io.cumulus.postgres.BackupStart;
import io.cumulus.postgres.BackupStop;
import io.cumulus.postgres.ChecksumAlgorithm;
import io.cumulus.postgres.PgDataEntry;
import io.cumulus.postgres.PgDataWalker;
import io.cumulus.postgres.PostgresServer;
import io.cumulus.postgres.ServerFacts;
import io.cumulus.postgres.TablespaceMap;
import io.cumulus.postgres.TarStreamWriter;
import io.cumulus.postgres.WalRange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A running PostgreSQL cluster as the source of a base backup: pg_backup_start and pg_backup_stop on
 * the tool's one session, the files found by {@link PgDataWalker} (barman's order and exclusions)
 * written by {@link TarStreamWriter}, and every stored file's CRC32C collected into the
 * backup_manifest as the tar streams are written. Runs on the database host: it reads the data
 * directory and tablespaces directly.
 */
final class PostgresBackupSource implements BackupSource {

    /** Members between two looks at the session, which the keepalive may have found broken. */
    private static final int ALIVE_CHECK_INTERVAL = 512;

    private final PostgresServer server;
    /** The facts, with the tablespaces read once the backup started ({@link #start}) from then on. */
    private ServerFacts facts;
    private final boolean fastCheckpoint;
    private final java.util.function.Consumer<String> warnings;
    private PgDataWalker walker;
    private final BackupManifestWriter manifest = new BackupManifestWriter();
    private BackupSession session;
    private BackupStop stop;
    private final java.time.Duration archiveWait;

    /**
     * @param facts what {@code server.facts()} answered
     * @param fastCheckpoint {@code --immediate-checkpoint}
     * @param archiveWait {@code --archive-wait-timeout} (zero: as long as PostgreSQL waits)
     * @param warnings told of what the walk stores otherwise than it finds it ({@link PgDataWalker})
     */
    PostgresBackupSource(PostgresServer server, ServerFacts facts, boolean fastCheckpoint, java.time.Duration archiveWait,
            java.util.function.Consumer<String> warnings) {
        this.server = Objects.requireNonNull(server, "server");
        this.facts = Objects.requireNonNull(facts, "facts");
        this.fastCheckpoint = fastCheckpoint;
        this.archiveWait = Objects.requireNonNull(archiveWait, "archiveWait");
        this.warnings = Objects.requireNonNull(warnings, "warnings");
        this.walker = new PgDataWalker(facts, warnings);
    }

    @Override
    public SourceFacts facts() {
        return facts.sourceFacts();
    }

    /** The included configuration files that no archive holds ({@link PgDataWalker#includedFilesOutside()}). */
    List<Path> includedFilesNotStored() {
        return walker.includedFilesOutside();
    }

    /** The configuration files no archive holds for a symbolic link on their way ({@link PgDataWalker#configFilesBehindLinks()}). */
    Map<Path, Path> configFilesBehindLinks() {
        return walker.configFilesBehindLinks();
    }

    @Override
    public OptionalLong estimatedSize() {
        return server.clusterSize();
    }

    /**
     * Starts the backup, then reads the tablespaces it copies: a tablespace created after the facts were
     * read and before pg_backup_start's checkpoint (while the size was summed, the id claimed, or that
     * checkpoint awaited) precedes the start location, so WAL replay would not create it, and the list read
     * with the facts lacks it. PostgreSQL's own base backup lists them after the checkpoint too.
     */
    @Override
    public BackupBegin start(String label) throws IOException {
        session = server.startBackup(label, fastCheckpoint);
        facts = facts.withTablespaces(server.tablespaces());
        walker = new PgDataWalker(facts, warnings);
        BackupStart start = session.start();
        long segmentSize = facts.walSegmentSize();
        return new BackupBegin(start.lsn().toString(), start.walSegment(segmentSize).name(),
                start.lsn().segmentOffset(segmentSize), start.timeline(), start.time(), facts.tablespaces());
    }

    @Override
    public List<ArchiveContent> tablespaceArchives() {
        List<ArchiveContent> archives = new ArrayList<>();
        for (Tablespace tablespace : facts.tablespaces()) {
            archives.add(new TarArchive(Long.toString(tablespace.oid()), () -> walker.tablespace(tablespace)));
        }
        return archives;
    }

    @Override
    public DataArchiveContent dataArchive() {
        return new TarArchive("data", walker::dataDirectory);
    }

    @Override
    public BackupEnd stop(String restorePointName) throws IOException {
        session.checkAlive();
        stop = session.stop(restorePointName, archiveWait);
        checkEveryTablespaceCopied();
        long segmentSize = facts.walSegmentSize();
        return new BackupEnd(stop.lsn().toString(), stop.walSegment(segmentSize).name(),
                stop.lsn().segmentOffset(segmentSize), stop.timeline(), stop.time(), stop.backupLabel(),
                stop.notices());
    }

    /**
     * Fails the backup when PostgreSQL's tablespace_map of it lists a tablespace that is in no archive and
     * still in the catalog: one whose creation committed only after the list was read, though it was
     * there, link and all, at pg_backup_start's checkpoint. The catalog is read only then.
     */
    private void checkEveryTablespaceCopied() throws IOException {
        TablespaceMap map = TablespaceMap.parse(stop.tablespaceMap());
        if (map.coveredBy(facts.tablespaces())) {
            return;
        }
        List<Tablespace> lost = map.notCopied(facts.tablespaces(), server.tablespaces());
        if (!lost.isEmpty()) {
            throw new OperationFailedException("tablespace " + lost.stream().map(t -> t.name() + " (oid " + t.oid()
                    + ", " + t.location() + ")").collect(java.util.stream.Collectors.joining(", "))
                    + " was there when PostgreSQL started the backup (its tablespace_map lists it) but is in none of"
                    + " its archives, and WAL replay will not create it: a restore would lack it; take the backup"
                    + " again (do not create tablespaces while a backup starts)");
        }
    }

    /** Cancels pg_backup_start or pg_backup_stop where it waits on the server (a signal stops the backup). */
    @Override
    public void cancel() {
        server.cancelRunningStatement();
    }

    /**
     * The manifest, with one WAL range from the start to the stop location. (A standby promoted
     * during the backup would need two; the range is then given on the stop's timeline.)
     */
    @Override
    public ChunkedBytes manifest() {
        if (stop == null) {
            throw new IllegalStateException("the backup has not been stopped");
        }
        return manifest.finish(List.of(new WalRange(stop.timeline(), session.start().lsn(), stop.lsn())));
    }

    /** One series as tar streams: the walk's entries, started when the first part opens. */
    private final class TarArchive implements DataArchiveContent {
        private final String name;
        private final Supplier<Stream<PgDataEntry>> walk;
        private Iterator<PgDataEntry> entries;
        private TarStreamWriter tar;
        private long written;

        TarArchive(String name, Supplier<Stream<PgDataEntry>> walk) {
            this.name = name;
            this.walk = walk;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void startPart(OutputStream out) {
            tar = new TarStreamWriter(out, ChecksumAlgorithm.CRC32C);
        }

        @Override
        public boolean hasNext() throws IOException {
            try {
                if (entries == null) {
                    entries = walk.get().iterator();
                }
                return entries.hasNext();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }

        @Override
        public void addNext() throws IOException {
            PgDataEntry entry;
            try {
                entry = entries.next();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            tar.write(entry).ifPresent(manifest::addFile);
            if (++written % ALIVE_CHECK_INTERVAL == 0) {
                session.checkAlive();
            }
        }

        @Override
        public void addBackupLabel(String text, java.time.Instant stopped) throws IOException {
            manifest.addFile(tar.writeBackupLabel(text, walker.dataDirectoryRoot(), stopped));
        }

        @Override
        public void finishPart() throws IOException {
            tar.finish();
        }
    }
}
