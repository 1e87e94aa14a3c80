package io.cumulus.postgres;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * libpq's connection keywords (PostgreSQL 17's list), each with the environment variable that
 * supplies its default and what pgjdbc makes of it: a driver property, nothing worth more than a
 * notice, or nothing safe (an error, since silently dropping a CRL would connect somehow the user
 * did not ask for). {@code service} is read by {@link ConnectionSettings} itself.
 */
final class LibpqKeywords {

    /** Keyword → environment variable, in libpq's order. */
    static final Map<String, String> ENVIRONMENT;

    /** Keywords handed to pgjdbc under its own property name. */
    static final Map<String, String> DRIVER_PROPERTY = Map.ofEntries(
            Map.entry("connect_timeout", "connectTimeout"),
            Map.entry("options", "options"),
            Map.entry("sslmode", "sslmode"),
            Map.entry("sslcert", "sslcert"),
            Map.entry("sslkey", "sslkey"),
            Map.entry("sslpassword", "sslpassword"),
            Map.entry("sslrootcert", "sslrootcert"),
            Map.entry("sslnegotiation", "sslNegotiation"),
            Map.entry("channel_binding", "channelBinding"),
            Map.entry("gssencmode", "gssEncMode"),
            Map.entry("krbsrvname", "kerberosServerName"),
            Map.entry("gsslib", "gsslib"),
            Map.entry("require_auth", "requireAuth"),
            Map.entry("target_session_attrs", "targetServerType"),
            Map.entry("load_balance_hosts", "loadBalanceHosts"));

    /** Keywords accepted but without effect through pgjdbc over TCP; each earns a notice. */
    static final Set<String> IGNORED = Set.of("client_encoding", "fallback_application_name", "keepalives",
            "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout", "sslcompression",
            "sslsni", "sslcertmode", "ssl_min_protocol_version", "ssl_max_protocol_version", "requirepeer");

    /** Keywords refused when set: pgjdbc cannot honour them and ignoring them would be unsafe. */
    static final Set<String> UNSUPPORTED = Set.of("sslcrl", "sslcrldir", "replication");

    /** Driver properties holding secrets: masked wherever settings are printed. */
    static final Set<String> SECRET_DRIVER_PROPERTIES = Set.of("password", "sslpassword");

    static {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("service", "PGSERVICE");
        env.put("user", "PGUSER");
        env.put("password", "PGPASSWORD");
        env.put("passfile", "PGPASSFILE");
        env.put("channel_binding", "PGCHANNELBINDING");
        env.put("connect_timeout", "PGCONNECT_TIMEOUT");
        env.put("dbname", "PGDATABASE");
        env.put("host", "PGHOST");
        env.put("hostaddr", "PGHOSTADDR");
        env.put("port", "PGPORT");
        env.put("client_encoding", "PGCLIENTENCODING");
        env.put("options", "PGOPTIONS");
        // barman sets its own application_name unless the connection string names one: PGAPPNAME loses
        env.put("application_name", null);
        env.put("fallback_application_name", null);
        env.put("keepalives", null);
        env.put("keepalives_idle", null);
        env.put("keepalives_interval", null);
        env.put("keepalives_count", null);
        env.put("tcp_user_timeout", null);
        env.put("sslmode", "PGSSLMODE");
        env.put("sslnegotiation", "PGSSLNEGOTIATION");
        env.put("sslcompression", "PGSSLCOMPRESSION");
        env.put("sslcert", "PGSSLCERT");
        env.put("sslkey", "PGSSLKEY");
        env.put("sslcertmode", "PGSSLCERTMODE");
        env.put("sslpassword", null);
        env.put("sslrootcert", "PGSSLROOTCERT");
        env.put("sslcrl", "PGSSLCRL");
        env.put("sslcrldir", "PGSSLCRLDIR");
        env.put("sslsni", "PGSSLSNI");
        env.put("requirepeer", "PGREQUIREPEER");
        env.put("require_auth", "PGREQUIREAUTH");
        env.put("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION");
        env.put("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION");
        env.put("gssencmode", "PGGSSENCMODE");
        env.put("krbsrvname", "PGKRBSRVNAME");
        env.put("gsslib", "PGGSSLIB");
        env.put("replication", null);
        env.put("target_session_attrs", "PGTARGETSESSIONATTRS");
        env.put("load_balance_hosts", "PGLOADBALANCEHOSTS");
        ENVIRONMENT = java.util.Collections.unmodifiableMap(env);
    }

    private LibpqKeywords() {
    }

    static boolean isKeyword(String keyword) {
        return ENVIRONMENT.containsKey(keyword);
    }

    /**
     * pgjdbc's targetServerType for libpq's target_session_attrs. pgjdbc tells a primary from a
     * standby by {@code transaction_read_only}, so libpq's {@code primary} and {@code standby} (which
     * ask {@code pg_is_in_recovery()}) become {@code read-write} and {@code read-only}: they differ only
     * on a primary whose default_transaction_read_only is on.
     */
    static String targetServerType(String targetSessionAttrs) {
        return switch (targetSessionAttrs) {
            case "any" -> "any";
            case "read-write", "primary" -> "primary";
            case "read-only", "standby" -> "secondary";
            case "prefer-standby" -> "preferSecondary";
            default -> throw new io.cumulus.core.InvalidInputException(
                    "invalid target_session_attrs value: \"" + targetSessionAttrs + "\"");
        };
    }
}
