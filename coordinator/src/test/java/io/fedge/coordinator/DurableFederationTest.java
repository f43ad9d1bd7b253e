package io.fedge.coordinator;

import io.fedge.aggregation.ClientInfo;
import io.fedge.aggregation.EvaluatePlan;
import io.fedge.aggregation.Failure;
import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.FitPlan;
import io.fedge.aggregation.FitResult;
import io.fedge.aggregation.Strategy;
import io.fedge.aggregation.UpdateChunks;
import io.fedge.client.FederatedClient;
import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import io.fedge.core.data.FashionMnist;
import io.fedge.core.data.LabeledImages;
import io.fedge.core.model.Dl4jModels;
import io.fedge.core.model.GlobalModel;
import io.fedge.core.model.ModelPresets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Federations that lose their coordinator, get a bad model out of their strategy, or have a
 * client that hangs: real coordinator, real clients over loopback, DL4J on Fashion-MNIST.
 */
class DurableFederationTest {
    private static final int CLIENTS = 4;
    private static LabeledImages train;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @BeforeAll
    static void loadData() throws Exception {
        train = FashionMnist.load(FashionMnist.DEFAULT_DIR, FashionMnist.Split.TRAIN).head(CLIENTS * 250);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
        pool.shutdownNow();
    }

    private static DataSet part(int k) {
        int[] idx = new int[250];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = k * 250 + j;
        }
        return train.toDataSet(idx);
    }

    private static FedAvg fedAvg() {
        return FedAvg.builder().minFitClients(CLIENTS).minAvailableClients(CLIENTS)
                .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build();
    }

    private Coordinator coordinator(int rounds, Path stateDir, Strategy strategy, long seed,
                                    UnaryOperator<Coordinator.Builder> more) {
        Coordinator.Builder b = Coordinator.builder()
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .initialModel(Dl4jModels.initialModel(ModelPresets.mlp(seed, 0.05)))
                .strategy(strategy)
                .rounds(rounds)
                .seed(seed);
        if (stateDir != null) {
            b.stateDir(stateDir);
        }
        Coordinator c = more.apply(b).build(); // no fixed round timeout: the deadline is sized from the task
        closeables.add(c);
        return c;
    }

    private List<FederatedClient> clients(Coordinator c, java.util.function.IntFunction<java.util.concurrent.Executor> executors) {
        List<FederatedClient> out = new ArrayList<>();
        for (int k = 0; k < CLIENTS; k++) {
            FederatedClient client = FederatedClient.builder()
                    .coordinator(c.localAddress())
                    .clientId(String.format("client-%d", k))
                    .data(part(k))
                    .trainingExecutor(executors.apply(k))
                    .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                    .seed(k)
                    .build();
            closeables.add(client);
            out.add(client);
            client.start();
        }
        return out;
    }

    private float[] run(Coordinator c) throws Exception {
        c.start();
        clients(c, k -> pool);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the federation did not finish");
        return c.globalModel().parameters();
    }

    @Test
    void aCoordinatorStoppedMidwayResumesFromItsStateAndEndsWithTheUninterruptedModel(@TempDir Path tmp)
            throws Exception {
        float[] uninterrupted = run(coordinator(4, tmp.resolve("a"), fedAvg(), 3, b -> b));

        Path state = tmp.resolve("b");
        HeldAt held = new HeldAt(fedAvg(), 3);
        Coordinator first = coordinator(4, state, held, 3, b -> b);
        first.start();
        clients(first, k -> pool);
        // the round thread parks while planning round 3, so the stop falls between rounds 2 and 3
        // however fast rounds run: waiting on the history alone raced a fast machine to the end
        assertTrue(held.reached.await(2, TimeUnit.MINUTES), "round 3 was never planned");
        first.close(); // mid-federation: nothing of an unfinished round is kept
        assertEquals(2, first.history().size(), "stopped after round 2");
        assertFalse(first.finished());

        Coordinator second = coordinator(4, state, fedAvg(), 3, b -> b);
        float[] resumed = run(second);
        assertArrayEquals(uninterrupted, resumed, 0f, "bit for bit the model of the uninterrupted federation");
        List<RoundRecord> history = second.history().rounds();
        assertEquals(List.of(1L, 2L, 3L, 4L), history.stream().map(RoundRecord::round).toList(),
                "the history continues where it stopped, without gaps or repeats");
        assertTrue(history.stream().allMatch(RoundRecord::succeeded));
        assertEquals(4, second.globalModel().version());
        assertTrue(second.finished());
    }

    @Test
    void aChangedModelFileOrAnotherFederationsStateIsRefused(@TempDir Path tmp) throws Exception {
        Path state = tmp.resolve("s");
        run(coordinator(1, state, fedAvg(), 3, b -> b));
        closeAll();

        Coordinator other = coordinator(1, state, fedAvg(), 4, b -> b); // another seed: another federation
        FedgeException foreign = assertThrows(FedgeException.class, other::start);
        assertTrue(foreign.getMessage().contains("belongs to another federation"), foreign.getMessage());

        Path model;
        try (Stream<Path> files = Files.list(state.resolve("models"))) {
            // the last round's model, which a restart resumes from (version 0's file is the initial model's)
            model = files.filter(p -> p.toString().endsWith(".fgm")).max(java.util.Comparator.comparing(Path::toString))
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 3] ^= 0x10; // one bit of one parameter
        Files.write(model, bytes);
        Coordinator tampered = coordinator(1, state, fedAvg(), 3, b -> b);
        FedgeException e = assertThrows(FedgeException.class, tampered::start);
        assertEquals(ErrorCode.DIGEST_MISMATCH, e.code());
        assertTrue(e.getMessage().contains(model.getFileName().toString()), e.getMessage());
    }

    /**
     * FedAvg (same name, same state) whose round thread parks while planning round {@code at}
     * until the coordinator's stop interrupts it; the interrupted round is planned with nobody.
     */
    private static final class HeldAt implements Strategy {
        private final FedAvg inner;
        private final long at;
        final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);

        HeldAt(FedAvg inner, long at) {
            this.inner = inner;
            this.at = at;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
            FitPlan plan = inner.configureFit(round, available, rng);
            if (round != at) {
                return plan;
            }
            reached.countDown();
            try {
                new java.util.concurrent.CountDownLatch(1).await(); // released only by an interrupt
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new FitPlan(List.of(), plan.instructions());
        }

        @Override
        public FitAggregation beginFit(long round, GlobalModel current) {
            return inner.beginFit(round, current);
        }

        @Override
        public int minFitClients() {
            return inner.minFitClients();
        }

        @Override
        public int minAcceptedUpdates() {
            return inner.minAcceptedUpdates();
        }

        @Override
        public int minAvailableClients() {
            return inner.minAvailableClients();
        }

        @Override
        public byte[] state() {
            return inner.state();
        }

        @Override
        public void restoreState(byte[] state) {
            inner.restoreState(state);
        }

        @Override
        public List<String> codecs() {
            return inner.codecs();
        }

        @Override
        public EvaluatePlan configureEvaluate(long round, List<ClientInfo> available, Random rng) {
            return inner.configureEvaluate(round, available, rng);
        }
    }

    /** FedAvg, except that round 1's new model is all NaN and round 2's evaluation throws. */
    private static final class Sabotaged implements Strategy {
        private final FedAvg inner = fedAvg();

        @Override
        public String name() {
            return "sabotaged";
        }

        @Override
        public FitPlan configureFit(long round, List<ClientInfo> available, Random rng) {
            return inner.configureFit(round, available, rng);
        }

        @Override
        public FitAggregation beginFit(long round, GlobalModel current) {
            FitAggregation a = inner.beginFit(round, current);
            if (round != 1) {
                return a;
            }
            return new FitAggregation() {
                @Override
                public void accept(FitResult result, UpdateChunks delta) {
                    a.accept(result, delta);
                }

                @Override
                public int accepted() {
                    return a.accepted();
                }

                @Override
                public Optional<float[]> finish(List<Failure> failures) {
                    float[] nan = new float[current.parameterCount()];
                    Arrays.fill(nan, Float.NaN);
                    return Optional.of(nan);
                }
            };
        }

        @Override
        public int minFitClients() {
            return inner.minFitClients();
        }

        @Override
        public int minAvailableClients() {
            return inner.minAvailableClients();
        }

        @Override
        public EvaluatePlan configureEvaluate(long round, List<ClientInfo> available, Random rng) {
            return EvaluatePlan.none();
        }
    }

    @Test
    void aRefusedModelOrAFailingEvaluatorFailsOnlyItsRound() throws Exception {
        Coordinator c = coordinator(2, null, new Sabotaged(), 3, b -> b.evaluator(m -> {
            if (m.version() == 1) {
                throw new IllegalStateException("evaluator broke");
            }
            return new io.fedge.core.model.Evaluation(1, 0.5, 1.0);
        }));
        run(c);
        List<RoundRecord> h = c.history().rounds();
        assertEquals(3, h.size(), "a refused round does not count toward the 2 rounds");
        assertFalse(h.get(0).succeeded());
        assertTrue(h.get(0).outcome().contains("parameter 0 of the new model is NaN"), h.get(0).outcome());
        assertEquals(0, h.get(0).modelVersion(), "the model stayed");
        assertTrue(h.get(1).succeeded(), "a throwing evaluator does not fail the round");
        assertTrue(Double.isNaN(h.get(1).testAccuracy()));
        assertTrue(h.get(2).succeeded());
        assertEquals(0.5, h.get(2).testAccuracy());
        assertEquals(2, c.globalModel().version());
        assertTrue(c.failure().isEmpty());
    }

    @Test
    void aHungClientDoesNotFailRoundsAndSitsOutTheNext(@TempDir Path tmp) throws Exception {
        Coordinator c = coordinator(2, null, fedAvg(), 3, b -> b.roundTimeout(Duration.ofSeconds(8))
                .heartbeatInterval(Duration.ofMillis(200)).idleTimeout(Duration.ofSeconds(30)));
        c.start();
        // client-2 takes its tasks and never trains: connected and silent but for heartbeats
        clients(c, k -> k == 2 ? task -> { } : pool);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES));
        List<RoundRecord> h = c.history().rounds();
        assertEquals(2, h.size());
        assertTrue(h.get(0).succeeded(), "3 of 4 updates are enough (half of minFitClients by default)");
        assertEquals(3, h.get(0).clients());
        assertEquals(List.of("client-2"), h.get(0).notCounted().stream().map(Failure::clientId).toList());
        assertTrue(h.get(0).notCounted().get(0).reason().contains("deadline"), h.get(0).notCounted().toString());
        assertEquals(3, h.get(1).selected(), "the hung client sits out the next round");
        assertEquals(3, h.get(1).clients());
    }

    @Test
    void anOverSelectedRoundClosesAtItsFirstUpdatesWithoutWaitingForAStraggler() throws Exception {
        FedAvg overSelected = FedAvg.builder().fractionFit(0.75).minFitClients(3).minAvailableClients(CLIENTS)
                .overSelection(0.34)
                .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build();
        // a ten-minute deadline: the round can only end within the test's two minutes by closing early
        Coordinator c = coordinator(1, null, overSelected, 3, b -> b.roundTimeout(Duration.ofMinutes(10)));
        c.start();
        clients(c, k -> k == 1 ? task -> { } : pool); // client-1 is a straggler that never delivers
        assertTrue(c.awaitRounds(2, TimeUnit.MINUTES), "the round closed at its first 3 updates");
        RoundRecord r = c.history().rounds().get(0);
        assertTrue(r.succeeded());
        assertEquals(4, r.selected(), "ceil(3 * 1.34) = 5 wanted, 4 available");
        assertEquals(3, r.clients());
        assertEquals(List.of("client-1"), r.notCounted().stream().map(Failure::clientId).toList());
        assertTrue(r.notCounted().get(0).reason().contains("closed at its first 3 updates"), r.notCounted().toString());
    }

    /** FedAvg that reports how many rounds it finished and is spent after {@code budget} of them. */
    private static final class BudgetedFedAvg extends io.fedge.aggregation.SampledStrategy {
        private final FedAvg inner = fedAvg();
        private final int budget;
        private int finishedRounds;

        BudgetedFedAvg(int budget) {
            super(fedAvg().sampling());
            this.budget = budget;
        }

        @Override
        public String name() {
            return "budgeted";
        }

        @Override
        public FitAggregation beginFit(long round, GlobalModel current) {
            FitAggregation a = inner.beginFit(round, current);
            return new FitAggregation() {
                @Override
                public void accept(FitResult result, UpdateChunks delta) {
                    a.accept(result, delta);
                }

                @Override
                public int accepted() {
                    return a.accepted();
                }

                @Override
                public Optional<float[]> finish(List<Failure> failures) {
                    finishedRounds++;
                    return a.finish(failures);
                }
            };
        }

        @Override
        public java.util.Map<String, Double> roundMetrics() {
            return java.util.Map.of("spent", (double) finishedRounds, "left", (double) (budget - finishedRounds));
        }

        @Override
        public Optional<String> exhausted() {
            return finishedRounds >= budget ? Optional.of("budget of " + budget + " rounds spent") : Optional.empty();
        }

        @Override
        public byte[] state() {
            return new byte[] {(byte) finishedRounds};
        }

        @Override
        public void restoreState(byte[] state) {
            finishedRounds = state.length == 0 ? 0 : state[0];
        }
    }

    @Test
    void aStrategyEndsTheFederationWhenSpentAndItsMetricsAreKeptWithEachRound(@TempDir Path tmp) throws Exception {
        Path state = tmp.resolve("state");
        Coordinator c = coordinator(5, state, new BudgetedFedAvg(2), 3, b -> b);
        c.start();
        clients(c, k -> pool);
        assertTrue(c.awaitRounds(3, TimeUnit.MINUTES), "the federation did not end");
        assertTrue(c.finished(), "a spent strategy ends the federation as finished, not failed");
        assertEquals(2, c.history().size());
        assertEquals(java.util.Map.of("spent", 1.0, "left", 1.0), c.history().rounds().get(0).strategyMetrics());
        assertEquals(java.util.Map.of("spent", 2.0, "left", 0.0), c.history().rounds().get(1).strategyMetrics());
        c.close();
        // read back from the state store by a restarted coordinator: the metrics came through, and it is still spent
        Coordinator again = coordinator(5, state, new BudgetedFedAvg(2), 3, b -> b);
        again.start();
        assertTrue(again.awaitRounds(1, TimeUnit.MINUTES));
        assertEquals(2, again.history().size());
        assertEquals(java.util.Map.of("spent", 2.0, "left", 0.0), again.history().rounds().get(1).strategyMetrics());
    }
    @Test
    void theEvaluationsDetailedMetricsAreKeptWithEachRoundAndComeBackFromTheStore(@TempDir Path tmp)
            throws Exception {
        Path state = tmp.resolve("state");
        io.fedge.core.metrics.ClassificationMetrics metrics = io.fedge.core.metrics.ClassificationMetrics.of(
                new int[] {0, 1, 1}, new int[] {0, 1, 0}, 2, 1.5);
        Coordinator c = coordinator(2, state, fedAvg(), 3, b -> b.evaluator(m -> new io.fedge.core.model.Evaluation(3,
                metrics.accuracy(), metrics.loss(), metrics)));
        run(c);
        assertEquals(metrics.toMap(), c.history().rounds().get(1).evaluationMetrics());
        assertEquals(2.0 / 3, c.history().rounds().get(1).testAccuracy(), 1e-15);
        assertEquals(1.0, c.history().rounds().get(1).evaluationMetrics().get("confusion/1/0"));
        c.close();
        Coordinator again = coordinator(2, state, fedAvg(), 3, b -> b);
        again.start();
        assertEquals(metrics.toMap(), again.history().rounds().get(0).evaluationMetrics(), "read back from state.db");
    }
}
