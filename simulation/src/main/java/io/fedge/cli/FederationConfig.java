package io.fedge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Optional;

/**
 * Federation files on the fedge CLI: gives {@code fedge simulate}, {@code fedge coordinator} and
 * {@code fedge client} the {@link ConfigOptions} and a {@link FederationDefaults} each, so that a
 * file's values become the defaults of the options not given on the command line; picocli's own
 * converters and the commands' checks then judge them as if typed. Errors about a value from the
 * file say where it is ({@code fed.yaml:7:7: training.lr: ...}).
 *
 * <p>The boolean options a file sets also take a value on the command line
 * ({@code --tls=false}), so that a flag can override a file that turned it on.
 */
final class FederationConfig {
    private FederationConfig() {
    }

    /**
     * Installs federation files on the commands of {@code root} ({@link FederationKeys#COMMANDS}),
     * after its parameter exception handler is set.
     */
    static void install(CommandLine root) {
        for (String name : FederationKeys.COMMANDS) {
            CommandLine cmd = root.getSubcommands().get(name);
            ConfigOptions options = new ConfigOptions();
            cmd.addMixin("federationFile", options);
            acceptBooleanValues(cmd.getCommandSpec(), name);
            FederationDefaults defaults = new FederationDefaults(cmd, options);
            cmd.setDefaultValueProvider(defaults);
            CommandSpec spec = cmd.getCommandSpec();
            CommandLine.IParameterPreprocessor previous = spec.preprocessor();
            spec.preprocessor((args, commandSpec, argSpec, info) -> {
                if (argSpec == null) {
                    defaults.startParse();
                }
                return previous.preprocess(args, commandSpec, argSpec, info);
            });
        }
        CommandLine.IParameterExceptionHandler handler = root.getParameterExceptionHandler();
        root.setParameterExceptionHandler((e, args) -> handler.handleParseException(explained(e), args));
    }

    /**
     * Reads and checks the file {@code cmd} was given, if any, whether or not any option took a
     * value from it.
     *
     * @throws CommandLine.ParameterException in one line if it cannot be read or is wrong
     */
    static void check(CommandLine cmd) {
        if (cmd.getDefaultValueProvider() instanceof FederationDefaults d && d.options().file != null) {
            d.file();
        }
    }

    /**
     * {@code --print-config}: prints the effective configuration of the command {@code parsed}
     * runs, unless help was asked for.
     *
     * @return the exit code when it printed, empty when the command should run
     */
    static Optional<Integer> printIfAsked(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult last = parsed;
        while (last.subcommand() != null) {
            last = last.subcommand();
        }
        CommandLine cmd = last.commandSpec().commandLine();
        if (!(cmd.getDefaultValueProvider() instanceof FederationDefaults d) || !d.options().print
                || last.isUsageHelpRequested() || last.isVersionHelpRequested()) {
            return Optional.empty();
        }
        cmd.getOut().print(EffectiveConfig.yaml(cmd.getCommandSpec(), d.command(),
                d.options().file == null ? null : d.options().file.toString()));
        cmd.getOut().flush();
        return Optional.of(0);
    }

    /** {@code e} with the file's location of the value it is about, when the value came from a file. */
    private static CommandLine.ParameterException explained(CommandLine.ParameterException e) {
        if (e.getCommandLine().getDefaultValueProvider() instanceof FederationDefaults d) {
            String message = d.explain(e.getArgSpec(), e.getMessage());
            if (!message.equals(e.getMessage())) {
                return e.getArgSpec() == null && e.getValue() == null
                        ? new CommandLine.ParameterException(e.getCommandLine(), message, e)
                        : new CommandLine.ParameterException(e.getCommandLine(), message, e, e.getArgSpec(), e.getValue());
            }
        }
        return e;
    }

    /** Boolean flags of {@code command} that a file sets become {@code --flag[=true|false]}. */
    private static void acceptBooleanValues(CommandSpec spec, String command) {
        for (FederationKeys.Key key : FederationKeys.KEYS) {
            FederationKeys.Target target = key.targets().get(command);
            if (target == null) {
                continue;
            }
            OptionSpec option = spec.findOption(target.option());
            if (option == null || option.arity().max() != 0
                    || (option.type() != boolean.class && option.type() != Boolean.class)) {
                continue;
            }
            // picocli gives a bare boolean flag the opposite of its default, which a file may have
            // made true: the fallback makes a bare flag mean true whatever the default
            spec.remove(option);
            spec.addOption(option.toBuilder().arity("0..1").paramLabel("true|false").fallbackValue("true").build());
        }
    }
}
