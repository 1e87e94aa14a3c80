package io.cumulus.cli.backup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.PythonDateTime;
import io.cumulus.core.catalog.PythonLiteral;
import io.cumulus.core.catalog.Tablespace;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** JSON output of the catalog tools: a backup as barman's {@code BackupInfo.to_json()} shapes it. */
final class CatalogJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** Python's {@code datetime.ctime()}: {@code Sat Nov 21 05:19:44 2026}, day padded with a space. */
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.ROOT);

    private CatalogJson() {
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /** A backup's fields as barman's to_json gives them: times in ctime() form, tablespaces as lists. */
    static Map<String, Object> backup(BackupId id, BackupInfo info) {
        Map<String, Object> m = new TreeMap<>();
        m.put("backup_id", id.value());
        // barman's to_json keeps the label as backup.info holds it: its Python repr, quoted, with \n
        m.put("backup_label", info.backupLabel() == null ? null : PythonLiteral.repr(info.backupLabel()));
        m.put("backup_name", info.backupName());
        m.put("begin_offset", info.beginOffset());
        m.put("begin_time", ctime(info.beginTime()));
        m.put("begin_wal", info.beginWal());
        m.put("begin_xlog", info.beginXlog());
        m.put("compression", info.compression());
        m.put("config_file", info.configFile());
        m.put("copy_stats", info.copyStats().isEmpty() ? null : info.copyStats());
        m.put("deduplicated_size", info.deduplicatedSize());
        m.put("end_offset", info.endOffset());
        m.put("end_time", ctime(info.endTime()));
        m.put("end_wal", info.endWal());
        m.put("end_xlog", info.endXlog());
        m.put("error", info.error());
        m.put("hba_file", info.hbaFile());
        m.put("ident_file", info.identFile());
        m.put("included_files", info.includedFiles().isEmpty() ? null : info.includedFiles());
        m.put("mode", info.mode());
        m.put("pgdata", info.pgdata());
        m.put("server_name", info.serverName());
        m.put("size", info.size());
        m.put("snapshots_info", info.snapshotsInfo());
        m.put("status", info.status().name());
        m.put("systemid", info.systemid());
        m.put("tablespaces", tablespaces(info.tablespaces()));
        m.put("timeline", info.timeline());
        m.put("version", info.version());
        m.put("xlog_segment_size", info.xlogSegmentSize());
        m.put("begin_time_iso", info.beginTime() == null ? null : PythonDateTime.isoformat(info.beginTime()));
        m.put("end_time_iso", info.endTime() == null ? null : PythonDateTime.isoformat(info.endTime()));
        return m;
    }

    static String ctime(OffsetDateTime t) {
        return t == null ? null : CTIME.format(t);
    }

    private static List<List<Object>> tablespaces(List<Tablespace> tablespaces) {
        if (tablespaces.isEmpty()) {
            return null;
        }
        List<List<Object>> result = new ArrayList<>();
        for (Tablespace t : tablespaces) {
            result.add(List.of(t.name(), t.oid(), t.location()));
        }
        return result;
    }
}
