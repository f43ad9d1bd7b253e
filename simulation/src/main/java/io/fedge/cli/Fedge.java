package io.fedge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code fedge} command: federated learning for fleets of edge devices.
 */
@Command(name = "fedge", mixinStandardHelpOptions = true, version = "fedge 0.1.0",
        description = "Federated learning for fleets of edge devices, on the JVM.",
        subcommands = {SimulateCommand.class, CoordinatorCommand.class, ClientCommand.class, SwarmCommand.class, CertsCommand.class,
                BenchTrainCommand.class, ExportCommand.class, EdgeClientCommand.class, NewCommand.class, DataCommand.class,
                ModelsCommand.class, EdgeFleetCommand.class, GatewayCommand.class, InferLoadCommand.class,
                CommandLine.HelpCommand.class})
public final class Fedge implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "print the stack trace of an error (also FEDGE_DEBUG=1)")
    boolean debug;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * The whole CLI, ready to execute: errors reported in one line ({@link CliErrors}), federation
     * files ({@link FederationConfig}), and each command's options checked
     * ({@link OptionChecks.Validated}) before it runs.
     */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Fedge());
        cli.setExecutionStrategy(parsed -> {
            for (CommandLine cmd : parsed.asCommandLineList()) {
                FederationConfig.check(cmd);
                if (cmd.getCommand() instanceof OptionChecks.Validated v) {
                    try {
                        v.validate();
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(cmd, e.getMessage(), e);
                    }
                }
            }
            return FederationConfig.printIfAsked(parsed).orElseGet(() -> new CommandLine.RunLast().execute(parsed));
        });
        // "nan" and "inf" as numbers, so the range checks can say what is allowed instead of "not a double"
        cli.registerConverter(Double.class, Fedge::number).registerConverter(double.class, Fedge::number);
        String strategies = "%nModels (--model NAME): the presets " + io.fedge.core.model.ModelPresets.NAMES
                + ", and the model providers on the class path:%n"
                + io.fedge.core.model.ModelProviders.help().replace("%", "%%").replace("\n", "%n")
                + "%nStrategies (--strategy NAME[:key=value,...], parameters with their defaults):%n"
                + io.fedge.aggregation.Strategies.help().replace("%", "%%").replace("\n", "%n");
        for (String name : new String[] {"simulate", "coordinator"}) {
            cli.getSubcommands().get(name).getCommandSpec().usageMessage().footer(strategies);
        }
        CliErrors.install(cli);
        FederationConfig.install(cli);
        return cli;
    }

    private static Double number(String value) {
        String v = value.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "nan" -> Double.NaN;
            case "inf", "infinity", "+inf", "+infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    yield Double.valueOf(v);
                } catch (NumberFormatException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not a number");
                }
            }
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
