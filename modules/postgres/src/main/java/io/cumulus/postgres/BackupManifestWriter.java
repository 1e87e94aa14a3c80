package io.cumulus.postgres;

import io.cumulus.core.io.ChunkedBytes;
import io.cumulus.core.io.Digests;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
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
 *
 * <p>The text is encoded and hashed as it is added, into {@link ChunkedBytes}: a manifest of millions
 * of files (about 140 bytes each) costs its own size in heap once, not the four or five copies a
 * growing StringBuilder, its String, its bytes and the joined result would.
 */
public final class BackupManifestWriter {

    private static final DateTimeFormatter LAST_MODIFIED = DateTimeFormatter
            .ofPattern("yyyy-MM-dd HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final ChunkedBytes bytes = new ChunkedBytes();
    private final MessageDigest digest = Digests.newSha256();
    private final Writer text = new BufferedWriter(new OutputStreamWriter(new DigestOutputStream(bytes, digest),
            StandardCharsets.UTF_8), 1 << 16);
    private boolean firstFile = true;
    private boolean finished;

    public BackupManifestWriter() {
        append("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
    }

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
        append(firstFile ? "\n" : ",\n");
        firstFile = false;
        append("{ \"Path\": ");
        appendJsonString(path);
        append(", \"Size\": " + size + ", \"Last-Modified\": \"" + LAST_MODIFIED.format(lastModified)
                + "\", \"Checksum-Algorithm\": \"" + algorithm.manifestName() + "\", \"Checksum\": \"" + checksum
                + "\" }");
    }

    /**
     * Ends the manifest with the WAL ranges a restore must replay, newest timeline first as
     * PostgreSQL lists them, and its checksum.
     *
     * @return the whole manifest, UTF-8
     */
    public ChunkedBytes finish(List<WalRange> walRanges) {
        if (finished) {
            throw new IllegalStateException("the manifest is finished");
        }
        if (walRanges.isEmpty()) {
            throw new IllegalArgumentException("a backup needs at least one WAL range");
        }
        finished = true;
        append("\n],\n\"WAL-Ranges\": [\n");
        boolean first = true;
        for (WalRange range : walRanges) {
            append((first ? "" : ",\n") + "{ \"Timeline\": " + range.timeline() + ", \"Start-LSN\": \"" + range.start()
                    + "\", \"End-LSN\": \"" + range.end() + "\" }");
            first = false;
        }
        append("\n],\n");
        try {
            text.flush();
            // the checksum covers every byte before its own line
            String checksum = HexFormat.of().formatHex(digest.digest());
            bytes.write(("\"Manifest-Checksum\": \"" + checksum + "\"}\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // ChunkedBytes does not fail
        }
        return bytes;
    }

    private void append(String value) {
        try {
            text.write(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // ChunkedBytes does not fail
        }
    }

    /** PostgreSQL's escape_json. */
    private void appendJsonString(String value) {
        StringBuilder escaped = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\b' -> escaped.append("\\b");
                case '\f' -> escaped.append("\\f");
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                default -> {
                    if (c < ' ') {
                        escaped.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        append(escaped.append('"').toString());
    }
}
