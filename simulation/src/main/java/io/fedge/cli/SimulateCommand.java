package io.fedge.cli;

import io.fedge.data.Partitions;
import io.fedge.simulation.EvaluateOn;
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
        description = {"Simulate a federation on Fashion-MNIST or your data (--data-format, --train; docs/data.md): "
                + "N virtual clients, each a real FederatedClient, train against a real coordinator over loopback TCP.",
                "Writes history.json, history.csv, accuracy.png and the final model to --out."})
final class SimulateCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Mixin
    ModelOption model = new ModelOption();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--partition", description = "iid, dirichlet, shards, labels2, or natural (a client per id the "
            + "data names: --client-column, or image folders ROOT/<client>/<class>/); default ${DEFAULT-VALUE}")
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

    @picocli.CommandLine.Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--evaluate", description = "evaluate each new model on the test set (server), on the clients' "
            + "own data (clients: federated evaluation, no test set needed) or both; default ${DEFAULT-VALUE}")
    String evaluate = "server";

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

    @Option(names = "--engine", description = "where the clients run: in-process (default; --parallel training "
            + "threads) or spark (Spark tasks on --master; one training thread per task core; docs/simulation.md)")
    String engine = io.fedge.simulation.engine.ClientEngines.IN_PROCESS;

    @Option(names = "--master", description = "with --engine spark: local[N], local[*] or a standalone cluster's "
            + "spark://HOST:PORT; default local[*]")
    String master;

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE", description = "an engine setting, repeatable "
            + "(spark: any spark.* setting, e.g. spark.executor.memory=4g)")
    java.util.Map<String, String> engineOptions = new java.util.LinkedHashMap<>();

    /** The engine the options name; null in process. */
    private io.fedge.simulation.engine.ClientEngine clientEngine;

    @Option(names = "--heap-probe", description = "benchmark: measure the live heap of the simulation's JVM "
            + "(coordinator and clients) after every folded update (slow: a full GC each)")
    boolean heapProbe;

    @Override
    public void validate() {
        model.validate();
        OptionChecks.oneOf("--partition", partition, Partitions.NAMES);
        if (partition.equals(Partitions.NATURAL) && spec != null
                && spec.commandLine().getParseResult().hasMatchedOption("--clients")) {
            throw new IllegalArgumentException("--partition natural takes its clients from the data; drop --clients");
        }
        EvaluateOn.byName(evaluate);
        data.validate();
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
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>(engineOptions);
        if (master != null) {
            if (options.containsKey("master")) {
                throw new IllegalArgumentException("give the master once: --master or --engine-option master=URL");
            }
            options.put("master", master);
        }
        if (!engine.equals(io.fedge.simulation.engine.ClientEngines.IN_PROCESS) && spec != null
                && spec.commandLine().getParseResult().hasMatchedOption("--parallel")) {
            throw new IllegalArgumentException("--parallel is the in-process engine's; --engine " + engine
                    + " trains one client per task core (spark: spark.task.cpus threads per task)");
        }
        if (engine.equals(io.fedge.simulation.engine.ClientEngines.IN_PROCESS) && master != null) {
            throw new IllegalArgumentException("--master goes with --engine spark; in process the clients run here");
        }
        clientEngine = io.fedge.simulation.engine.ClientEngines.create(engine, options);
    }

    @Override
    public Integer call() throws Exception {
        SimulationConfig config = new SimulationConfig(model.source(), partition, alpha, clients,
                perRound == null ? clients : perRound, rounds, localEpochs, batch, lr, seed, data.data, out,
                parallel, testLimit, trainLimit, tls, secureAggregation, compression.codec, compression.halfPrecisionModels(),
                compression.warmup, holdout, compression.deltaVersions, attacks.parsed(), attacks.attackers(),
                attacks.timeouts(), strategy.strategy, data.source(seed), EvaluateOn.byName(evaluate));
        ProgressReporter progress = new ProgressReporter(System.out, rounds, !noProgress && System.console() != null);
        HeapProbe probe = heapProbe ? new HeapProbe() : null;
        // before the banner: an engine that cannot run this says so in one line
        Simulation simulation = probe == null ? new Simulation(config, clientEngine, progress)
                : new Simulation(config, clientEngine, progress, probe);
        boolean natural = partition.equals(Partitions.NATURAL);
        System.out.printf(Locale.ROOT, "fedge simulate: %s, %s partition, %s, %d rounds, "
                        + "E=%d B=%d lr=%s, seed %d, %s%s%n", model.describe(), partition,
                natural ? "the data's clients" + (perRound == null ? "" : " (" + perRound + " per round)")
                        : clients + " clients (" + config.perRound() + " per round)",
                rounds, localEpochs, batch, lr, seed, clientEngine == null ? parallel + " training at once"
                        : "clients on " + clientEngine.name() + (master == null ? "" : " " + master),
                (tls ? ", mutual TLS" : "")
                        + (secureAggregation ? ", secure aggregation" : "")
                        + strategy.describe() + compression.describe() + attacks.describe()
                        + (data.isFashionMnist() ? "" : "; data: " + data.describe())
                        + (evaluate.equals("server") ? "" : "; evaluated on " + evaluate));
        SimulationResult result = simulation.run();
        if (result.isRegression()) {
            // a regression model has no accuracy: its loss is the mean squared error
            System.out.printf(Locale.ROOT, "final test loss (MSE) %.6g, mean of last 5 rounds %.6g, %.1f s for %d "
                            + "rounds (%.1f s loading)%n", result.finalLoss(), result.meanLossOfLast(5),
                    result.totalSeconds(), rounds, result.loadSeconds());
        } else if (EvaluateOn.byName(evaluate).server()) {
            System.out.printf(Locale.ROOT, "final test accuracy %.4f, mean of last 5 rounds %.4f, %.1f s for %d rounds "
                            + "(%.1f s loading)%n", result.finalAccuracy(), result.meanAccuracyOfLast(5),
                    result.totalSeconds(), rounds, result.loadSeconds());
        } else {
            io.fedge.coordinator.RoundRecord last = result.rounds().isEmpty() ? null
                    : result.rounds().get(result.rounds().size() - 1);
            double accuracy = last == null ? Double.NaN : last.federatedAccuracy();
            double loss = last == null ? Double.NaN
                    : last.evaluationMetrics().getOrDefault("federated_loss", Double.NaN);
            double macroF1 = last == null ? Double.NaN
                    : last.evaluationMetrics().getOrDefault(
                            io.fedge.coordinator.RoundRecord.FEDERATED_METRICS + "macro_f1", Double.NaN);
            System.out.printf(Locale.ROOT, "final federated evaluation (the clients' own data): %s%sloss %.6g, %.1f s "
                            + "for %d rounds (%.1f s loading)%n",
                    Double.isNaN(accuracy) ? "" : String.format(Locale.ROOT, "accuracy %.4f, ", accuracy),
                    Double.isNaN(macroF1) ? "" : String.format(Locale.ROOT, "macro-F1 %.4f, ", macroF1), loss,
                    result.totalSeconds(), rounds, result.loadSeconds());
        }
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
