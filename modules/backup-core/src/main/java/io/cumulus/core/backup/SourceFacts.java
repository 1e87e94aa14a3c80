package io.cumulus.core.backup;

import io.cumulus.core.catalog.Tablespace;
import java.util.List;
import java.util.Objects;

/**
 * What backup.info records about the cluster being backed up, read before the backup starts.
 * A started backup records the tablespaces it started with instead ({@link BackupBegin#tablespaces()}).
 *
 * @param pgdata the data directory ({@code pgdata})
 * @param configFile postgresql.conf ({@code config_file})
 * @param hbaFile pg_hba.conf ({@code hba_file})
 * @param identFile pg_ident.conf ({@code ident_file})
 * @param includedFiles the files other than postgresql.conf that settings in effect come from
 *     (postgresql.auto.conf, files of include directives), in the server's order ({@code
 *     included_files}; {@code None} when empty, as barman writes it)
 * @param version {@code server_version_num}, e.g. 150018 ({@code version}; restore needs it)
 * @param systemId the system identifier, an unsigned 64-bit number in decimal ({@code systemid})
 * @param walSegmentSize {@code wal_segment_size} in bytes ({@code xlog_segment_size})
 * @param tablespaces the tablespaces with a location, in the server's order, as read before the backup
 *     starts: backup.info lists them only when the backup fails to start
 */
public record SourceFacts(String pgdata, String configFile, String hbaFile, String identFile,
        List<String> includedFiles, int version, String systemId, long walSegmentSize, List<Tablespace> tablespaces) {

    public SourceFacts {
        Objects.requireNonNull(pgdata, "pgdata");
        Objects.requireNonNull(systemId, "systemId");
        includedFiles = List.copyOf(includedFiles);
        tablespaces = List.copyOf(tablespaces);
        if (walSegmentSize <= 0) {
            throw new IllegalArgumentException("WAL segment size must be positive: " + walSegmentSize);
        }
    }
}
