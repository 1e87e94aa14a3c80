package io.cumulus.storage.azure;

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
        public ConnectionString {
            requireText(value, "connection string");
        }

        @Override
        public String toString() {
            return "ConnectionString[***]";
        }
    }

    /** {@code AZURE_STORAGE_SAS_TOKEN}: a shared access signature, with or without its leading {@code ?}. */
    record SasToken(String token) implements AzureCredential {
        public SasToken {
            requireText(token, "SAS token");
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

    private static void requireText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException("empty " + what);
        }
    }
}
