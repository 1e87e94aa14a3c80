package io.cumulus.core.catalog;

import java.util.Objects;

/**
 * One tablespace of a backup as backup.info records it: its archive is {@code <oid>.tar[.ext]} and
 * restore recreates the {@code pg_tblspc/<oid>} link to {@code location} (reference §2, §3.3).
 *
 * @param name the tablespace name in PostgreSQL
 * @param oid the tablespace OID, an unsigned 32-bit number
 * @param location the absolute directory the tablespace lived in when backed up
 */
public record Tablespace(String name, long oid, String location) {
    public Tablespace {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(location, "location");
        if (oid < 0 || oid > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("tablespace OID out of range: " + oid);
        }
    }
}
