package io.cumulus.storage.azure;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How an Azure store authenticates: one of barman-cloud's six ways. The CLI picks one with {@link
 * #resolve(Optional, Map)}; the provider never reads the environment for it. The secret-carrying
 * variants print as {@code ***} so that a config or a log line never shows them.
 */
public sealed interface AzureCredential {

    /** Barman's {@code --azure-credential azure-cli}: the token of a logged-in {@code az} command. */
    record AzureCli() implements AzureCredential {}

    /**
     * Barman's {@code --azure-credential managed-identity}: the VM's or pod's managed identity.
     *
     * @param clientId a user-assigned identity's client id; empty for the system-assigned one
     */
    record ManagedIdentity(Optional<String> clientId) implements AzureCredential {
        public ManagedIdentity {
            Objects.requireNonNull(clientId, "clientId");
        }
    }

    /**
     * Barman's {@code --azure-credential default}, and its last resort: the SDK's {@code
     * DefaultAzureCredential} chain (environment, workload identity, managed identity, CLI...).
     */
    record DefaultChain() implements AzureCredential {}

    /**
     * {@code AZURE_STORAGE_CONNECTION_STRING}. As in barman-cloud the connection string names the
     * endpoint too, so the store's configured endpoint is not used with it.
     */
    record ConnectionString(String value) implements AzureCredential {
        /**
         * @throws IllegalArgumentException for an empty string, a {@code BlobEndpoint} with user info
         *     (Azure never uses it, and the SDK's errors would quote it) or a {@code SharedAccessSignature}
         *     that is no URL query; the message names the variable, never its value
         */
        public ConnectionString {
            requireText(value, "connection string");
            checkConnectionString(value);
        }

        /** The value of the string's {@code key} setting (case-insensitive, trimmed), if it has one. */
        public Optional<String> setting(String key) {
            return settings(value).stream()
                    .filter(pair -> pair.getKey().equalsIgnoreCase(key))
                    .map(Map.Entry::getValue)
                    .findFirst();
        }

        @Override
        public String toString() {
            return "ConnectionString[***]";
        }
    }

    /** {@code AZURE_STORAGE_SAS_TOKEN}: a shared access signature, with or without its leading {@code ?}. */
    record SasToken(String token) implements AzureCredential {
        /**
         * @throws IllegalArgumentException for an empty token, or one with a character a URL query cannot
         *     hold (quotes, white space, control characters, {@code |}, a malformed {@code %}-escape): the
         *     SDK would fail at the first request quoting the whole URL, the token with it. The message
         *     names the variable and the position, never the token.
         */
        public SasToken {
            requireText(token, "SAS token");
            checkSas(token, SAS_TOKEN_VARIABLE);
        }

        @Override
        public String toString() {
            return "SasToken[***]";
        }
    }

    /** {@code AZURE_STORAGE_KEY}: the storage account's shared key (base64), used with the store's account name. */
    record SharedKey(String accountKey) implements AzureCredential {
        public SharedKey {
            requireText(accountKey, "account key");
        }

        @Override
        public String toString() {
            return "SharedKey[***]";
        }
    }

    /** Barman's environment variable for a connection string. */
    String CONNECTION_STRING_VARIABLE = "AZURE_STORAGE_CONNECTION_STRING";
    /** Barman's environment variable for a SAS token. */
    String SAS_TOKEN_VARIABLE = "AZURE_STORAGE_SAS_TOKEN";
    /** Barman's environment variable for a shared key. */
    String KEY_VARIABLE = "AZURE_STORAGE_KEY";

    /**
     * Picks the credential the way barman-cloud does: an explicit {@code --azure-credential} first,
     * then {@code AZURE_STORAGE_CONNECTION_STRING}, {@code AZURE_STORAGE_SAS_TOKEN}, {@code
     * AZURE_STORAGE_KEY} (the first one set and not empty), and else the default chain.
     *
     * @param option the value of {@code --azure-credential} ({@code azure-cli}, {@code
     *     managed-identity} or {@code default}), if given
     * @param environment the process environment, or a test's stand-in for it
     * @throws IllegalArgumentException for an unknown option value
     */
    static AzureCredential resolve(Optional<String> option, Map<String, String> environment) {
        Objects.requireNonNull(option, "option");
        Objects.requireNonNull(environment, "environment");
        if (option.isPresent()) {
            return switch (option.get().toLowerCase(Locale.ROOT)) {
                case "azure-cli" -> new AzureCli();
                case "managed-identity" -> new ManagedIdentity(Optional.empty());
                case "default" -> new DefaultChain();
                default -> throw new IllegalArgumentException("unknown --azure-credential '" + option.get()
                        + "': expected azure-cli, managed-identity or default");
            };
        }
        String connectionString = environment.get(CONNECTION_STRING_VARIABLE);
        if (connectionString != null && !connectionString.isBlank()) {
            return new ConnectionString(connectionString);
        }
        String sas = environment.get(SAS_TOKEN_VARIABLE);
        if (sas != null && !sas.isBlank()) {
            return new SasToken(sas);
        }
        String key = environment.get(KEY_VARIABLE);
        if (key != null && !key.isBlank()) {
            return new SharedKey(key);
        }
        return new DefaultChain();
    }

    /**
     * Refuses a SAS that cannot be sent as a URL query: every character must be one RFC 3986 allows in a
     * query ({@code A-Z a-z 0-9 - . _ ~ ! $ & ( ) * + , ; = : @ / ?}, and {@code %} followed by two hex
     * digits), except the single quote, which no SAS holds and a quoted value keeps.
     */
    private static void checkSas(String token, String where) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            String problem = null;
            if (c == '%') {
                if (i + 2 >= token.length() || Character.digit(token.charAt(i + 1), 16) < 0
                        || Character.digit(token.charAt(i + 2), 16) < 0) {
                    problem = "a '%' not followed by two hexadecimal digits";
                }
            } else if (c == '"' || c == '\'') {
                problem = "a quote";
            } else if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
                problem = "white space";
            } else if (Character.isISOControl(c)) {
                problem = "a control character";
            } else if (!queryCharacter(c)) {
                problem = c < 128 ? "the character '" + c + "'" : "a non-ASCII character";
            }
            if (problem != null) {
                throw new IllegalArgumentException(where + " is not a valid SAS token: it holds " + problem
                        + " at position " + (i + 1) + " of " + token.length() + ". Give the token as Azure issued it"
                        + " (sv=...&sig=...), without quotes around it (a Docker --env-file or systemd"
                        + " EnvironmentFile keeps them as part of the value), spaces or line breaks,"
                        + " its signature %-escaped as issued");
            }
        }
    }

    private static boolean queryCharacter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~!$&()*+,;=:@/?".indexOf(c) >= 0;
    }

    /**
     * Refuses a connection string whose {@code BlobEndpoint} carries user info or whose {@code
     * SharedAccessSignature} is no URL query; a string the SDK cannot read otherwise is left to it.
     */
    private static void checkConnectionString(String value) {
        for (Map.Entry<String, String> pair : settings(value)) {
            String key = pair.getKey();
            String setting = pair.getValue();
            if (key.equalsIgnoreCase("BlobEndpoint") && setting.indexOf('@') >= 0) {
                throw new IllegalArgumentException(CONNECTION_STRING_VARIABLE + " is not usable: its BlobEndpoint"
                        + " carries user info (user:password@ before the host), which Azure never uses and"
                        + " errors would repeat. Remove it from the URL, and authenticate with AccountName and"
                        + " AccountKey or with SharedAccessSignature");
            }
            if (key.equalsIgnoreCase("SharedAccessSignature")) {
                checkSas(setting, CONNECTION_STRING_VARIABLE + "'s SharedAccessSignature");
            }
        }
    }

    /**
     * A connection string's {@code KEY=VALUE} pairs in their order (a key may repeat), keys and values trimmed; a part
     * without {@code =} or with an empty key is left to the SDK, which refuses it.
     */
    private static List<Map.Entry<String, String>> settings(String value) {
        List<Map.Entry<String, String>> settings = new ArrayList<>();
        for (String pair : value.split(";")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                settings.add(Map.entry(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim()));
            }
        }
        return settings;
    }

    private static void requireText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException("empty " + what);
        }
    }
}
