package io.cumulus.core.restore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The files of PostgreSQL's {@code backup_manifest} (version 1 and 2), which cumulus-backup stores
 * next to the archives: what a restore must produce, file by file, with sizes and checksums.
 */
public final class BackupManifest {

    /**
     * One file the backup holds.
     *
     * @param path relative to the data directory; tablespace files as {@code pg_tblspc/<oid>/...}
     * @param size in bytes
     * @param algorithm the manifest's Checksum-Algorithm ({@code CRC32C}, {@code SHA256}... or {@code NONE})
     * @param checksum lower-case hex, empty for {@code NONE}
     */
    public record File(String path, long size, String algorithm, String checksum) {
        public File {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(algorithm, "algorithm");
            checksum = checksum == null ? "" : checksum.toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Map<String, List<File>> files;

    private BackupManifest(Map<String, List<File>> files) {
        this.files = files;
    }

    /**
     * The files by path, in manifest order. A path has one listing, except in the manifests that
     * cumulus-backup wrote before it left out the data directory's copy of a configuration file kept
     * outside it: that path is listed twice, the outside file second, as in the archives.
     */
    public Map<String, List<File>> files() {
        return files;
    }

    /**
     * Reads a manifest.
     *
     * @throws IllegalArgumentException when it is not a backup manifest
     */
    public static BackupManifest parse(byte[] utf8) {
        return parse(new String(utf8, StandardCharsets.UTF_8));
    }

    /**
     * Reads a manifest. Each entry of its Files array becomes a {@link File} as soon as it is read, and
     * its JSON object is dropped: a manifest of a million files costs its text and the files, not a
     * map of five entries per file besides (about 1.2 KB a file, which ran a restore of 800,000 files
     * out of the default heap).
     *
     * @throws IllegalArgumentException when it is not a backup manifest
     */
    public static BackupManifest parse(String text) {
        Map<String, List<File>> files = new LinkedHashMap<>();
        Map<String, String> algorithms = new java.util.HashMap<>();
        Object root = new Json(text, item -> {
            File file = file(item, algorithms);
            files.merge(file.path(), List.of(file), (listed, again) -> {
                List<File> both = new ArrayList<>(listed);
                both.addAll(again);
                return List.copyOf(both);
            });
        }).document();
        if (!(root instanceof Map<?, ?> object) || !Json.STREAMED.equals(object.get("Files"))) {
            throw new IllegalArgumentException("not a backup manifest: no \"Files\" array");
        }
        return new BackupManifest(java.util.Collections.unmodifiableMap(files));
    }

    private static File file(Object item, Map<String, String> algorithms) {
        if (!(item instanceof Map<?, ?> file)) {
            throw new IllegalArgumentException("not a backup manifest: a file is not an object");
        }
        String path;
        if (file.get("Path") instanceof String plain) {
            path = plain;
        } else if (file.get("Encoded-Path") instanceof String hex) {
            path = new String(HexFormat.of().parseHex(hex), StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("not a backup manifest: a file has no Path");
        }
        if (!(file.get("Size") instanceof Long size)) {
            throw new IllegalArgumentException("not a backup manifest: " + path + " has no Size");
        }
        // one String per algorithm name, not one per file
        String algorithm = algorithms.computeIfAbsent(file.get("Checksum-Algorithm") instanceof String a ? a : "NONE",
                a -> a);
        String checksum = file.get("Checksum") instanceof String c ? c : "";
        return new File(path, size, algorithm, checksum);
    }

    /**
     * Just enough JSON for a manifest: objects, arrays, strings, integers, true/false/null. The
     * top-level object's "Files" array is not built: each of its items goes to {@code files} as it is
     * read, and the array is stood in for by {@link #STREAMED}.
     */
    private static final class Json {
        static final String STREAMED = "(streamed)";

        private final String text;
        private final java.util.function.Consumer<Object> files;
        private int at;
        private int depth;

        Json(String text, java.util.function.Consumer<Object> files) {
            this.text = text;
            this.files = files;
        }

        Object document() {
            Object value = value();
            skipSpace();
            if (at != text.length()) {
                throw error("text after the end");
            }
            return value;
        }

        private Object value() {
            skipSpace();
            if (at >= text.length()) {
                throw error("unexpected end");
            }
            char c = text.charAt(at);
            if (c == '{') {
                at++;
                Map<String, Object> object = new LinkedHashMap<>();
                skipSpace();
                if (peek('}')) {
                    return object;
                }
                depth++;
                do {
                    skipSpace();
                    String key = string();
                    skipSpace();
                    expect(':');
                    skipSpace();
                    if (depth == 1 && key.equals("Files") && at < text.length() && text.charAt(at) == '[') {
                        streamFiles();
                        object.put(key, STREAMED);
                    } else {
                        object.put(key, value());
                    }
                    skipSpace();
                } while (peek(','));
                expect('}');
                depth--;
                return object;
            }
            if (c == '[') {
                at++;
                List<Object> array = new ArrayList<>();
                skipSpace();
                if (peek(']')) {
                    return array;
                }
                do {
                    array.add(value());
                    skipSpace();
                } while (peek(','));
                expect(']');
                return array;
            }
            if (c == '"') {
                return string();
            }
            if (c == '-' || (c >= '0' && c <= '9')) {
                int start = at++;
                while (at < text.length() && "0123456789.eE+-".indexOf(text.charAt(at)) >= 0) {
                    at++;
                }
                String number = text.substring(start, at);
                try {
                    return Long.parseLong(number);
                } catch (NumberFormatException e) {
                    return Double.parseDouble(number);
                }
            }
            for (String word : new String[] {"true", "false", "null"}) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            throw error("unexpected '" + c + "'");
        }

        /** The top-level Files array, each item handed over as soon as it is read. */
        private void streamFiles() {
            expect('[');
            skipSpace();
            if (peek(']')) {
                return;
            }
            do {
                files.accept(value());
                skipSpace();
            } while (peek(','));
            expect(']');
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                if (at >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(escaped);
                }
            }
        }

        private boolean peek(char c) {
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("not a backup manifest: " + what + " at offset " + at);
        }
    }
}
