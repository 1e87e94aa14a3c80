package io.cumulus.cli;

import picocli.CommandLine.IVersionProvider;

/** The version printed by {@code -V}: the one in the tool's jar manifest. */
public final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String version = Version.class.getPackage().getImplementationVersion();
        return new String[] {"cumulus " + (version == null ? "(development build)" : version)};
    }
}
