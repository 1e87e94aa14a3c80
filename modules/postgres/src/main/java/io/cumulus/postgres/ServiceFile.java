package io.cumulus.postgres;

import io.cumulus.core.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * libpq's connection service file ({@code pg_service.conf}), read as libpq's {@code parseServiceInfo}
 * reads it: the user's file ({@code PGSERVICEFILE}, else {@code ~/.pg_service.conf}) first, then the
 * system's ({@code PGSYSCONFDIR/pg_service.conf}, else {@value #SYSTEM_DIRECTORY}/pg_service.conf,
 * Debian's libpq). The first file holding a {@code [service]} section wins; a missing file is
 * skipped; a service in neither is an error. Lines are {@code keyword=value}, taken as written (no
 * quotes, no spaces around {@code =}); {@code #} starts a comment line. Messages name the file and the
 * line, never a line's text, which may hold a password.
 */
final class ServiceFile {

    /** libpq's SYSCONFDIR on Debian and derivatives, where the system-wide pg_service.conf is. */
    static final String SYSTEM_DIRECTORY = "/etc/postgresql-common";

    private ServiceFile() {
    }

    /**
     * The settings of the service named by {@code service} (the connection string's keyword, else
     * {@code PGSERVICE}); empty when neither names one.
     *
     * @throws InvalidInputException when no file defines the service, or the section is malformed
     */
    static Map<String, String> lookup(String service, ClientEnvironment environment) {
        if (service == null || service.isEmpty()) {
            return Map.of();
        }
        Path userFile = environment.variable("PGSERVICEFILE").filter(file -> !file.isEmpty()).map(Path::of)
                .orElse(environment.homeDirectory().resolve(".pg_service.conf"));
        Path systemFile = Path.of(environment.variable("PGSYSCONFDIR").filter(dir -> !dir.isEmpty())
                .orElse(SYSTEM_DIRECTORY), "pg_service.conf");
        for (Path file : List.of(userFile, systemFile)) {
            Optional<Map<String, String>> found = section(file, service);
            if (found.isPresent()) {
                return found.get();
            }
        }
        throw new InvalidInputException("definition of service \"" + service + "\" not found (looked in " + userFile
                + " and " + systemFile + ")");
    }

    private static Optional<Map<String, String>> section(Path file, String service) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read service file \"" + file + "\": " + e.getMessage());
        }
        Map<String, String> settings = null;
        int number = 0;
        for (String raw : lines) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[")) {
                if (settings != null) {
                    break;
                }
                if (line.startsWith("[" + service + "]")) {
                    settings = new LinkedHashMap<>();
                }
                continue;
            }
            if (settings == null) {
                continue;
            }
            int eq = line.indexOf('=');
            String keyword = eq < 0 ? null : line.substring(0, eq);
            if (keyword == null || !LibpqKeywords.isKeyword(keyword)) {
                throw new InvalidInputException("syntax error in service file \"" + file + "\", line " + number);
            }
            if (keyword.equals("service")) {
                throw new InvalidInputException("nested service specifications not supported in service file \""
                        + file + "\", line " + number);
            }
            // the first setting of a keyword wins, as in libpq
            settings.putIfAbsent(keyword, line.substring(eq + 1));
        }
        return Optional.ofNullable(settings);
    }
}
