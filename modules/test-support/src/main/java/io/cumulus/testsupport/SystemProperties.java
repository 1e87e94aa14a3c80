package io.cumulus.testsupport;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Java system properties set for the length of a try block, then put back as they were (removed if
 * they were unset): {@code try (var set = SystemProperties.set(Map.of("aws.configFile", path))) { ... }}.
 */
public final class SystemProperties implements AutoCloseable {

    private final Map<String, String> previous = new LinkedHashMap<>();

    private SystemProperties() {
    }

    /** Sets each of {@code properties}, remembering what it was. */
    public static SystemProperties set(Map<String, String> properties) {
        SystemProperties set = new SystemProperties();
        properties.forEach((name, value) -> set.previous.put(name, System.setProperty(name, value)));
        return set;
    }

    @Override
    public void close() {
        previous.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }
}
