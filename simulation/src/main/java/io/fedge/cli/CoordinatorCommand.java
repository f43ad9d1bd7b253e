package io.fedge.cli;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitInstructions;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.NormClip;
import io.fedge.coordinator.RoundListener;
import io.fedge.coordinator.RoundRecord;
import io.fedge.coordinator.UpdateBounds;
import io.fedge.core.model.ModelFile;
import io.fedge.coordinator.SecureAggregation;
import io.fedge.coordinator.TestSetEvaluator;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import io.fedge.data.Examples;
import io.fedge.data.TrainTest;
import io.fedge.data.format.IdxData;
import io.fedge.simulation.DataModels;
import io.fedge.simulation.EvaluateOn;
import io.fedge.simulation.report.HistoryWriter;
import io.netty.handler.ssl.SslContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code fedge coordinator}: runs the coordinator server until its rounds are done.
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = {"Run a coordinator: wait for clients, run FedAvg rounds, evaluate each new model on the "
                + "test set (Fashion-MNIST's, or --test / --test-fraction of your data; docs/data.md) or on the "
                + "clients (--evaluate), checkpoint it, and write the history to --out."})
final class CoordinatorCommand implements Callable<Integer>, OptionChecks.Validated {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--host", description = "address to listen on; default ${DEFAULT-VALUE}")
    String host = "0.0.0.0";

    @Option(names = "--port", description = "port to listen on; default ${DEFAULT-VALUE}")
    int port = 7070;

    @picocli.CommandLine.Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--resume", description = "start a new federation from this model file (a global-model.fgm, "
            + "verified) instead of a new model; a coordinator restarted with the same --out resumes by itself")
    Path resume;

    @Option(names = "--rounds", description = "training rounds; default ${DEFAULT-VALUE}")
    int rounds = 10;

    @Option(names = "--min-clients", description = "clients that must be connected before a round starts; default ${DEFAULT-VALUE}")
    int minClients = 2;

    @Option(names = "--per-round", description = "clients selected per round; default: --min-clients")
    Integer perRound;

    @Option(names = "--min-accepted", description = "accepted updates a round needs to count; default: half of "
            + "--per-round, rounded up")
    Integer minAccepted;

    @Option(names = "--over-select", description = "select this fraction more clients than --per-round and close "
            + "the round at the first --per-round updates (stragglers); default ${DEFAULT-VALUE}")
    double overSelect;

    @Option(names = "--clip", description = "L2 norm bound on each update: none, fixed:C or adaptive:M (M times the "
            + "median norm of the last round); default ${DEFAULT-VALUE}")
    String clip = "adaptive:3";

    @Option(names = "--max-examples", description = "most examples one client may declare; default ${DEFAULT-VALUE}")
    long maxExamples = 10_000_000L;

    @Option(names = "--max-connections", description = "most client connections open at once; more are refused "
            + "before any TLS work; default ${DEFAULT-VALUE}")
    int maxConnections = 10_000;

    @Option(names = "--max-gateway-devices", description = "most devices one gateway's partial aggregate may stand "
            + "for (docs/gateways.md); default ${DEFAULT-VALUE}")
    int maxGatewayDevices = 10_000;

    @Option(names = "--max-weight-share", description = "most of a round's declared examples one update may weigh, "
            + "in (0, 1]; default ${DEFAULT-VALUE}")
    double maxWeightShare = 0.5;

    @Option(names = "--fraction", description = "fraction of connected clients selected per round; default ${DEFAULT-VALUE}")
    double fraction = 1.0;

    @Option(names = "--local-epochs", description = "local epochs per round; default ${DEFAULT-VALUE}")
    int localEpochs = 1;

    @Option(names = "--batch", description = "local mini-batch size; default ${DEFAULT-VALUE}")
    int batch = 32;

    @Option(names = "--lr", description = "local SGD learning rate; default ${DEFAULT-VALUE}")
    double lr = 0.05;

    @Option(names = "--round-timeout", description = "seconds clients have to deliver an update; default: sized "
            + "from the model and from what rounds take (60 s + a slow-link transfer at first, then 3 times the "
            + "slowest accepted client plus 5 s, at most 600 s)")
    Long roundTimeoutSeconds;

    @Option(names = "--seed", description = "seed for initialisation and selection; default ${DEFAULT-VALUE}")
    long seed = 1;

    @picocli.CommandLine.Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--no-eval", description = "skip server-side evaluation (as --evaluate clients without clients "
            + "evaluating)")
    boolean noEval;

    @Option(names = "--evaluate", description = "evaluate each new model on the test set (server), on the clients' "
            + "own data (clients: federated evaluation) or both; default ${DEFAULT-VALUE}")
    String evaluate = "server";

    @Option(names = "--out", description = "folder for the state (state.db, models/), the checkpoint and the "
            + "history; the same command restarted after a crash resumes from it; default ${DEFAULT-VALUE}")
    Path out = Path.of("runs", "coordinator");

    @picocli.CommandLine.Mixin
    TransportSecurity security = new TransportSecurity();

    @picocli.CommandLine.Mixin
    Compression compression = new Compression();

    @picocli.CommandLine.Mixin
    StrategyOption strategyOption = new StrategyOption();

    @Option(names = "--secure-aggregation", description = "aggregate securely: clients mask their updates and "
            + "the coordinator learns only the weighted mean of each round (docs/secure-aggregation.md)")
    boolean secureAggregation;

    @Option(names = "--secagg-threshold", description = "with --secure-aggregation: Shamir threshold as a fraction "
            + "of a client's neighbours, in [0.5, 1); default ${DEFAULT-VALUE}")
    double secAggThreshold = 0.5;

    @Option(names = "--secagg-neighbours", description = "with --secure-aggregation: the most neighbours a client "
            + "masks against; 0 = 2*ceil(2*log2 n); default ${DEFAULT-VALUE}")
    int secAggNeighbours;

    @Option(names = "--secagg-clip", description = "with --secure-aggregation: update values are clipped to "
            + "+-this before fixed-point encoding; default ${DEFAULT-VALUE}")
    double secAggClip = 1.0;

    @Option(names = "--edge-every", description = "distil, quantize, sign and serve an edge model for inference-only "
            + "devices every N rounds (needs the model-signing key of --certs); 0 = never; default ${DEFAULT-VALUE}")
    int edgeEvery;

    @Option(names = "--edge-student", description = "the edge model's architecture: mlp-small, cnn-small, or none (the "
            + "global model itself, quantized); "
            + "default ${DEFAULT-VALUE}")
    String edgeStudent = "cnn-small";

    @Option(names = "--edge-transfer", description = "distil on the last N training examples (keep them from "
            + "clients), fewer than the training set holds; default ${DEFAULT-VALUE}")
    int edgeTransfer = 5_000;

    @Option(names = "--edge-port", description = "port serving GET /edge-model, over HTTPS with the coordinator's "
            + "certificate; default ${DEFAULT-VALUE}")
    int edgePort = 7071;

    @picocli.CommandLine.Mixin
    RegistryOptions registry = new RegistryOptions();

    @Option(names = "--heap-probe", description = "benchmark: measure live heap after every folded update (slow)")
    boolean heapProbe;

    @Override
    public void validate() {
        OptionChecks.between("--port", port, 0, 65535);
        if (resume == null) {
            model.validate();
        }
        OptionChecks.atLeast("--rounds", rounds, 1);
        OptionChecks.atLeast("--min-clients", minClients, 1);
        if (perRound != null) {
            OptionChecks.atLeast("--per-round", perRound, 1);
        }
        OptionChecks.fraction("--fraction", fraction);
        OptionChecks.atLeast("--local-epochs", localEpochs, 1);
        OptionChecks.atLeast("--batch", batch, 1);
        OptionChecks.positive("--lr", lr);
        if (roundTimeoutSeconds != null) {
            OptionChecks.atLeast("--round-timeout", roundTimeoutSeconds, 1);
        }
        if (minAccepted != null) {
            OptionChecks.between("--min-accepted", minAccepted, 1, perRound == null ? minClients : perRound);
        }
        OptionChecks.range("--over-select", overSelect, 0, 10, true);
        OptionChecks.atLeast("--max-examples", maxExamples, 1);
        OptionChecks.atLeast("--max-gateway-devices", maxGatewayDevices, 1);
        OptionChecks.between("--max-connections", maxConnections, 1, 1_000_000);
        OptionChecks.range("--max-weight-share", maxWeightShare, 0, 1, true);
        NormClip.parse(clip); // one line naming the allowed forms
        OptionChecks.range("--secagg-threshold", secAggThreshold, 0.5, 1, false);
        OptionChecks.atLeast("--secagg-neighbours", secAggNeighbours, 0);
        OptionChecks.positive("--secagg-clip", secAggClip);
        OptionChecks.atLeast("--edge-every", edgeEvery, 0);
        java.util.List<String> students = new java.util.ArrayList<>(io.fedge.export.StudentPresets.NAMES);
        students.add("none"); // the teacher itself, quantized
        OptionChecks.oneOf("--edge-student", edgeStudent, students);
        OptionChecks.atLeast("--edge-transfer", edgeTransfer, 1);
        EvaluateOn.byName(evaluate);
        if (noEval && spec != null && spec.commandLine().getParseResult().hasMatchedOption("--evaluate")) {
            throw new IllegalArgumentException("--no-eval turns server-side evaluation off; with --evaluate say "
                    + "where to evaluate instead");
        }
        data.validate();
        OptionChecks.between("--edge-port", edgePort, 0, 65535);
        registry.validate(security.insecure);
        if (registry.canary > 0 && edgeEvery == 0) {
            throw new IllegalArgumentException("--canary tries edge models on part of the fleet: it needs --edge-every N");
        }
        compression.validate();
        strategyOption.validate(compression.codec, secureAggregation);
    }

    @Override
    public Integer call() throws Exception {
        // here, not in validate(): --print-config shows such a configuration, it just cannot run
        if (edgeEvery > 0 && security.insecure) {
            throw new IllegalArgumentException("--edge-every signs each edge model with the federation's model-signing "
                    + "key, and devices verify it: it needs --certs DIR, not --insecure");
        }
        try (ProcessMemory memory = ProcessMemory.watch()) {
            int exit = run();
            System.out.println("coordinator: " + memory.describe());
            return exit;
        }
    }

    private int run() throws Exception {
        if (resume != null && !Files.isRegularFile(resume)) {
            throw new java.nio.file.NoSuchFileException(resume.toString());
        }
        CoordinatorData sets = coordinatorData();
        GlobalModel initial = resume != null
                ? ModelFile.read(resume, security.pinnedModelKey())
                : DataModels.initialModel(model.source(), sets.shape(), sets.task(), sets.names().size(), seed, lr);
        long initialVersion = initial.version();
        int parameterCount = initial.parameterCount();
        long modelBytes = initial.parameterBytes();
        int selected = perRound == null ? minClients : perRound;
        io.fedge.aggregation.Sampling.Builder<FedAvg> fedAvg = FedAvg.builder()
                .fractionFit(fraction)
                .minFitClients(selected)
                .minAvailableClients(minClients)
                .overSelection(overSelect)
                .instructions(new FitInstructions(localEpochs, batch, lr, compression.codec))
                .warmupCodecs(compression.warmup);
        if (EvaluateOn.byName(evaluate).clients()) {
            fedAvg.evaluateOnClients(1.0, 1, 256);
        }
        if (minAccepted != null) {
            fedAvg.minAcceptedUpdates(minAccepted);
        }
        io.fedge.aggregation.Strategy strategy = strategyOption.create(fedAvg.buildSampling());
        HeapProbe probe = heapProbe ? new HeapProbe() : null;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model", resume != null ? "resumed " + resume : model.describe());
        config.put("strategy", strategyOption.strategy);
        config.put("rounds", rounds);
        config.put("per_round", selected);
        config.put("local_epochs", localEpochs);
        config.put("batch", batch);
        config.put("lr", lr);
        config.put("seed", seed);
        if (!data.isFashionMnist()) {
            config.put("data", data.source(seed).describe());
        }
        if (!evaluate.equals("server")) {
            config.put("evaluate", evaluate);
        }
        HistoryWriter.describeData(config, sets.task(), sets.names());
        // Built in a method of its own so that nothing here keeps the initial model alive once
        // the federation has moved on (the heap probe would count it).
        try (Coordinator coordinator = newCoordinator(initial, strategy, probe, config, sets)) {
            initial = null;
            sets = null;
            coordinator.start();
            if (coordinator.completedRounds() >= rounds) {
                System.out.printf("the federation in %s already finished its %d rounds (model version %d); use "
                        + "another --out, a larger --rounds, or remove %s to start a new one%n", out,
                        coordinator.completedRounds(), coordinator.globalModel().version(), out.resolve("state.db"));
                return 0;
            }
            System.out.printf("coordinator on %s (%s), model version %d with %d parameters, state in %s; "
                            + "waiting for %d clients%n", coordinator.localAddress(),
                    security.insecure ? "plain TCP" : "mutual TLS 1.3", coordinator.globalModel().version(),
                    parameterCount, out, strategy.minAvailableClients());
            coordinator.awaitRounds(Long.MAX_VALUE, TimeUnit.DAYS);
            if (edgeEvery > 0 && !coordinator.awaitEdgeExports(1, TimeUnit.HOURS)) {
                System.err.println("fedge coordinator: the last edge export did not end within an hour; stopping it");
            }
            if (probe != null) {
                System.out.println(probe.report(modelBytes));
            }
            for (Path p : HistoryWriter.write(out, config, coordinator.history().rounds(), "fedge coordinator")) {
                System.out.println("wrote " + p);
            }
            if (coordinator.failure().isPresent()) {
                System.err.println("fedge coordinator: the federation stopped: " + coordinator.failure().get());
                return 1;
            }
            System.out.println("federation finished: " + rounds + " rounds; model version "
                    + coordinator.globalModel().version() + " in " + out.resolve("global-model.fgm"));
        }
        return 0;
    }

    private Coordinator newCoordinator(GlobalModel initial, io.fedge.aggregation.Strategy strategy, HeapProbe probe,
                                       Map<String, Object> config, CoordinatorData sets) throws IOException {
        java.util.concurrent.atomic.AtomicReference<Coordinator> built = new java.util.concurrent.atomic.AtomicReference<>();
        Coordinator.Builder builder = Coordinator.builder()
                .bind(new InetSocketAddress(host, port))
                .initialModel(initial)
                .strategy(strategy)
                .rounds(rounds)
                .seed(seed)
                .checkpointDir(out)
                .stateDir(out)
                .updateBounds(UpdateBounds.defaults().withClip(NormClip.parse(clip))
                        .withMaxExamplesPerClient(maxExamples).withMaxWeightShare(maxWeightShare))
                .maxGatewayDevices(maxGatewayDevices)
                .maxConnections(maxConnections)
                .addListener(new ProgressReporter(System.out, rounds, false))
                .addListener(new RoundListener() {
                    @Override
                    public void roundFinished(RoundRecord record) {
                        // the history on disk follows every round, so a crash loses none of it
                        try {
                            HistoryWriter.write(out, config, built.get().history().rounds(), "fedge coordinator");
                        } catch (IOException | RuntimeException e) {
                            System.err.println("fedge coordinator: cannot write the history to " + out + ": " + e);
                        }
                    }
                });
        if (roundTimeoutSeconds != null) {
            builder.roundTimeout(Duration.ofSeconds(roundTimeoutSeconds));
        }
        if (probe != null) {
            builder.addListener(probe);
        }
        builder.sealUpdates(!security.insecure);
        builder.halfPrecisionModels(compression.halfPrecisionModels()).deltaModels(compression.deltaVersions);
        if (secureAggregation) {
            builder.secureAggregation(new SecureAggregation(32, secAggClip, secAggNeighbours, secAggThreshold,
                    SecureAggregation.defaults().stageTimeout()));
        }
        SslContext tls = security.server();
        if (tls != null) {
            builder.tls(tls).revocationList(security.revocationList()).modelSigningKey(security.modelSigningKey());
            builder.modelVerifyingKey(security.pinnedModelKey());
        }
        org.nd4j.linalg.dataset.DataSet test = sets.test();
        if (serverEvaluation()) {
            builder.evaluator(new TestSetEvaluator(test, 1000));
        }
        if (edgeEvery > 0) {
            builder.edgePublishing(new io.fedge.coordinator.EdgePublishing(edgeEvery, edgeStudent, sets.transfer(),
                    test, io.fedge.export.Distiller.defaults(),
                    new io.fedge.export.EdgeQuantizer(io.fedge.edge.EdgeModel.Mode.FULL_INTEGER, 99.99),
                    new InetSocketAddress(host, edgePort), security.edgeServer()));
        }
        registry.applyTo(builder, host, security.certs, security.revocationList());
        Coordinator c = builder.build();
        built.set(c);
        return c;
    }

    private boolean serverEvaluation() {
        return !noEval && EvaluateOn.byName(evaluate).server();
    }

    /**
     * What the coordinator takes from the data: the shape and classes (or targets) its model is built
     * for, the test set it evaluates on, and the transfer set an edge model is distilled on.
     */
    private record CoordinatorData(InputShape shape, Task task, List<String> names,
                                   org.nd4j.linalg.dataset.DataSet test, org.nd4j.linalg.dataset.DataSet transfer) {
    }

    private CoordinatorData coordinatorData() throws IOException {
        boolean needTest = serverEvaluation() || edgeEvery > 0;
        if (data.isFashionMnist() && edgeEvery == 0) {
            // Fashion-MNIST's shape and classes are known: only the test set is read, and only to evaluate on
            org.nd4j.linalg.dataset.DataSet test = needTest
                    ? IdxData.fashionMnist(data.data, FashionMnist.Split.TEST).toDataSet() : null;
            return new CoordinatorData(InputShape.FASHION_MNIST, Task.CLASSIFICATION, IdxData.FASHION_MNIST_CLASSES,
                    test, null);
        }
        TrainTest sets = data.source(seed).load(needTest);
        Examples train = sets.train();
        if (needTest && sets.test() == null) {
            throw new IllegalArgumentException("no test set to evaluate on: give --test PATH or --test-fraction F, or "
                    + "evaluate on the clients only (--evaluate clients)");
        }
        org.nd4j.linalg.dataset.DataSet transfer = null;
        if (edgeEvery > 0) {
            if (train.task() != Task.CLASSIFICATION) {
                throw new IllegalArgumentException("--edge-every distils a classifier; the data is a regression");
            }
            if (edgeTransfer >= train.size()) {
                throw new IllegalArgumentException("--edge-transfer " + edgeTransfer + " must be below the "
                        + train.size() + " training examples");
            }
            transfer = train.toDataSet(Examples.range(train.size() - edgeTransfer, train.size()));
        }
        return new CoordinatorData(train.shape(), train.task(), train.outputNames(),
                sets.test() == null ? null : sets.test().toDataSet(), transfer);
    }
}
