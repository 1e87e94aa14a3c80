package io.cumulus.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads the {@link ProviderBridge} of Azure or Google Cloud Storage on first use. A packaged tool
 * keeps each of these SDKs in its own directory beside its other jars, {@code lib/azure/} and {@code
 * lib/gcs/}, off the class path: a WAL archived to S3 or file:// never opens one of their jars, and the
 * two SDKs' own dependencies (Jackson, Guava, gRPC...) never meet each other. Their class loader asks
 * the tool's first (the storage API, slf4j and the other shared jars come from there). Without such a
 * directory (tests, an embedding application), or when the directory's jars are on the class path already
 * (the launcher's Azure call), the bridge is looked up on the class path.
 */
final class ProviderBridges {
    private static final Map<StoreUrl.Provider, ProviderBridge> LOADED = new EnumMap<>(StoreUrl.Provider.class);

    private ProviderBridges() {
    }

    static synchronized ProviderBridge get(StoreUrl.Provider provider) {
        return LOADED.computeIfAbsent(provider, ProviderBridges::load);
    }

    private static ProviderBridge load(StoreUrl.Provider provider) {
        String directory;
        String className;
        switch (provider) {
            case AZURE_BLOB_STORAGE -> {
                directory = "azure";
                className = "io.cumulus.cli.azure.AzureBridge";
            }
            case GOOGLE_CLOUD_STORAGE -> {
                directory = "gcs";
                className = "io.cumulus.cli.gcs.GcsBridge";
            }
            default -> throw new IllegalArgumentException("no bridge for " + provider);
        }
        ClassLoader parent = ProviderBridges.class.getClassLoader();
        Path lib = libDirectory();
        ClassLoader loader = parent;
        // the launcher puts lib/azure/ on the class path for an Azure call, to start it from its class-data archive
        boolean onClassPath = parent.getResource(className.replace('.', '/') + ".class") != null;
        if (!onClassPath && lib != null && Files.isDirectory(lib.resolve(directory))) {
            loader = new URLClassLoader("cumulus-" + directory, jars(lib.resolve(directory)), parent);
            // SDKs that look up their plug-ins through the context class loader must see their own jars;
            // a tool process opens one store, so the setting is left in place for its worker threads
            Thread.currentThread().setContextClassLoader(loader);
        }
        try {
            return Class.forName(className, true, loader).asSubclass(ProviderBridge.class)
                    .getConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the " + provider.optionName() + " provider is not installed: "
                    + (lib == null ? "its classes are not on the class path" : lib.resolve(directory) + " is missing")
                    + "; reinstall Cumulus", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load the " + provider.optionName() + " provider: " + e, e);
        }
    }

    /** The directory of the jar this class came from ({@code lib/} of a packaged tool), or null. */
    private static Path libDirectory() {
        try {
            var source = ProviderBridges.class.getProtectionDomain().getCodeSource();
            if (source == null) {
                return null;
            }
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? location.getParent() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static URL[] jars(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < urls.length; i++) {
                urls[i] = jars.get(i).toUri().toURL();
            }
            return urls;
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory + ": " + e.getMessage(), e);
        }
    }
}
