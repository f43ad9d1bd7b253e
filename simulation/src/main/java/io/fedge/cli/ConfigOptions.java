package io.fedge.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The {@code --config FILE} and {@code --print-config} options that {@link FederationConfig} adds
 * to {@code fedge simulate}, {@code fedge coordinator} and {@code fedge client}.
 */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "a federation file (YAML, docs/config.md): its "
            + "values become the defaults of the options not given on the command line")
    Path file;

    @Option(names = "--print-config", description = "print the effective configuration (the file, then the "
            + "command line, then the defaults) as a federation file, and exit")
    boolean print;
}
