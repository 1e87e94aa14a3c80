package io.cumulus.core.layout;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.wal.WalName;
import java.util.Objects;

/**
 * Where one server's objects live in a store, exactly as barman-cloud lays them out (reference §2):
 * {@code <prefix>/<server>/wals/…} and {@code <prefix>/<server>/base/<backup_id>/…}.
 *
 * @param prefix the path of the destination URL without leading or trailing slash, possibly empty
 * @param serverName the server name given on the command line; only a path component
 */
public record ServerLayout(String prefix, String serverName) {

    public ServerLayout {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(serverName, "serverName");
        prefix = trimSlashes(prefix);
        if (serverName.isEmpty() || serverName.contains("/")) {
            throw new io.cumulus.core.InvalidInputException(
                    "invalid server name '" + serverName + "': it must be non-empty and contain no '/'");
        }
    }

    /** {@code <prefix>/<server>/}, the root of everything of this server. */
    public String serverPrefix() {
        return prefix.isEmpty() ? serverName + "/" : prefix + "/" + serverName + "/";
    }

    /** {@code <prefix>/<server>/wals/}. */
    public String walsPrefix() {
        return serverPrefix() + "wals/";
    }

    /** {@code <prefix>/<server>/base/}. */
    public String basePrefix() {
        return serverPrefix() + "base/";
    }

    /** The directory listing that holds {@code wal} and its variants: the hash directory, or wals/ for history files. */
    public String walDirectory(WalName wal) {
        String hash = wal.hashDirectory();
        return hash.isEmpty() ? walsPrefix() : walsPrefix() + hash + "/";
    }

    /** The key of {@code wal} stored with {@code compression}. */
    public String walKey(WalName wal, Compression compression) {
        return walDirectory(wal) + wal.name() + compression.suffix();
    }

    /** {@code <prefix>/<server>/base/<backupId>/}. */
    public String backupPrefix(String backupId) {
        return basePrefix() + backupId + "/";
    }

    private static String trimSlashes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '/') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(start, end);
    }
}
