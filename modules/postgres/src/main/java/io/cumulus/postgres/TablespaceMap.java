package io.cumulus.postgres;

import io.cumulus.core.catalog.Tablespace;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * PostgreSQL's tablespace_map of a backup, as pg_backup_stop answers it ({@code spcmapfile}): the
 * tablespaces pg_backup_start found in {@code pg_tblspc} once its checkpoint was done, one line
 * {@code <oid> <path>} each, with a backslash before each backslash, CR and LF of the path. It is
 * PostgreSQL's own list of the tablespaces a backup must hold, which a backup's archives are checked
 * against.
 *
 * @param oids the tablespaces' oids, in the map's order
 */
public record TablespaceMap(Set<Long> oids) {

    public TablespaceMap {
        oids = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(oids));
    }

    /**
     * Reads the map as PostgreSQL's recovery reads tablespace_map: lines end at an unescaped CR or LF,
     * and each must be an oid, one space and a path.
     *
     * @throws IllegalArgumentException when a line is not
     */
    public static TablespaceMap parse(String text) {
        Set<Long> oids = new LinkedHashSet<>();
        StringBuilder line = new StringBuilder();
        boolean escaped = false;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : '\n';
            if (!escaped && (c == '\n' || c == '\r')) {
                if (!line.isEmpty()) {
                    oids.add(oid(line.toString()));
                    line.setLength(0);
                }
            } else if (!escaped && c == '\\') {
                escaped = true;
            } else {
                line.append(c);
                escaped = false;
            }
        }
        return new TablespaceMap(oids);
    }

    private static long oid(String line) {
        int digits = 0;
        while (digits < line.length() && line.charAt(digits) >= '0' && line.charAt(digits) <= '9') {
            digits++;
        }
        if (digits == 0 || digits == line.length() || line.charAt(digits) != ' ') {
            throw new IllegalArgumentException("not a line of a tablespace_map: \"" + line + "\"");
        }
        return Long.parseLong(line.substring(0, digits));
    }

    /** Whether every tablespace of the map is among {@code copied}. */
    public boolean coveredBy(Collection<Tablespace> copied) {
        return copied.stream().map(Tablespace::oid).toList().containsAll(oids);
    }

    /**
     * The tablespaces of the map that are not among {@code copied} and still in the catalog ({@code
     * existing}, read after pg_backup_stop), in the catalog's order: those were there when the backup
     * started, so WAL replay will not create them, and a restore of the backup would lack them. One of
     * the map that the catalog no longer holds was dropped during the backup, after its start point:
     * replay drops it, and the backup needs no copy of it.
     */
    public List<Tablespace> notCopied(Collection<Tablespace> copied, List<Tablespace> existing) {
        Set<Long> copiedOids = new java.util.HashSet<>();
        copied.forEach(tablespace -> copiedOids.add(tablespace.oid()));
        return existing.stream().filter(t -> oids.contains(t.oid()) && !copiedOids.contains(t.oid())).toList();
    }
}
