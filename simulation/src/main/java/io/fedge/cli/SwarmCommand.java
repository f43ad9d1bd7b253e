package io.fedge.cli;

import io.fedge.client.ClientEnding;
import io.fedge.client.FederatedClient;
import io.fedge.comm.Transports;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.netty.channel.EventLoopGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge swarm}: many clients in one process, each holding a few examples, to load a
 * coordinator running elsewhere.
 */
@Command(name = "swarm", mixinStandardHelpOptions = true,
        description = {"Run many clients in one process against a coordinator, each with a small slice of "
                + "Fashion-MNIST; for load tests and memory benchmarks of the coordinator. Exits when every "
                + "client has ended, saying how many ended for which reason: 0 when all saw the federation finish."})
final class SwarmCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    CoordinatorAddress coordinator = new CoordinatorAddress();

    @Option(names = "--clients", description = "clients to run; default ${DEFAULT-VALUE}")
    int clients = 100;

    @Option(names = "--examples", description = "training examples per client; default 32, or fewer so that "
            + "every client's slice fits in the 60,000 training images")
    Integer examples;

    @Option(names = "--parallel", description = "clients trained at once; default the number of cores")
    int parallel = Runtime.getRuntime().availableProcessors();

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--gateways", description = "run this many gateways in the process too (swarm-gw-NNN, "
            + "docs/gateways.md), the clients spread evenly over them and the gateways connected to --coordinator; "
            + "default ${DEFAULT-VALUE}: clients connect to --coordinator directly")
    int gateways;

    @Option(names = "--offset", description = "the first client's index (ids, data slices and gateway numbers start "
            + "there), so several swarm processes make one fleet; default ${DEFAULT-VALUE}")
    int offset;

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @picocli.CommandLine.Mixin
    GiveUpOption giveUp = new GiveUpOption();

    @Override
    public void validate() {
        OptionChecks.atLeast("--clients", clients, 1);
        OptionChecks.between("--clients", clients, 1, 60_000);
        if (examples != null) {
            OptionChecks.atLeast("--examples", examples, 1);
        }
        OptionChecks.atLeast("--parallel", parallel, 1);
        OptionChecks.between("--gateways", gateways, 0, clients);
        OptionChecks.between("--offset", offset, 0, 60_000);
        if ((long) (offset + clients) * examples() > 60_000) {
            throw new IllegalArgumentException("(--offset + --clients) times --examples must be <= 60000 (the "
                    + "training set), not (" + offset + " + " + clients + ") * " + examples());
        }
        if (gateways > 0 && offset % (clients / gateways) != 0) {
            throw new IllegalArgumentException("--offset must be a multiple of the clients per gateway ("
                    + clients / gateways + ") so that gateway numbers do not overlap");
        }
    }

    /** Examples per client: {@code --examples}, else 32 or as many as 60,000 images give each client. */
    private int examples() {
        return examples != null ? examples : Math.min(32, 60_000 / clients);
    }

    @Override
    public Integer call() throws Exception {
        try (ProcessMemory memory = ProcessMemory.watch()) {
            return run(memory);
        }
    }

    private int run(ProcessMemory memory) throws Exception {
        SwarmTally tally = new SwarmTally();
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        EventLoopGroup io = Transports.eventLoopGroup(1, "fedge-swarm-io");
        ExecutorService trainers = Executors.newFixedThreadPool(parallel);
        List<FederatedClient> all = new ArrayList<>();
        io.fedge.client.SharedModels models = new io.fedge.client.SharedModels();
        SwarmGateways sites = new SwarmGateways(gateways, clients, offset, security, coordinator, giveUp, io);
        try {
            sites.start();
            for (int j = 0; j < clients; j++) {
                int k = offset + j;
                int n = examples();
                int[] idx = new int[n];
                for (int i = 0; i < n; i++) {
                    idx[i] = k * n + i;
                }
                String id = String.format("swarm-%04d", k);
                FederatedClient.Builder b = FederatedClient.builder()
                        .clientId(id)
                        .data(train.toDataSet(idx))
                        .eventLoopGroup(io)
                        .trainingExecutor(trainers)
                        .sharedModels(models)
                        .seed(k)
                        .listener(tally);
                sites.connect(b, j, id);
                giveUp.applyTo(b);
                FederatedClient c = b.build();
                all.add(c);
                c.start();
            }
            spec.commandLine().getOut().printf("swarm: %d clients connecting to %s%n", clients,
                    gateways == 0 ? coordinator : gateways + " gateways of " + coordinator);
            for (FederatedClient c : all) {
                c.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            }
            int exit = report(all);
            sites.awaitAndReport(spec.commandLine().getOut());
            spec.commandLine().getOut().printf("swarm: connected peak %d of %d clients, %d rounds seen, %s%n",
                    tally.peakConnected(), clients, tally.roundsSeen(), memory.describe());
            return exit;
        } finally {
            for (FederatedClient c : all) {
                c.close();
            }
            sites.close();
            trainers.shutdownNow();
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Prints how many clients ended for which reason; 0 if every one saw the federation finish. */
    private int report(List<FederatedClient> all) {
        Map<ClientEnding.Kind, Integer> byKind = new EnumMap<>(ClientEnding.Kind.class);
        Map<String, Integer> failures = new TreeMap<>();
        int sent = 0;
        for (FederatedClient c : all) {
            ClientEnding end = c.ending().orElseThrow();
            byKind.merge(end.kind(), 1, Integer::sum);
            if (end.isFailure()) {
                failures.merge(end.kind().name().toLowerCase(Locale.ROOT) + ": " + end.reason(), 1, Integer::sum);
            }
            sent += c.updatesSent();
        }
        StringBuilder line = new StringBuilder("swarm: " + all.size() + " clients ended: ");
        byKind.forEach((kind, n) -> line.append(n).append(' ').append(kind.name().toLowerCase(Locale.ROOT)).append(", "));
        line.append(sent).append(" updates sent");
        spec.commandLine().getOut().println(line);
        failures.forEach((reason, n) -> spec.commandLine().getErr().println("swarm: " + n + " x " + reason));
        return failures.isEmpty() ? 0 : CliErrors.FAILED;
    }
}
