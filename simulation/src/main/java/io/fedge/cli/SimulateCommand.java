package io.fedge.cli;

import io.fedge.core.data.FashionMnist;
import io.fedge.simulation.Simulation;
import io.fedge.simulation.SimulationConfig;
import io.fedge.simulation.SimulationResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code fedge simulate}: a whole federation in one JVM, every client a real client over TCP.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Simulate a federation on Fashion-MNIST: N virtual clients, each a real FederatedClient, "
                + "train against a real coordinator over loopback TCP.",
                "Writes history.json, history.csv, accuracy.png and the final model to --out."})
final class SimulateCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--partition", description = "iid, dirichlet or shards; default ${DEFAULT-VALUE}")
    String partition = "iid";

    @Option(names = "--alpha", description = "Dirichlet concentration for --partition dirichlet; default ${DEFAULT-VALUE}")
    double alpha = 0.5;

    @Option(names = "--clients", description = "number of virtual clients; default ${DEFAULT-VALUE}")
    int clients = 10;

    @Option(names = "--per-round", description = "clients selected per round; default: all")
    Integer perRound;

    @Option(names = "--rounds", description = "training rounds; default ${DEFAULT-VALUE}")
    int rounds = 10;

    @Option(names = "--local-epochs", description = "local epochs per round; default ${DEFAULT-VALUE}")
    int localEpochs = 1;

    @Option(names = "--batch", description = "local mini-batch size; default ${DEFAULT-VALUE}")
    int batch = 32;

    @Option(names = "--lr", description = "local SGD learning rate; default ${DEFAULT-VALUE}")
    double lr = 0.05;

    @Option(names = "--seed", description = "seed for partitioning, initialisation, selection, shuffling; default ${DEFAULT-VALUE}")
    long seed = 1;

    @Option(names = "--data", description = "folder with the Fashion-MNIST IDX files; default ${DEFAULT-VALUE}")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--out", description = "output folder; default ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "latest");

    @Option(names = "--parallel", description = "clients trained at once; default: the number of cores (${DEFAULT-VALUE})")
    int parallel = Runtime.getRuntime().availableProcessors();

    @Option(names = "--tls", description = "run secured as a deployment does: mutual TLS 1.3 with certificates "
            + "from a throwaway authority, signed models, updates sealed end to end")
    boolean tls;

    @Option(names = "--secure-aggregation", description = "aggregate securely: the coordinator sums masked "
            + "updates and learns only the weighted mean (docs/secure-aggregation.md)")
    boolean secureAggregation;

    @picocli.CommandLine.Mixin
    Compression compression = new Compression();

    @picocli.CommandLine.Mixin
    StrategyOption strategy = new StrategyOption();

    @Option(names = "--holdout", description = "keep the last N training examples away from every client, for "
            + "fedge export --transfer N; default ${DEFAULT-VALUE}")
    int holdout;

    @Option(names = "--train-limit", description = "use a seeded random subset of this many training examples; 0 = all")
    int trainLimit;

    @Option(names = "--test-limit", description = "evaluate on the first N test examples; 0 = all 10,000")
    int testLimit;

    @Option(names = "--no-progress", description = "do not draw a progress bar")
    boolean noProgress;

    @picocli.CommandLine.Mixin
    AttackOptions attacks = new AttackOptions();

    @Option(names = "--heap-probe", description = "benchmark: measure the live heap of the simulation's JVM "
            + "(coordinator and clients) after every folded update (slow: a full GC each)")
    boolean heapProbe;

    @Override
    public void validate() {
        model.validate();
        OptionChecks.oneOf("--partition", partition, io.fedge.simulation.partition.PartitionSchemes.NAMES);
        OptionChecks.positive("--alpha", alpha);
        OptionChecks.atLeast("--clients", clients, 1);
        if (perRound != null) {
            OptionChecks.between("--per-round", perRound, 1, clients);
        }
        OptionChecks.atLeast("--rounds", rounds, 1);
        OptionChecks.atLeast("--local-epochs", localEpochs, 1);
        OptionChecks.atLeast("--batch", batch, 1);
        OptionChecks.positive("--lr", lr);
        OptionChecks.atLeast("--parallel", parallel, 1);
        OptionChecks.atLeast("--holdout", holdout, 0);
        OptionChecks.atLeast("--train-limit", trainLimit, 0);
        OptionChecks.atLeast("--test-limit", testLimit, 0);
        compression.validate();
        strategy.validate(compression.codec, secureAggregation);
        attacks.validate(clients, secureAggregation);
    }

    @Override
    public Integer call() throws Exception {
        SimulationConfig config = new SimulationConfig(model.source(), partition, alpha, clients,
                perRound == null ? clients : perRound, rounds, localEpochs, batch, lr, seed, data, out,
                parallel, testLimit, trainLimit, tls, secureAggregation, compression.codec, compression.halfPrecisionModels(),
                compression.warmup, holdout, compression.deltaVersions, attacks.parsed(), attacks.attackers(),
                attacks.timeouts(), strategy.strategy);
        System.out.printf(Locale.ROOT, "fedge simulate: %s, %s partition, %d clients (%d per round), %d rounds, "
                        + "E=%d B=%d lr=%s, seed %d, %d training at once%s%n", model.describe(), partition, clients,
                config.perRound(), rounds, localEpochs, batch, lr, seed, parallel, (tls ? ", mutual TLS" : "")
                        + (secureAggregation ? ", secure aggregation" : "")
                        + strategy.describe() + compression.describe() + attacks.describe());
        ProgressReporter progress = new ProgressReporter(System.out, rounds, !noProgress && System.console() != null);
        HeapProbe probe = heapProbe ? new HeapProbe() : null;
        SimulationResult result = probe == null ? new Simulation(config, progress).run()
                : new Simulation(config, progress, probe).run();
        System.out.printf(Locale.ROOT, "final test accuracy %.4f, mean of last 5 rounds %.4f, %.1f s for %d rounds "
                        + "(%.1f s loading)%n", result.finalAccuracy(), result.meanAccuracyOfLast(5),
                result.totalSeconds(), rounds, result.loadSeconds());
        if (result.attacks() != null) {
            result.attacks().lines().forEach(System.out::println);
        }
        if (probe != null) {
            System.out.println(probe.report(result.model().parameterBytes()));
        }
        for (Path p : result.written()) {
            System.out.println("wrote " + p);
        }
        return 0;
    }
}
