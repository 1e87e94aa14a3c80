package io.cumulus.core.catalog;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The metadata of one backup, the {@code base/<backup_id>/backup.info} object, with exactly the
 * keys barman-cloud 3.4 reads (reference §3): {@link #format()} writes those keys only, so both
 * 3.4 and newer barman-cloud accept what Cumulus writes; {@link #parse} also accepts what newer
 * versions write, keeping their extra keys in {@link #newerKeys()} without ever writing them back.
 *
 * <p>{@code null} stands for Python's {@code None}. Empty collections and an empty label are
 * written as {@code None}, as barman writes them, and read back as empty.
 *
 * @param backupLabel the {@code backup_label} text PostgreSQL returned at the end of the backup
 * @param backupName the user's name for the backup, written only when set
 * @param beginOffset the start LSN's offset in {@code beginWal}
 * @param beginTime the server's {@code now()} when the backup started
 * @param beginWal the WAL segment the backup starts in
 * @param beginXlog the start LSN as {@code %X/%X}
 * @param compression barman's own compression of the backup, always {@code None} for barman-cloud
 *     (the archives' compression shows in their names)
 * @param configFile the absolute path of postgresql.conf
 * @param copyStats timing statistics, a Python dict; values as {@link PythonLiteral} maps them
 * @param deduplicatedSize always {@code None} for barman-cloud
 * @param endOffset the stop LSN's offset in {@code endWal}
 * @param endTime the server's {@code now()} when the backup stopped
 * @param endWal the WAL segment holding the stop LSN
 * @param endXlog the stop LSN as {@code %X/%X}
 * @param error why a {@link BackupStatus#FAILED} backup failed, on one line
 * @param hbaFile the absolute path of pg_hba.conf
 * @param identFile the absolute path of pg_ident.conf
 * @param includedFiles configuration files pulled in by {@code include} directives
 * @param mode always {@code None} for barman-cloud
 * @param pgdata the data directory
 * @param serverName {@code cloud} for object-store backups
 * @param size always {@code None} for barman-cloud
 * @param snapshotsInfo the snapshot description of a snapshot backup, written only when set
 * @param status never null; {@link BackupStatus#EMPTY} when the file has no status
 * @param systemid the cluster's system identifier, an unsigned 64-bit number in decimal
 * @param tablespaces the backup's tablespaces in the server's order
 * @param timeline the timeline the backup started on
 * @param version {@code server_version_num}, e.g. 150018
 * @param xlogSegmentSize the WAL segment size; 16 MiB when the file does not say
 * @param newerKeys keys this class does not model (written by newer Barman), with their raw text,
 *     in file order; never written by {@link #format()}
 */
public record BackupInfo(
        String backupLabel,
        String backupName,
        Long beginOffset,
        OffsetDateTime beginTime,
        String beginWal,
        String beginXlog,
        String compression,
        String configFile,
        Map<String, Object> copyStats,
        Long deduplicatedSize,
        Long endOffset,
        OffsetDateTime endTime,
        String endWal,
        String endXlog,
        String error,
        String hbaFile,
        String identFile,
        List<String> includedFiles,
        String mode,
        String pgdata,
        String serverName,
        Long size,
        Map<String, Object> snapshotsInfo,
        BackupStatus status,
        String systemid,
        List<Tablespace> tablespaces,
        Integer timeline,
        Integer version,
        Long xlogSegmentSize,
        Map<String, String> newerKeys) {

    /** barman's {@code DEFAULT_XLOG_SEG_SIZE}, assumed when backup.info has no segment size. */
    public static final long DEFAULT_XLOG_SEGMENT_SIZE = 16L * 1024 * 1024;

    /** The {@code server_name} barman-cloud writes for every object-store backup. */
    public static final String CLOUD_SERVER_NAME = "cloud";

    /**
     * The {@link #newerKeys()} key (Barman 3.11+) naming the backup an incremental backup builds on;
     * Barman takes a backup whose value is set for an incremental one.
     */
    public static final String PARENT_BACKUP_ID = "parent_backup_id";

    /** The {@link #newerKeys()} key (Barman 3.11+) listing, comma-separated, the increments of a backup. */
    public static final String CHILDREN_BACKUP_IDS = "children_backup_ids";

    /** The {@link #newerKeys()} key saying what kind of backup this is; {@code full} for a full one. */
    public static final String BACKUP_TYPE = "backup_type";

    public BackupInfo {
        Objects.requireNonNull(status, "status");
        if (backupLabel != null && backupLabel.isEmpty()) {
            backupLabel = null;
        }
        copyStats = copyOf(copyStats);
        snapshotsInfo = snapshotsInfo == null || snapshotsInfo.isEmpty() ? null : copyOf(snapshotsInfo);
        includedFiles = includedFiles == null ? List.of() : List.copyOf(includedFiles);
        tablespaces = tablespaces == null ? List.of() : List.copyOf(tablespaces);
        newerKeys = newerKeys == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(newerKeys));
        beginTime = writable(beginTime);
        endTime = writable(endTime);
        // These are written verbatim, one line per key: a line break would end the value early.
        requireOneLine("backup_name", backupName);
        requireOneLine("begin_wal", beginWal);
        requireOneLine("begin_xlog", beginXlog);
        requireOneLine("compression", compression);
        requireOneLine("config_file", configFile);
        requireOneLine("end_wal", endWal);
        requireOneLine("end_xlog", endXlog);
        requireOneLine("error", error);
        requireOneLine("hba_file", hbaFile);
        requireOneLine("ident_file", identFile);
        requireOneLine("mode", mode);
        requireOneLine("pgdata", pgdata);
        requireOneLine("server_name", serverName);
        requireOneLine("systemid", systemid);
    }

    /**
     * A timestamp as it survives being written and read back: Python keeps microseconds at most,
     * and dateutil cannot read an offset with seconds (historical local mean time), so such a time
     * moves to UTC, same instant.
     */
    private static OffsetDateTime writable(OffsetDateTime t) {
        if (t == null) {
            return null;
        }
        OffsetDateTime micros = t.truncatedTo(ChronoUnit.MICROS);
        return micros.getOffset().getTotalSeconds() % 60 == 0 ? micros : micros.withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static Map<String, Object> copyOf(Map<String, Object> map) {
        return map == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }

    private static void requireOneLine(String key, String value) {
        if (value != null && (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0)) {
            throw new IllegalArgumentException("backup.info " + key + " must be on one line: " + value);
        }
    }

    /**
     * A builder with every key unset ({@code None}) but two, defaulted as barman defaults them:
     * status {@link BackupStatus#EMPTY} and the segment size {@link #DEFAULT_XLOG_SEGMENT_SIZE}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this backup.info's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * The {@code error} text barman-cloud records for a failed backup: {@code failure <action>
     * (<first line of the cause's message>)}, the cause's class name when it has no message.
     *
     * @param action what was being done, e.g. {@code "uploading data"}
     */
    public static String failureError(String action, Throwable cause) {
        String message = cause.getMessage() == null ? "" : cause.getMessage().strip();
        String firstLine = message.isEmpty() ? cause.getClass().getSimpleName() : message.lines().findFirst().orElseThrow();
        return "failure " + action + " (" + firstLine.strip() + ")";
    }

    /**
     * Why Cumulus cannot restore this backup, or empty when it can: the one rule behind every choice
     * of a backup to restore (cumulus-restore's own refusal, and whatever judges a backup restorable).
     * The text completes {@code "backup <id> is "} and says what to do instead, e.g. {@code "an
     * incremental backup (parent 20261120T020000), which cumulus-restore does not restore: ..."}.
     *
     * <p>A snapshot backup ({@code snapshots_info}) holds no archives, only disk snapshots. An
     * incremental backup (Barman 3.11+ for PostgreSQL 17: {@code parent_backup_id} set, or a {@code
     * backup_type} other than {@code full}) holds only what changed since its parent, which
     * pg_combinebackup must merge first: extracted alone it gives a directory PostgreSQL refuses.
     */
    public Optional<String> unrestorableReason() {
        return unrestorable().map(u -> u.kind() + ", which cumulus-restore does not restore: " + u.fix());
    }

    /**
     * What {@link #unrestorableReason()} calls this backup, without the fix ("a snapshot backup", "an
     * incremental backup (parent Y)"), for lists of them (cumulus-check's counts), or empty.
     */
    public Optional<String> unrestorableKind() {
        return unrestorable().map(Unrestorable::kind);
    }

    private record Unrestorable(String kind, String fix) {
    }

    private Optional<Unrestorable> unrestorable() {
        if (snapshotsInfo != null) {
            return Optional.of(new Unrestorable("a snapshot backup",
                    "restore it with barman-cloud-restore --snapshot-recovery-instance, or choose another backup"));
        }
        String parent = parentBackupId().orElse(null);
        String type = newerValue(BACKUP_TYPE);
        if (isIncremental()) {
            return Optional.of(new Unrestorable("an incremental backup (" + (parent != null ? "parent " + parent
                    : "backup_type=" + type) + ")", "restore it with Barman (pg_combinebackup), or choose a full backup"));
        }
        if (type != null && !type.equals("full")) {
            // a kind newer Barman may add: extracting its archives as a full backup's is a guess
            return Optional.of(new Unrestorable("a backup of type '" + type + "' (backup_type)",
                    "restore it with Barman, or choose a full backup"));
        }
        return Optional.empty();
    }

    /** A {@link #newerKeys()} value as Barman reads a plain field: null when absent, {@code None} or empty. */
    private String newerValue(String key) {
        String text = newerKeys.get(key);
        return text == null || text.isEmpty() || text.equals("None") ? null : text;
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /**
     * Reads a backup.info whose timestamps without an offset are taken in this machine's zone, as
     * barman reads them.
     *
     * @throws IllegalArgumentException when a line is neither blank, a comment nor {@code key=value},
     *     or a known key's value cannot be read
     */
    public static BackupInfo parse(String text) {
        return parse(text, ZoneId.systemDefault());
    }

    /** As {@link #parse(String)}, the object's bytes, which must be UTF-8. */
    public static BackupInfo parse(byte[] utf8) {
        try {
            return parse(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("backup.info is not UTF-8", e);
        }
    }

    /**
     * As {@link #parse(String)}, with timestamps without an offset taken in {@code naiveZone}.
     * Blank lines and {@code #} comments are skipped; each other line is split at its first {@code
     * =} and both sides stripped; {@code None} is null; a key given twice keeps its last value.
     */
    public static BackupInfo parse(String text, ZoneId naiveZone) {
        Objects.requireNonNull(naiveZone, "naiveZone");
        Builder b = builder();
        Map<String, String> newer = new LinkedHashMap<>();
        for (String rawLine : text.split("\n", -1)) {
            String line = rawLine.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("invalid line in backup.info: " + line);
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            Key key = Key.BY_NAME.get(name);
            if (key == null) {
                newer.put(name, value);
                continue;
            }
            try {
                key.read.accept(b, new Value(value.equals("None") ? null : value, naiveZone));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("backup.info " + name + ": cannot read '" + value + "': "
                        + e.getMessage(), e);
            }
        }
        return b.newerKeys(newer).build();
    }

    /** One value being read, with what reading a timestamp needs. */
    private record Value(String text, ZoneId naiveZone) {
        String string() {
            return text;
        }

        Long integer() {
            return text == null ? null : PythonInt.parse(text);
        }

        Integer smallInteger() {
            Long n = integer();
            return n == null ? null : Math.toIntExact(n);
        }

        OffsetDateTime time() {
            return text == null ? null : PythonDateTime.parse(text, naiveZone);
        }

        Object literal() {
            return text == null ? null : PythonLiteral.parse(text);
        }

        String literalString() {
            Object v = literal();
            if (v == null || v instanceof String) {
                return (String) v;
            }
            throw new IllegalArgumentException("expected a string literal");
        }

        Map<String, Object> literalDict() {
            Object v = literal();
            if (v == null) {
                return null;
            }
            if (!(v instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException("expected a dict literal");
            }
            Map<String, Object> result = new LinkedHashMap<>();
            map.forEach((k, item) -> {
                if (!(k instanceof String s)) {
                    throw new IllegalArgumentException("expected string keys, found " + PythonLiteral.repr(k));
                }
                result.put(s, item);
            });
            return result;
        }

        List<String> literalStrings() {
            List<Object> items = sequence(literal());
            List<String> result = new ArrayList<>();
            for (Object item : items) {
                if (!(item instanceof String s)) {
                    throw new IllegalArgumentException("expected a list of strings");
                }
                result.add(s);
            }
            return result;
        }

        List<Tablespace> tablespaces() {
            List<Tablespace> result = new ArrayList<>();
            for (Object item : sequence(literal())) {
                List<Object> fields = sequence(item);
                if (fields.size() != 3 || !(fields.get(0) instanceof String name)
                        || !(fields.get(2) instanceof String location)) {
                    throw new IllegalArgumentException("expected (name, oid, location) tuples");
                }
                result.add(new Tablespace(name, oid(fields.get(1)), location));
            }
            return result;
        }

        /** An OID as an int literal, or as a string of digits (barman does not check the type). */
        private static long oid(Object value) {
            if (value instanceof Long l) {
                return l;
            }
            if (value instanceof String s && s.matches("[0-9]{1,10}")) {
                return Long.parseLong(s);
            }
            throw new IllegalArgumentException("a tablespace oid must be an integer, found " + PythonLiteral.repr(value));
        }

        private static List<Object> sequence(Object v) {
            if (v == null) {
                return List.of();
            }
            if (v instanceof List<?> list) {
                return new ArrayList<>(list);
            }
            if (v instanceof PythonLiteral.Tuple t) {
                return t.items();
            }
            throw new IllegalArgumentException("expected a list or tuple literal");
        }

        BackupStatus status() {
            if (text == null) {
                return BackupStatus.EMPTY;
            }
            try {
                return BackupStatus.valueOf(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown status, expected one of " + Arrays.toString(BackupStatus.values()));
            }
        }
    }

    /** Python's {@code int(str)}: an optional sign, digits, single underscores between digits. */
    private static final class PythonInt {
        private static final Pattern FORM = Pattern.compile("[+-]?[0-9](?:_?[0-9])*");

        static long parse(String text) {
            if (!FORM.matcher(text).matches()) {
                throw new IllegalArgumentException("not an integer");
            }
            BigInteger n = new BigInteger(text.replace("_", "").replace("+", ""));
            if (n.bitLength() >= 64) {
                throw new IllegalArgumentException("integer out of range");
            }
            return n.longValue();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /**
     * The backup.info text barman-cloud 3.4 writes for these values: the 3.4 keys in sorted order,
     * one {@code key=value} line each ending in {@code \n}, {@code backup_name} and {@code
     * snapshots_info} only when set, {@code None} for the other unset keys, Python literals for
     * the label, lists and dicts. {@link #newerKeys()} are left out.
     */
    public String format() {
        return format(Map.of());
    }

    /**
     * As {@link #format()}, with the keys a newer barman wrote ({@link #newerKeys()}) kept among them, in
     * sorted key order as barman writes them: for a rewrite of the same backup's backup.info (a delete
     * marking it FAILED), which keeps what the barman that wrote it recorded.
     */
    public String formatKeepingNewerKeys() {
        return format(newerKeys);
    }

    private String format(Map<String, String> newer) {
        TreeMap<String, String> lines = new TreeMap<>();
        for (Key key : Key.SORTED) {
            String value = key.write.apply(this);
            if (value != null) {
                lines.put(key.name, value);
            }
        }
        newer.forEach(lines::putIfAbsent);
        StringBuilder out = new StringBuilder(2048);
        lines.forEach((key, value) -> out.append(key).append('=').append(value).append('\n'));
        return out.toString();
    }

    /** {@code str(value)} for a plain field: the text itself, {@code None} when unset. */
    private static String str(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof OffsetDateTime t) {
            return PythonDateTime.format(t);
        }
        return value.toString();
    }

    /** barman's {@code null_repr}: a literal, {@code None} for an empty or missing value. */
    private static String reprOrNone(Object value) {
        boolean empty = value == null
                || (value instanceof String s && s.isEmpty())
                || (value instanceof List<?> l && l.isEmpty())
                || (value instanceof Map<?, ?> m && m.isEmpty());
        return empty ? "None" : PythonLiteral.repr(value);
    }

    private static String tablespacesRepr(List<Tablespace> tablespaces) {
        List<Object> tuples = new ArrayList<>();
        for (Tablespace t : tablespaces) {
            tuples.add(PythonLiteral.Tuple.of(t.name(), t.oid(), t.location()));
        }
        return reprOrNone(tuples);
    }

    /** The 3.4 keys: how each is read into a builder and written from a record. */
    private enum Key {
        BACKUP_LABEL("backup_label", (b, v) -> b.backupLabel(v.literalString()), i -> reprOrNone(i.backupLabel)),
        BACKUP_NAME("backup_name", (b, v) -> b.backupName(v.string()), i -> i.backupName),
        BEGIN_OFFSET("begin_offset", (b, v) -> b.beginOffset(v.integer()), i -> str(i.beginOffset)),
        BEGIN_TIME("begin_time", (b, v) -> b.beginTime(v.time()), i -> str(i.beginTime)),
        BEGIN_WAL("begin_wal", (b, v) -> b.beginWal(v.string()), i -> str(i.beginWal)),
        BEGIN_XLOG("begin_xlog", (b, v) -> b.beginXlog(v.string()), i -> str(i.beginXlog)),
        COMPRESSION("compression", (b, v) -> b.compression(v.string()), i -> str(i.compression)),
        CONFIG_FILE("config_file", (b, v) -> b.configFile(v.string()), i -> str(i.configFile)),
        COPY_STATS("copy_stats", (b, v) -> b.copyStats(v.literalDict()), i -> reprOrNone(i.copyStats)),
        DEDUPLICATED_SIZE("deduplicated_size", (b, v) -> b.deduplicatedSize(v.integer()), i -> str(i.deduplicatedSize)),
        END_OFFSET("end_offset", (b, v) -> b.endOffset(v.integer()), i -> str(i.endOffset)),
        END_TIME("end_time", (b, v) -> b.endTime(v.time()), i -> str(i.endTime)),
        END_WAL("end_wal", (b, v) -> b.endWal(v.string()), i -> str(i.endWal)),
        END_XLOG("end_xlog", (b, v) -> b.endXlog(v.string()), i -> str(i.endXlog)),
        ERROR("error", (b, v) -> b.error(v.string()), i -> str(i.error)),
        HBA_FILE("hba_file", (b, v) -> b.hbaFile(v.string()), i -> str(i.hbaFile)),
        IDENT_FILE("ident_file", (b, v) -> b.identFile(v.string()), i -> str(i.identFile)),
        INCLUDED_FILES("included_files", (b, v) -> b.includedFiles(v.literalStrings()), i -> reprOrNone(i.includedFiles)),
        MODE("mode", (b, v) -> b.mode(v.string()), i -> str(i.mode)),
        PGDATA("pgdata", (b, v) -> b.pgdata(v.string()), i -> str(i.pgdata)),
        SERVER_NAME("server_name", (b, v) -> b.serverName(v.string()), i -> str(i.serverName)),
        SIZE("size", (b, v) -> b.size(v.integer()), i -> str(i.size)),
        SNAPSHOTS_INFO("snapshots_info", (b, v) -> b.snapshotsInfo(v.literalDict()),
                i -> i.snapshotsInfo == null ? null : PythonLiteral.repr(i.snapshotsInfo)),
        STATUS("status", (b, v) -> b.status(v.status()), i -> str(i.status)),
        SYSTEMID("systemid", (b, v) -> b.systemid(v.string()), i -> str(i.systemid)),
        TABLESPACES("tablespaces", (b, v) -> b.tablespaces(v.tablespaces()), i -> tablespacesRepr(i.tablespaces)),
        TIMELINE("timeline", (b, v) -> b.timeline(v.smallInteger()), i -> str(i.timeline)),
        VERSION("version", (b, v) -> b.version(v.smallInteger()), i -> str(i.version)),
        XLOG_SEGMENT_SIZE("xlog_segment_size", (b, v) -> b.xlogSegmentSize(v.integer()), i -> str(i.xlogSegmentSize));

        /** barman writes keys in Python's sorted() order, which for these ASCII names is String order. */
        static final List<Key> SORTED = Arrays.stream(values())
                .sorted(Comparator.comparing((Key k) -> k.name))
                .toList();

        static final Map<String, Key> BY_NAME = Arrays.stream(values())
                .collect(java.util.stream.Collectors.toUnmodifiableMap(k -> k.name, k -> k));

        final String name;
        final BiConsumer<Builder, Value> read;
        /** The value's text, or null to leave the key out. */
        final Function<BackupInfo, String> write;

        Key(String name, BiConsumer<Builder, Value> read, Function<BackupInfo, String> write) {
            this.name = name;
            this.read = read;
            this.write = write;
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Assembles a {@link BackupInfo} key by key, as a backup learns them. */
    public static final class Builder {
        private String backupLabel;
        private String backupName;
        private Long beginOffset;
        private OffsetDateTime beginTime;
        private String beginWal;
        private String beginXlog;
        private String compression;
        private String configFile;
        private Map<String, Object> copyStats;
        private Long deduplicatedSize;
        private Long endOffset;
        private OffsetDateTime endTime;
        private String endWal;
        private String endXlog;
        private String error;
        private String hbaFile;
        private String identFile;
        private List<String> includedFiles;
        private String mode;
        private String pgdata;
        private String serverName;
        private Long size;
        private Map<String, Object> snapshotsInfo;
        private BackupStatus status = BackupStatus.EMPTY;
        private String systemid;
        private List<Tablespace> tablespaces;
        private Integer timeline;
        private Integer version;
        private Long xlogSegmentSize = DEFAULT_XLOG_SEGMENT_SIZE;
        private Map<String, String> newerKeys;

        private Builder() {}

        private Builder(BackupInfo i) {
            backupLabel = i.backupLabel;
            backupName = i.backupName;
            beginOffset = i.beginOffset;
            beginTime = i.beginTime;
            beginWal = i.beginWal;
            beginXlog = i.beginXlog;
            compression = i.compression;
            configFile = i.configFile;
            copyStats = i.copyStats;
            deduplicatedSize = i.deduplicatedSize;
            endOffset = i.endOffset;
            endTime = i.endTime;
            endWal = i.endWal;
            endXlog = i.endXlog;
            error = i.error;
            hbaFile = i.hbaFile;
            identFile = i.identFile;
            includedFiles = i.includedFiles;
            mode = i.mode;
            pgdata = i.pgdata;
            serverName = i.serverName;
            size = i.size;
            snapshotsInfo = i.snapshotsInfo;
            status = i.status;
            systemid = i.systemid;
            tablespaces = i.tablespaces;
            timeline = i.timeline;
            version = i.version;
            xlogSegmentSize = i.xlogSegmentSize;
            newerKeys = i.newerKeys;
        }

        public Builder backupLabel(String value) { backupLabel = value; return this; }
        public Builder backupName(String value) { backupName = value; return this; }
        public Builder beginOffset(Long value) { beginOffset = value; return this; }
        public Builder beginTime(OffsetDateTime value) { beginTime = value; return this; }
        public Builder beginWal(String value) { beginWal = value; return this; }
        public Builder beginXlog(String value) { beginXlog = value; return this; }
        public Builder compression(String value) { compression = value; return this; }
        public Builder configFile(String value) { configFile = value; return this; }
        public Builder copyStats(Map<String, Object> value) { copyStats = value; return this; }
        public Builder deduplicatedSize(Long value) { deduplicatedSize = value; return this; }
        public Builder endOffset(Long value) { endOffset = value; return this; }
        public Builder endTime(OffsetDateTime value) { endTime = value; return this; }
        public Builder endWal(String value) { endWal = value; return this; }
        public Builder endXlog(String value) { endXlog = value; return this; }
        public Builder error(String value) { error = value; return this; }
        public Builder hbaFile(String value) { hbaFile = value; return this; }
        public Builder identFile(String value) { identFile = value; return this; }
        public Builder includedFiles(List<String> value) { includedFiles = value; return this; }
        public Builder mode(String value) { mode = value; return this; }
        public Builder pgdata(String value) { pgdata = value; return this; }
        public Builder serverName(String value) { serverName = value; return this; }
        public Builder size(Long value) { size = value; return this; }
        public Builder snapshotsInfo(Map<String, Object> value) { snapshotsInfo = value; return this; }
        public Builder status(BackupStatus value) { status = value; return this; }
        public Builder systemid(String value) { systemid = value; return this; }
        public Builder tablespaces(List<Tablespace> value) { tablespaces = value; return this; }
        public Builder timeline(Integer value) { timeline = value; return this; }
        public Builder version(Integer value) { version = value; return this; }
        public Builder xlogSegmentSize(Long value) { xlogSegmentSize = value; return this; }
        public Builder newerKeys(Map<String, String> value) { newerKeys = value; return this; }

        /** @throws IllegalArgumentException when a verbatim value spans lines */
        public BackupInfo build() {
            return new BackupInfo(backupLabel, backupName, beginOffset, beginTime, beginWal, beginXlog,
                    compression, configFile, copyStats, deduplicatedSize, endOffset, endTime, endWal,
                    endXlog, error, hbaFile, identFile, includedFiles, mode, pgdata, serverName, size,
                    snapshotsInfo, status, systemid, tablespaces, timeline, version, xlogSegmentSize,
                    newerKeys);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Incremental backups: barman >= 3.11 (PostgreSQL 17's incremental backups) records them with
    // keys 3.4 does not know, so they are read from newerKeys(); both sides of a link say so

    /** The backup this one is an increment of ({@code parent_backup_id}); empty when absent or None. */
    public Optional<String> parentBackupId() {
        return Optional.ofNullable(newerValue(PARENT_BACKUP_ID));
    }

    /**
     * The backups that are increments of this one ({@code children_backup_ids}, which barman writes
     * as ids separated by commas); empty when absent or None.
     */
    public List<String> childrenBackupIds() {
        String raw = newerValue(CHILDREN_BACKUP_IDS);
        if (raw == null) {
            return List.of();
        }
        return Arrays.stream(raw.split(",")).map(String::strip).filter(id -> !id.isEmpty()).toList();
    }

    /**
     * Whether this backup is an increment of another, which it needs to be restored: it has a
     * parent, or its {@code backup_type} is {@code incremental}. (A type Cumulus does not know is not
     * called incremental: {@link #unrestorableReason()} names it by its type.)
     */
    public boolean isIncremental() {
        return parentBackupId().isPresent() || "incremental".equals(newerValue(BACKUP_TYPE));
    }
}
