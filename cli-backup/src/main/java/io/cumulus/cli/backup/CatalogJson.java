package io.cumulus.cli.backup;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cumulus.core.catalog.BackupId;
import io.cumulus.core.catalog.BackupInfo;
import io.cumulus.core.catalog.PythonDateTime;
import io.cumulus.core.catalog.PythonLiteral;
import io.cumulus.core.catalog.Tablespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** JSON output of the catalog tools: a backup as barman's {@code BackupInfo.to_json()} shapes it. */
final class CatalogJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /**
     * The keys of newer barman versions that barman reads as an {@code int} ({@code
     * Field("cluster_size", load=int)}, 3.11), so its JSON gives a number.
     */
    private static final Set<String> NEWER_INTEGER_KEYS = Set.of("cluster_size");

    /** Python's {@code datetime.ctime()}: {@code Sat Nov 21 05:19:44 2026}, day padded with a space. */
    private static final DateTimeFormatter CTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss uuuu", Locale.ROOT);

    private CatalogJson() {
    }

    /**
     * Writes {@code value} to {@code out} as it goes, without building it as one string: a list given
     * as an {@link Iterable} that is no collection (the WAL keys of a delete) is read while written.
     * An {@link UncheckedIOException} such an iterable throws comes out as its IOException.
     */
    static void write(Object value, Writer out) throws IOException {
        try {
            MAPPER.writer().without(JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(out, value);
        } catch (JsonMappingException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof UncheckedIOException unchecked) {
                    throw unchecked.getCause();
                }
            }
            throw e;
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A backup's fields as barman's {@code to_json} gives them: first every backup.info field in
     * name order (barman's {@code items()}), including the keys of newer barman versions the file
     * holds, {@code backup_name} and {@code snapshots_info} only when set; then {@code backup_id};
     * then, when the times are known, {@code begin_time_iso}/{@code end_time_iso} (barman ≥ 3.12.1).
     * Times are in ctime() form, tablespaces lists, the label its Python repr.
     */
    static Map<String, Object> backup(BackupId id, BackupInfo info) {
        Map<String, Object> fields = new TreeMap<>();
        // barman's to_json keeps the label as backup.info holds it: its Python repr, quoted, with \n
        fields.put("backup_label", info.backupLabel() == null ? null : PythonLiteral.repr(info.backupLabel()));
        if (info.backupName() != null) {
            fields.put("backup_name", info.backupName());
        }
        fields.put("begin_offset", info.beginOffset());
        fields.put("begin_time", ctime(info.beginTime()));
        fields.put("begin_wal", info.beginWal());
        fields.put("begin_xlog", info.beginXlog());
        fields.put("compression", info.compression());
        fields.put("config_file", info.configFile());
        fields.put("copy_stats", info.copyStats().isEmpty() ? null : json(info.copyStats()));
        fields.put("deduplicated_size", info.deduplicatedSize());
        fields.put("end_offset", info.endOffset());
        fields.put("end_time", ctime(info.endTime()));
        fields.put("end_wal", info.endWal());
        fields.put("end_xlog", info.endXlog());
        fields.put("error", info.error());
        fields.put("hba_file", info.hbaFile());
        fields.put("ident_file", info.identFile());
        fields.put("included_files", info.includedFiles().isEmpty() ? null : info.includedFiles());
        fields.put("mode", info.mode());
        fields.put("pgdata", info.pgdata());
        fields.put("server_name", info.serverName());
        fields.put("size", info.size());
        if (info.snapshotsInfo() != null) {
            fields.put("snapshots_info", json(info.snapshotsInfo()));
        }
        fields.put("status", info.status().name());
        fields.put("systemid", info.systemid());
        fields.put("tablespaces", tablespaces(info.tablespaces()));
        fields.put("timeline", info.timeline());
        fields.put("version", info.version());
        fields.put("xlog_segment_size", info.xlogSegmentSize());
        info.newerKeys().forEach((key, text) -> fields.put(key, newerValue(key, text)));

        Map<String, Object> m = new LinkedHashMap<>(fields);
        m.put("backup_id", id.value());
        if (info.beginTime() != null) {
            m.put("begin_time_iso", PythonDateTime.isoformat(info.beginTime()));
        }
        if (info.endTime() != null) {
            m.put("end_time_iso", PythonDateTime.isoformat(info.endTime()));
        }
        return m;
    }

    /**
     * A key Cumulus does not model, as the barman that wrote it gives it: {@code None} is null, an
     * integer field a number, anything else its text (barman ≥ 3.11's other fields are strings, and
     * {@code children_backup_ids} is written back comma-separated, as read).
     */
    private static Object newerValue(String key, String text) {
        if (text.equals("None")) {
            return null;
        }
        if (NEWER_INTEGER_KEYS.contains(key) && text.matches("[+-]?[0-9]+")) {
            return new BigInteger(text);
        }
        return text;
    }

    /** A Python literal's value as json.dumps writes it: tuples become lists. */
    private static Object json(Object value) {
        if (value instanceof PythonLiteral.Tuple t) {
            return json(t.items());
        }
        if (value instanceof List<?> list) {
            List<Object> result = new ArrayList<>(list.size());
            list.forEach(item -> result.add(json(item)));
            return result;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> result = new LinkedHashMap<>();
            map.forEach((k, v) -> result.put(k, json(v)));
            return result;
        }
        return value;
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
