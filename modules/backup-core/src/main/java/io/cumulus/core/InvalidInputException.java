package io.cumulus.core;

/** Input that can never succeed as given: a malformed WAL name, option or rule. Exit code 3. */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
