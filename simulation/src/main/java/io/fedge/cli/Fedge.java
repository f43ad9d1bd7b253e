package io.fedge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fedge} command: federated learning for fleets of edge devices.
 */
@Command(name = "fedge", mixinStandardHelpOptions = true, version = "fedge 0.1.0",
        description = "Federated learning for fleets of edge devices, on the JVM.",
        subcommands = {SimulateCommand.class, CoordinatorCommand.class, ClientCommand.class, SwarmCommand.class, CertsCommand.class,
                BenchTrainCommand.class, ExportCommand.class, EdgeClientCommand.class,
                CommandLine.HelpCommand.class})
public final class Fedge implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Fedge());
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof java.io.IOException || e instanceof IllegalArgumentException
                    || e instanceof io.fedge.core.FedgeException) {
                commandLine.getErr().println("fedge: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
