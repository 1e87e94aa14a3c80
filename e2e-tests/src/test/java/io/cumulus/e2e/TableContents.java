package io.cumulus.e2e;

import io.cumulus.testsupport.PgCluster;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A fingerprint of what tables hold, to compare the end state of a recovery with the cluster it
 * recovers: per table the row count and an order-independent sum of a 64-bit hash of every row.
 */
final class TableContents {

    private TableContents() {
    }

    /** {@code table -> "rows=N hash=H"} for every table in {@code tables}. */
    static Map<String, String> fingerprint(PgCluster cluster, List<String> tables) {
        Map<String, String> result = new TreeMap<>();
        for (String table : tables) {
            result.put(table, cluster.queryString("SELECT 'rows=' || count(*) || ' hash='"
                    + " || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) FROM " + table + " t"));
        }
        return result;
    }
}
