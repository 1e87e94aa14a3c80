package io.cumulus.postgres;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What libpq reads from the process to fill in connection settings: the environment variables
 * ({@code PGHOST}, {@code PGPASSWORD}...), the home directory ({@code ~/.pgpass}) and the OS user
 * name (the default user). A value so tests can pass their own instead of the real process's.
 *
 * @param variables environment variables by name
 * @param homeDirectory where {@code .pgpass} is looked for when {@code PGPASSFILE} is not set
 * @param osUser the default PostgreSQL user name, as libpq takes it from the OS
 */
public record ClientEnvironment(Map<String, String> variables, Path homeDirectory, String osUser) {

    public ClientEnvironment {
        variables = Map.copyOf(variables);
        Objects.requireNonNull(homeDirectory, "homeDirectory");
        Objects.requireNonNull(osUser, "osUser");
    }

    /** This process's environment; the home directory is {@code $HOME}, else the JVM's user.home. */
    public static ClientEnvironment current() {
        Map<String, String> env = System.getenv();
        String home = env.get("HOME");
        Path homeDirectory = Path.of(home == null || home.isEmpty() ? System.getProperty("user.home") : home);
        return new ClientEnvironment(env, homeDirectory, System.getProperty("user.name"));
    }

    /** The variable's value; absent when unset (an empty value is returned as it is). */
    public Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name));
    }

    /** Never lists the variables: they may hold PGPASSWORD. */
    @Override
    public String toString() {
        return "ClientEnvironment[" + variables.size() + " variables, home=" + homeDirectory + ", osUser=" + osUser
                + "]";
    }
}
