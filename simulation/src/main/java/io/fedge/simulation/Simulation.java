package io.fedge.simulation;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.Strategies;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.FitInstructions;
import io.fedge.client.FederatedClient;
import io.fedge.coordinator.Coordinator;
import io.fedge.coordinator.RoundListener;
import io.fedge.coordinator.SecureAggregation;
import io.fedge.coordinator.TestSetEvaluator;
import io.fedge.core.metrics.Task;
import io.fedge.data.ClientPartition;
import io.fedge.data.Examples;
import io.fedge.data.Partitions;
import io.fedge.data.TrainTest;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.coordinator.UpdateBounds;
import io.fedge.simulation.attack.Attack;
import io.fedge.simulation.attack.AttackReport;
import io.fedge.simulation.attack.Attackers;
import io.fedge.simulation.attack.WireAttacker;
import io.fedge.simulation.report.HistoryWriter;
import io.fedge.simulation.engine.ClientEngine;
import io.fedge.simulation.engine.ClientOutcome;
import io.fedge.simulation.engine.ClientShard;
import io.fedge.simulation.engine.EngineSession;
import io.fedge.simulation.engine.HostedFederation;
import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Runs a federation on one machine: partitions the data (Fashion-MNIST unless {@link SimulationConfig#data()}
 * names other data) among N virtual clients, starts a
 * real {@link Coordinator} on a loopback port and N real {@link FederatedClient}s that connect
 * to it over TCP, and runs FedAvg for the configured rounds. Clients share one I/O thread and a
 * pool of {@code parallelism} training threads.
 *
 * <p>With an attack ({@link SimulationConfig#attack()}), the attackers, chosen from the seed, are
 * real clients whose updates or Hello lie ({@link Attack#transform()}) or, for transport-level
 * attacks, {@link WireAttacker}s; the result's {@link AttackReport} says how the coordinator
 * treated each. The coordinator does not wait for attackers it will never let in (an
 * {@code absent} one, or one declaring more examples than it takes).
 */
public final class Simulation {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Simulation.class);
    private static final String CLIENT_ID = "client-%03d";
    /** Batch size of the clients' evaluations (federated evaluation). */
    private static final int EVALUATE_BATCH = 256;
    /** How long an engine's client keeps reconnecting to a coordinator it cannot reach before it ends. */
    private static final Duration ENGINE_GIVE_UP = Duration.ofMinutes(2);
    private final SimulationConfig config;
    private final ClientEngine engine;
    private final List<RoundListener> listeners;

    /** A simulation of {@code config} whose coordinator tells {@code listeners} of its rounds. */
    public Simulation(SimulationConfig config, RoundListener... listeners) {
        this(config, null, listeners);
    }

    /**
     * A simulation of {@code config} whose clients {@code engine} hosts ({@code null}: in this
     * process), and whose coordinator tells {@code listeners} of its rounds.
     *
     * @throws IllegalArgumentException if the engine cannot run {@code config} (the message says why)
     */
    public Simulation(SimulationConfig config, ClientEngine engine, RoundListener... listeners) {
        this.config = config;
        this.engine = engine;
        this.listeners = List.of(listeners);
        String refused = engine == null ? null : engine.refuses(config);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
    }

    /**
     * Runs the simulation to the end and writes its outputs.
     *
     * @throws IOException if the data cannot be read or the outputs cannot be written
     */
    public SimulationResult run() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        NativeThreads.limit(config.parallelism() > 1 ? 1 : Runtime.getRuntime().availableProcessors());
        TrainTest data = config.data().load(config.evaluate().server());
        Examples train = data.train();
        Examples test = data.test();
        if (config.evaluate().server() && test == null) {
            throw new IllegalArgumentException("no test set to evaluate on: give --test PATH or --test-fraction F, "
                    + "or evaluate on the clients only (--evaluate clients)");
        }
        if (test != null && config.testLimit() > 0) {
            test = test.head(config.testLimit());
        }
        if (config.holdout() >= train.size()) {
            throw new IllegalArgumentException("--holdout " + config.holdout() + " leaves no training examples of "
                    + train.size());
        }
        if (config.attack() != null && config.attack().poisonsData() && train.task() != Task.CLASSIFICATION) {
            throw new IllegalArgumentException("attack " + config.attack() + " flips class labels, but the data is a "
                    + "regression");
        }
        Random rng = new Random(config.seed());
        int[] pool = trainingPool(train.size() - config.holdout(), rng);
        ClientPartition partition = Partitions.split(train, pool, config.partition(), config.alpha(), config.clients(),
                rng);
        int[][] parts = partition.indices();
        // a natural partition has the data's clients; "per round" equal to --clients means all of them
        int clientCount = parts.length;
        int perRound = config.perRound() == config.clients() ? clientCount : Math.min(config.perRound(), clientCount);
        if (config.attackers() >= clientCount) {
            throw new IllegalArgumentException(config.attackers() + " attackers among " + clientCount + " clients");
        }

        GlobalModel initial = DataModels.initialModel(config.model(), train, config.seed(), config.lr());
        Attack attack = config.attack();
        int[] attackerIndices = attack == null ? new int[0]
                : Attackers.choose(clientCount, config.attackers(), config.seed());
        List<String> attackerIds = new ArrayList<>();
        for (int k : attackerIndices) {
            attackerIds.add(String.format(CLIENT_ID, k));
        }
        AttackReport report = attack == null ? null : new AttackReport(attack, attackerIds);
        int neverAdmitted = attack != null && (attack.kind() == Attack.Kind.ABSENT || attack.kind() == Attack.Kind.EXAMPLES
                && attack.count() > UpdateBounds.defaults().maxExamplesPerClient()) ? attackerIndices.length : 0;
        io.fedge.aggregation.Sampling.Builder<FedAvg> sampling = FedAvg.builder()
                .fractionFit((double) perRound / clientCount)
                .minFitClients(Math.min(perRound, clientCount - neverAdmitted))
                .minAvailableClients(clientCount - neverAdmitted)
                .instructions(new FitInstructions(config.localEpochs(), config.batch(), config.lr(), config.codec()))
                .warmupCodecs(config.codecWarmup());
        if (config.evaluate().clients()) {
            sampling.evaluateOnClients(1.0, 1, EVALUATE_BATCH);
        }
        Strategy strategy = Strategies.create(config.strategy(), sampling.buildSampling());
        // with an output folder the run keeps its state there and resumes after a crash (bit for bit)
        Path stateDir = config.outDir() == null ? null : SimulationState.prepare(config.outDir(), config.describe());
        // an engine's hosts reach the coordinator where the engine says; in-process clients on loopback
        EngineSession session = engine == null ? null : engine.open(config);
        try {
            return run(t0, train, test, parts, clientCount, initial, strategy, stateDir, report, attack, attackerIds,
                    session);
        } finally {
            if (session != null) {
                session.close();
            }
        }
    }

    private SimulationResult run(long t0, Examples train, Examples test, int[][] parts, int clientCount,
                                 GlobalModel initial, Strategy strategy, Path stateDir, AttackReport report,
                                 Attack attack, List<String> attackerIds, EngineSession session)
            throws IOException, InterruptedException {
        Coordinator.Builder builder = Coordinator.builder()
                .bind(new InetSocketAddress(session == null ? java.net.InetAddress.getLoopbackAddress()
                        : session.coordinatorHost(), 0))
                .initialModel(initial)
                .strategy(strategy)
                .rounds(config.rounds())
                .roundTimeout(config.timeouts().round())
                .transferProgressTimeout(config.timeouts().stall())
                .slowReaderTimeout(config.timeouts().slowReader())
                .seed(config.seed())
                .sealUpdates(config.tls());
        if (config.evaluate().server()) {
            builder.evaluator(new TestSetEvaluator(test.toDataSet(), 200));
        }
        if (stateDir != null) {
            builder.stateDir(stateDir.resolve("coordinator"));
        }
        listeners.forEach(builder::addListener);
        if (report != null) {
            builder.addListener(report);
        }
        builder.halfPrecisionModels(config.halfPrecisionModels()).deltaModels(config.deltaVersions());
        if (config.secureAggregation()) {
            builder.secureAggregation(SecureAggregation.defaults());
        }
        ThrowawayPki pki = config.tls() ? ThrowawayPki.create(parts.length, CLIENT_ID,
                session == null ? null : session.coordinatorHost().getHostAddress()) : null;
        if (pki != null) {
            builder.tls(pki.server()).modelSigningKey(pki.modelSigningKey());
        }
        java.util.concurrent.atomic.AtomicReference<String> engineFailure = new java.util.concurrent.atomic.AtomicReference<>();
        InProcessClients inProcess = null;
        try (Coordinator coordinator = builder.build()) {
            coordinator.start();
            if (session != null) {
                session.start(hosted(coordinator, parts, pki, attack, attackerIds), reason -> {
                    engineFailure.compareAndSet(null, reason);
                    coordinator.close(); // ends awaitRounds below
                });
            } else {
                inProcess = InProcessClients.start(config, coordinator.localAddress(), train, parts, CLIENT_ID,
                        initial.parameterCount(), attack, attackerIds, report, pki, stateDir);
            }
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            long tLoop = System.nanoTime();
            coordinator.awaitRounds(Long.MAX_VALUE, TimeUnit.DAYS);
            if (engineFailure.get() != null) {
                throw new IllegalStateException(engineFailure.get());
            }
            double totalSeconds = (System.nanoTime() - tLoop) / 1e9;
            GlobalModel finalModel = coordinator.globalModel();
            List<Path> written = writeOutputs(coordinator, finalModel, totalSeconds, parts.length, train);
            if (stateDir != null && coordinator.finished()) {
                SimulationState.finished(stateDir);
            }
            coordinator.close(); // tells the engine's clients the federation is over
            if (session != null) {
                reportEndings(session.finish(), report);
            }
            return new SimulationResult(coordinator.history().rounds(), finalModel, totalSeconds, loadSeconds, written,
                    report);
        } finally {
            if (inProcess != null) {
                inProcess.close();
            }
            if (pki != null) {
                pki.delete();
            }
        }
    }

    /** The clients as an engine hosts them: the same ids, examples and seeds as in this process. */
    private HostedFederation hosted(Coordinator coordinator, int[][] parts, ThrowawayPki pki, Attack attack,
                                    List<String> attackerIds) throws IOException {
        List<ClientShard> shards = new ArrayList<>();
        for (int k = 0; k < parts.length; k++) {
            String id = String.format(CLIENT_ID, k);
            shards.add(new ClientShard(id, parts[k], config.seed() * 1_000_003L + k,
                    pki == null ? null : pki.clientKeys(id), attackerIds.contains(id)));
        }
        InetSocketAddress at = coordinator.localAddress();
        return new HostedFederation(at.getAddress().getHostAddress(), at.getPort(), config.data(), shards,
                ENGINE_GIVE_UP, pki == null ? null : pki.hostTrust(), config.secureAggregation(), attack);
    }

    /**
     * Logs, one line each, the engine's clients that ended otherwise than with the federation, and
     * adds what its attackers heard to {@code report}.
     */
    private static void reportEndings(List<ClientOutcome> outcomes, AttackReport report) {
        for (ClientOutcome o : outcomes) {
            if (report != null && o.attackerTally() != null) {
                report.addClientSide(o.id(), o.attackerTally());
                continue; // the attack report's line says how it ended
            }
            if (o.isFailure()) {
                LOG.warn("client {} on {} ended: {} ({})", o.id(), o.host(), o.kind(), o.reason());
            }
        }
    }

    /** The first {@code size} training indices, or a seeded random subset of {@code trainLimit} of them, sorted. */
    private int[] trainingPool(int size, Random rng) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) {
            all[i] = i;
        }
        if (config.trainLimit() == 0 || config.trainLimit() >= size) {
            return all;
        }
        for (int i = size - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        int[] keep = Arrays.copyOf(all, config.trainLimit());
        Arrays.sort(keep);
        return keep;
    }

    private List<Path> writeOutputs(Coordinator coordinator, GlobalModel model, double totalSeconds, int clientCount,
                                    Examples train) throws IOException {
        if (config.outDir() == null) {
            return List.of();
        }
        Map<String, Object> described = config.describe();
        described.put("parameters", model.parameterCount());
        HistoryWriter.describeData(described, train.task(), train.outputNames());
        described.put("clients", clientCount); // a natural partition's, from the data
        described.put("total_seconds", totalSeconds);
        List<Path> written = new ArrayList<>(HistoryWriter.write(config.outDir(), described,
                coordinator.history().rounds(), "fedge " + config.model().describe() + " " + config.partition() + ", "
                        + clientCount + " clients"));
        Path raw = config.outDir().resolve("global-model.fgm");
        io.fedge.core.model.ModelFile.write(raw, model, null);
        written.add(raw);
        Path zip = config.outDir().resolve("global-model.zip"); // DL4J's ModelSerializer, of either kind
        Dl4jModels.network(model).save(zip);
        written.add(zip);
        return written;
    }
}
