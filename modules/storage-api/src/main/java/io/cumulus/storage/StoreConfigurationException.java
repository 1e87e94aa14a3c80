package io.cumulus.storage;

/**
 * How the store is to be reached is set wrongly on this host (a CA bundle that does not exist, a
 * setting with an unknown value): no request was sent, and the same call fails until the setting is
 * mended. The message names the setting and what it should be. The tools exit as for invalid input.
 */
public class StoreConfigurationException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public StoreConfigurationException(String message) {
        super(message);
    }

    public StoreConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
