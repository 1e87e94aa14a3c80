package io.cumulus.postgres;

import io.cumulus.core.backup.SourceFacts;
import io.cumulus.core.catalog.Tablespace;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a backup records about the server and needs to copy it: the facts barman-cloud-backup reads
 * before pg_backup_start (reference §5.1 step 3) plus the recovery state and wal_level.
 *
 * @param versionNum server_version_num, e.g. 150018
 * @param version server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)"
 * @param systemIdentifier pg_control_system().system_identifier, as text
 * @param dataDirectory data_directory
 * @param walSegmentSize wal_segment_size in bytes
 * @param configFile config_file
 * @param hbaFile hba_file
 * @param identFile ident_file
 * @param includedFiles the files other than config_file that settings in effect come from
 *     ({@code pg_settings.sourcefile}: postgresql.auto.conf, files of {@code include},
 *     {@code include_if_exists} and {@code include_dir}), as the server gives them, in its order
 * @param tablespaces the tablespaces outside the data directory's own ones (pg_tablespace_location not empty);
 *     a backup copies those read once pg_backup_start returned ({@link #withTablespaces})
 * @param inRecovery pg_is_in_recovery(): a standby
 * @param walLevel wal_level: minimal, replica or logical
 * @param dataChecksums whether data_checksums is on
 */
public record ServerFacts(int versionNum, String version, String systemIdentifier, Path dataDirectory,
        long walSegmentSize, Path configFile, Path hbaFile, Path identFile, List<String> includedFiles,
        List<Tablespace> tablespaces, boolean inRecovery, String walLevel, boolean dataChecksums) {

    public ServerFacts {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(systemIdentifier, "systemIdentifier");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(configFile, "configFile");
        Objects.requireNonNull(hbaFile, "hbaFile");
        Objects.requireNonNull(identFile, "identFile");
        Objects.requireNonNull(walLevel, "walLevel");
        includedFiles = List.copyOf(includedFiles);
        tablespaces = List.copyOf(tablespaces);
    }

    /** What backup.info records of these facts. */
    public SourceFacts sourceFacts() {
        return new SourceFacts(dataDirectory.toString(), configFile.toString(), hbaFile.toString(),
                identFile.toString(), includedFiles, versionNum, systemIdentifier, walSegmentSize, tablespaces);
    }

    /** These facts with {@code tablespaces} in place of those read with them. */
    public ServerFacts withTablespaces(List<Tablespace> tablespaces) {
        return new ServerFacts(versionNum, version, systemIdentifier, dataDirectory, walSegmentSize, configFile,
                hbaFile, identFile, includedFiles, tablespaces, inRecovery, walLevel, dataChecksums);
    }

    /** The major version as tablespace directories name it: 15 for 150018 (PostgreSQL 10 and later). */
    public int majorVersion() {
        return versionNum / 10000;
    }
}
