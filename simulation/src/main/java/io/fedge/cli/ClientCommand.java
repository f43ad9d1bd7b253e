package io.fedge.cli;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.simulation.partition.PartitionSchemes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge client}: one client process holding one partition of Fashion-MNIST.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = {"Run one client: take partition --index of --clients of the Fashion-MNIST training set "
                + "(as fedge simulate would split it), connect to the coordinator, train whenever selected, "
                + "and exit when the coordinator ends the federation: 0 when it finished, 1 with the reason when "
                + "this client was refused or gave up on an unreachable coordinator."})
final class ClientCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    CoordinatorAddress coordinator = new CoordinatorAddress();

    @Option(names = "--id", description = "this client's id; default client-<index>")
    String id;

    @Option(names = "--index", required = true, description = "which partition this client holds, from 0")
    int index;

    @Option(names = "--clients", description = "how many partitions the training set is cut into; default ${DEFAULT-VALUE}")
    int clients = 2;

    @Option(names = "--partition", description = "iid, dirichlet or shards; default ${DEFAULT-VALUE}")
    String partition = "iid";

    @Option(names = "--alpha", description = "Dirichlet concentration; default ${DEFAULT-VALUE}")
    double alpha = 0.5;

    @Option(names = "--seed", description = "partitioning seed (the same for every client); default ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @picocli.CommandLine.Mixin
    GiveUpOption giveUp = new GiveUpOption();

    @Override
    public void validate() {
        OptionChecks.atLeast("--clients", clients, 1);
        OptionChecks.between("--index", index, 0, clients - 1);
        OptionChecks.oneOf("--partition", partition, PartitionSchemes.NAMES);
        OptionChecks.positive("--alpha", alpha);
    }

    @Override
    public Integer call() throws Exception {
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        int[][] parts = PartitionSchemes.byName(partition, alpha).partition(train.labels(), clients, new Random(seed));
        String clientId = id != null ? id : String.format("client-%03d", index);
        FederatedClient.Builder builder = FederatedClient.builder()
                .clientId(clientId)
                .data(train.toDataSet(parts[index]));
        coordinator.applyTo(builder);
        security.applyTo(builder, clientId);
        giveUp.applyTo(builder);
        try (FederatedClient client = builder.build()) {
            client.start();
            spec.commandLine().getOut().printf("%s: %d local examples, connecting to %s%n", clientId,
                    parts[index].length, coordinator);
            client.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            ClientEnding end = client.ending().orElseThrow();
            if (end.kind() == ClientEnding.Kind.FINISHED) {
                spec.commandLine().getOut().printf("%s: federation over after %d updates (%d accepted)%n", clientId,
                        client.updatesSent(), client.updatesAccepted());
                return 0;
            }
            spec.commandLine().getErr().println(spec.qualifiedName() + ": " + clientId + ": " + end.reason());
            return CliErrors.FAILED;
        }
    }
}
