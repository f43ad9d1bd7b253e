package io.fedge.cli;

import io.fedge.client.FederatedClient;
import io.fedge.comm.Transports;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.netty.channel.EventLoopGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
                + "Fashion-MNIST; for load tests and memory benchmarks of the coordinator."})
final class SwarmCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    CoordinatorAddress coordinator = new CoordinatorAddress();

    @Option(names = "--clients", description = "clients to run; default ${DEFAULT-VALUE}")
    int clients = 100;

    @Option(names = "--examples", description = "training examples per client; default ${DEFAULT-VALUE}")
    int examples = 32;

    @Option(names = "--parallel", description = "clients trained at once; default the number of cores")
    int parallel = Runtime.getRuntime().availableProcessors();

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @Override
    public Integer call() throws Exception {
        if (clients <= 0 || examples <= 0 || (long) clients * examples > 60_000) {
            throw new IllegalArgumentException("need clients * examples <= 60000: " + clients + " * " + examples);
        }
        LabeledImages train = FashionMnist.load(data, FashionMnist.Split.TRAIN);
        EventLoopGroup io = Transports.eventLoopGroup(1, "fedge-swarm-io");
        ExecutorService trainers = Executors.newFixedThreadPool(parallel);
        List<FederatedClient> all = new ArrayList<>();
        try {
            for (int k = 0; k < clients; k++) {
                int[] idx = new int[examples];
                for (int i = 0; i < examples; i++) {
                    idx[i] = k * examples + i;
                }
                String id = String.format("swarm-%04d", k);
                FederatedClient.Builder b = FederatedClient.builder()
                        .clientId(id)
                        .data(train.toDataSet(idx))
                        .eventLoopGroup(io)
                        .trainingExecutor(trainers)
                        .seed(k);
                coordinator.applyTo(b);
                security.applyTo(b, id);
                FederatedClient c = b.build();
                all.add(c);
                c.start();
            }
            System.out.printf("swarm: %d clients connecting to %s%n", clients, coordinator);
            for (FederatedClient c : all) {
                c.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
            }
            int sent = 0;
            for (FederatedClient c : all) {
                sent += c.updatesSent();
            }
            System.out.printf("swarm: federation over, %d updates sent%n", sent);
        } finally {
            for (FederatedClient c : all) {
                c.close();
            }
            trainers.shutdownNow();
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        return 0;
    }
}
