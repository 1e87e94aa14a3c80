package io.cumulus.postgres;

import io.cumulus.core.io.Digests;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Writes PostgreSQL's {@code backup_manifest} (version 1, PostgreSQL 13 and later) for a backup, byte
 * for byte in the layout the server's own backup_manifest.c produces, so {@code pg_verifybackup} can
 * check a restored data directory: one line per regular file (Path, Size, Last-Modified in GMT,
 * Checksum-Algorithm, Checksum), the WAL-Ranges, and a Manifest-Checksum, the SHA-256 of every byte
 * before it. It is our addition to barman's format, so it lives where barman's tools ignore it.
 */
public final class BackupManifestWriter {

    private static final DateTimeFormatter LAST_MODIFIED = DateTimeFormatter
            .ofPattern("yyyy-MM-dd HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final StringBuilder text = new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
    private boolean firstFile = true;
    private boolean finished;

    /** Adds a file as the tar writer stored it. */
    public void addFile(WrittenFile file) {
        addFile(file.relativePath(), file.size(), file.modified().toInstant(), file.algorithm(), file.checksum());
    }

    /**
     * Adds one regular file.
     *
     * @param path relative to the data directory, '/'-separated; tablespace files as
     *        {@code pg_tblspc/<oid>/...}
     * @param checksum lower-case hex of the checksum's bytes
     */
    public void addFile(String path, long size, Instant lastModified, ChecksumAlgorithm algorithm, String checksum) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(lastModified, "lastModified");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(checksum, "checksum");
        if (path.isEmpty() || path.startsWith("/") || path.startsWith("./")) {
            throw new IllegalArgumentException("manifest paths are relative to the data directory: '" + path + "'");
        }
        if (finished) {
            throw new IllegalStateException("the manifest is finished");
        }
        text.append(firstFile ? "\n" : ",\n");
        firstFile = false;
        text.append("{ \"Path\": ");
        appendJsonString(path);
        text.append(", \"Size\": ").append(size)
                .append(", \"Last-Modified\": \"").append(LAST_MODIFIED.format(lastModified)).append('"')
                .append(", \"Checksum-Algorithm\": \"").append(algorithm.manifestName())
                .append("\", \"Checksum\": \"").append(checksum).append("\" }");
    }

    /**
     * Ends the manifest with the WAL ranges a restore must replay, newest timeline first as
     * PostgreSQL lists them, and its checksum.
     *
     * @return the whole manifest, UTF-8
     */
    public byte[] finish(List<WalRange> walRanges) {
        if (finished) {
            throw new IllegalStateException("the manifest is finished");
        }
        if (walRanges.isEmpty()) {
            throw new IllegalArgumentException("a backup needs at least one WAL range");
        }
        finished = true;
        text.append("\n],\n\"WAL-Ranges\": [\n");
        boolean first = true;
        for (WalRange range : walRanges) {
            text.append(first ? "" : ",\n").append("{ \"Timeline\": ").append(range.timeline())
                    .append(", \"Start-LSN\": \"").append(range.start())
                    .append("\", \"End-LSN\": \"").append(range.end()).append("\" }");
            first = false;
        }
        text.append("\n],\n");
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        String checksum = HexFormat.of().formatHex(Digests.newSha256().digest(body));
        byte[] tail = ("\"Manifest-Checksum\": \"" + checksum + "\"}\n").getBytes(StandardCharsets.UTF_8);
        byte[] manifest = new byte[body.length + tail.length];
        System.arraycopy(body, 0, manifest, 0, body.length);
        System.arraycopy(tail, 0, manifest, body.length, tail.length);
        return manifest;
    }

    /** PostgreSQL's escape_json. */
    private void appendJsonString(String value) {
        text.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\b' -> text.append("\\b");
                case '\f' -> text.append("\\f");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                case '"' -> text.append("\\\"");
                case '\\' -> text.append("\\\\");
                default -> {
                    if (c < ' ') {
                        text.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
        text.append('"');
    }
}
