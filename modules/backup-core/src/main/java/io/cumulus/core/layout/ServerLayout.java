package io.cumulus.core.layout;

import io.cumulus.core.compress.Compression;
import io.cumulus.core.wal.WalName;
import java.util.Objects;

/**
 * Where one server's objects live in a store, exactly as barman-cloud lays them out (reference §2):
 * {@code <prefix>/<server>/wals/…} and {@code <prefix>/<server>/base/<backup_id>/…}.
 *
 * @param prefix the path of the destination URL as barman-cloud joins keys to it, possibly empty:
 *     leading slashes are dropped; a trailing one is kept, and makes the doubled slash barman-cloud's
 *     os.path.join makes for an Azure path ending in two ({@code a//} is the prefix {@code a/}, whose
 *     keys are {@code a//SERVER/...}); the URL parsers drop any other trailing slash
 * @param serverName the server name given on the command line; only a path component
 */
public record ServerLayout(String prefix, String serverName) {

    public ServerLayout {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(serverName, "serverName");
        prefix = withoutLeadingSlashes(prefix);
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

    private static String withoutLeadingSlashes(String s) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == '/') {
            start++;
        }
        return s.substring(start);
    }
}
