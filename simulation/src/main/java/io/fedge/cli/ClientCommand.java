package io.fedge.cli;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.data.ClientPartition;
import io.fedge.data.Examples;
import io.fedge.data.Partitions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge client}: one client process holding one partition of a training set (Fashion-MNIST
 * unless the data options name other data).
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = {"Run one client: take partition --index of --clients of the training set (Fashion-MNIST, "
                + "or --data-format/--train; as fedge simulate would split it), connect to the coordinator, train whenever selected, "
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

    @Option(names = "--partition", description = "iid, dirichlet, shards, labels2 or natural (the data's own "
            + "clients, in id order; --clients is then ignored); default ${DEFAULT-VALUE}")
    String partition = "iid";

    @Option(names = "--alpha", description = "Dirichlet concentration; default ${DEFAULT-VALUE}")
    double alpha = 0.5;

    @Option(names = "--seed", description = "partitioning seed (the same for every client); default ${DEFAULT-VALUE}")
    long seed = 1;

    @picocli.CommandLine.Mixin
    DataOptions data = new DataOptions();

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @Option(names = "--model-key", description = "the Ed25519 public key this client's models and tasks must be "
            + "signed with: behind a gateway, the gateway's (certs/gateways/ID-model-signing.pub); default the "
            + "coordinator's (model-signing.pub in --certs)")
    java.nio.file.Path modelKey;

    @picocli.CommandLine.Mixin
    GiveUpOption giveUp = new GiveUpOption();

    @Override
    public void validate() {
        OptionChecks.atLeast("--clients", clients, 1);
        if (!partition.equals(Partitions.NATURAL)) {
            OptionChecks.between("--index", index, 0, clients - 1);
        } else {
            OptionChecks.atLeast("--index", index, 0);
        }
        OptionChecks.oneOf("--partition", partition, Partitions.NAMES);
        OptionChecks.positive("--alpha", alpha);
        data.validate();
    }

    @Override
    public Integer call() throws Exception {
        // only the training set: a test fraction is split off it all the same (with --seed), so every
        // client and the coordinator see the same training set
        Examples train = data.source(seed).load(false).train();
        ClientPartition parts = Partitions.split(train, Examples.range(0, train.size()), partition, alpha, clients,
                new Random(seed));
        if (index >= parts.clients()) {
            throw new IllegalArgumentException("--index " + index + " is not a client: the data names "
                    + parts.clients() + " (0 to " + (parts.clients() - 1) + ")");
        }
        String clientId = id != null ? id : String.format("client-%03d", index);
        int[] mine = parts.of(index);
        FederatedClient.Builder builder = FederatedClient.builder()
                .clientId(clientId)
                .data(train.toDataSet(mine));
        coordinator.applyTo(builder);
        security.applyTo(builder, clientId, modelKey);
        giveUp.applyTo(builder);
        try (FederatedClient client = builder.build()) {
            client.start();
            spec.commandLine().getOut().printf("%s: %d local examples%s, connecting to %s%n", clientId,
                    mine.length, parts.id(index).map(n -> " (client '" + n + "' of the data)").orElse(""), coordinator);
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
