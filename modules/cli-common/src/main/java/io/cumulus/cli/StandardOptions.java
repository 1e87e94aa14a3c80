package io.cumulus.cli;

import picocli.CommandLine.Option;

/** {@code --help} and {@code -V/--version}. ({@code -h} is not help: barman-cloud-backup uses it for --host.) */
public final class StandardOptions {
    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Show the version and exit.")
    boolean version;
}
