package io.fedge.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StrategiesTest {
    private static final FitInstructions FP32 = new FitInstructions(1, 32, 0.05, "fp32");

    private static Sampling sampling() {
        return Sampling.builder().instructions(FP32).build();
    }

    @Test
    void findsTheBuiltInStrategiesByName() {
        assertTrue(Strategies.available().keySet().containsAll(
                List.of("fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi", "fedprox")), Strategies.available().keySet().toString());
        assertEquals("fedyogi", Strategies.create("FedYogi", sampling()).name());
        String help = Strategies.help();
        assertTrue(help.contains("fedadam: ") && help.contains("beta2=0.99: "), help);
    }

    @Test
    void refusesUnknownNamesParametersAndValuesInOneLine() {
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedsgd", sampling()));
        assertTrue(name.getMessage().startsWith("unknown strategy 'fedsgd', expected one of [") && !name.getMessage().contains("\n"));
        IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
                () -> Strategies.create("fedadam:beta3=0.9", sampling()));
        assertEquals("strategy fedadam has no parameter 'beta3'; it takes eta, beta1, beta2, tau, decay, momentum, bn", key.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> Strategies.create("fedadam:eta=fast", sampling()));
        assertEquals("strategy fedadam: eta must be a number, got 'fast'", value.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedadam:eta", sampling()));
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("fedadam:eta=1,eta=2", sampling()));
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> Strategies.create("fedprox:mu=-1", sampling()));
        assertTrue(range.getMessage().contains("mu must be in"), range.getMessage());
        for (String decay : List.of("0", "1.5", "-1")) {
            IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                    () -> Strategies.create("fedyogi:decay=" + decay, sampling()));
            assertEquals("strategy fedyogi: decay must be in (0, 1]: " + Double.parseDouble(decay), d.getMessage());
        }
    }

    @Test
    void parametersReachTheOptimizer() {
        ServerOptimizedStrategy s = (ServerOptimizedStrategy) Strategies.create("fedavgm:eta=0.5,beta=0", sampling());
        // beta 0, eta 0.5: x + 0.5 d
        float[] next = s.optimizer().step(new float[] {1f}, i -> 2.0);
        assertArrayEquals(new float[] {2f}, next, 0f);
        // decay 0.5: the second step is half the first (beta 0, the same delta)
        ServerOptimizedStrategy decayed = (ServerOptimizedStrategy) Strategies.create("fedavgm:eta=0.5,beta=0,decay=0.5", sampling());
        float[] once = decayed.optimizer().step(new float[] {1f}, i -> 2.0);
        float[] twice = decayed.optimizer().step(once, i -> 2.0);
        assertArrayEquals(new float[] {2f, 2.5f}, new float[] {once[0], twice[0]}, 0f);
        assertEquals(java.util.Map.of("server_learning_rate", 0.25), decayed.roundMetrics());
        assertEquals(java.util.Map.of(), ((ServerOptimizedStrategy) Strategies.create("fedyogi", sampling())).roundMetrics());
    }

    @Test
    void fedProxTellsClientsMuAndSelectsOnlyThoseThatCanApplyIt() {
        SampledStrategy prox = (SampledStrategy) Strategies.create("fedprox:mu=0.1,momentum=0.9", sampling());
        assertEquals("fedprox", prox.name());
        LocalTraining local = prox.instructions().local();
        assertEquals(0.1, local.proximalMu());
        assertEquals(0.9, local.momentum());
        List<ClientInfo> clients = List.of(
                new ClientInfo("new", 10, List.of("fp32"), LocalTraining.allFeatures()),
                new ClientInfo("old", 10, List.of("fp32")),
                new ClientInfo("half", 10, List.of("fp32"), List.of(LocalTraining.FEATURE_FEDPROX)));
        FitPlan plan = prox.configureFit(1, clients, new Random(1));
        assertEquals(List.of("new"), plan.clients().stream().map(ClientInfo::id).toList());
        // FedAvg itself asks for nothing, so every client is eligible
        assertEquals(3, Strategies.create("fedavg", sampling()).configureFit(1, clients, new Random(1)).clients().size());
    }

    @Test
    void everyBuiltInStrategyTakesBnAndLocalSelectsOnlyFedBnClients() {
        List<ClientInfo> clients = List.of(
                new ClientInfo("new", 10, List.of("fp32"), LocalTraining.allFeatures()),
                new ClientInfo("old", 10, List.of("fp32"), List.of(LocalTraining.FEATURE_MOMENTUM,
                        LocalTraining.FEATURE_FEDPROX, LocalTraining.FEATURE_SCAFFOLD, LocalTraining.FEATURE_CLIENT_DP)));
        for (String name : List.of("fedavg", "fedavgm", "fedadagrad", "fedadam", "fedyogi", "fedprox", "scaffold",
                "median", "trimmedmean", "krum", "multikrum", "bulyan", "normbound:bound=1", "dpfedavg:clip=1,noise=0.1")) {
            String spec = name + (name.contains(":") ? "," : ":") + "bn=local";
            Strategy s = Strategies.create(spec, sampling());
            assertTrue(((SampledStrategy) s).instructions().local().localBatchNorm(), spec);
            assertEquals(false, ((SampledStrategy) Strategies.create(name, sampling())).instructions().local()
                    .localBatchNorm(), name + ": averaged unless asked");
            FitPlan plan = s.configureFit(1, new GlobalModel(0, "{}", new float[] {1f, 2f}), clients, new Random(1));
            assertEquals(List.of("new"), plan.clients().stream().map(ClientInfo::id).toList(),
                    spec + ": a client without fedbn-v1 is not selected");
        }
        // FedBN goes with the other local corrections
        LocalTraining both = ((SampledStrategy) Strategies.create("fedprox:mu=0.1,bn=local,momentum=0.5", sampling()))
                .instructions().local();
        assertEquals(new LocalTraining(0.5, 0.1, false, 0, 0, true), both);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Strategies.create("fedavg:bn=frozen", sampling()));
        assertEquals("strategy fedavg: bn must be one of [averaged, local], got 'frozen'", e.getMessage());
        assertTrue(Strategies.help().contains("bn=averaged: "), Strategies.help());
    }

    @Test
    void fedProxAggregatesAsFedAvg() {
        GlobalModel model = new GlobalModel(0, "{}", new float[] {1f, 1f});
        Strategy prox = Strategies.create("fedprox", sampling());
        Strategy avg = Strategies.create("fedavg", sampling());
        float[][] deltas = {{1f, -1f}, {3f, 0f}};
        long[] n = {10, 30};
        float[] a = fold(prox, model, deltas, n);
        float[] b = fold(avg, model, deltas, n);
        assertArrayEquals(new float[] {1f + 2.5f, 1f - 0.25f}, b, 1e-6f); // (10*1+30*3)/40, (10*-1)/40
        assertArrayEquals(b, a, 0f);
    }

    @Test
    void serverOptimizerStrategyStepsWithTheWeightedMean() {
        GlobalModel model = new GlobalModel(0, "{}", new float[] {1f, 1f});
        Strategy adam = Strategies.create("fedadam:eta=0.1,beta1=0.9,beta2=0.99,tau=0.001", sampling());
        float[][] deltas = {{1f, -1f}, {3f, 0f}};
        float[] next = fold(adam, model, deltas, new long[] {10, 30});
        // mean d = (2.5, -0.25); the same step straight from the optimizer
        float[] expected = ServerOptimizer.adam(0.1, 0.9, 0.99, 0.001).step(new float[] {1f, 1f},
                i -> i == 0 ? 2.5 : -0.25);
        assertArrayEquals(expected, next, 0f);
        // state survives a restart of the strategy
        Strategy restarted = Strategies.create("fedadam:eta=0.1,beta1=0.9,beta2=0.99,tau=0.001", sampling());
        restarted.restoreState(adam.state());
        assertArrayEquals(adam.state(), restarted.state());
    }

    @Test
    void robustRulesNeverCountARoundWithFewerUpdatesThanTheyNeed() {
        Sampling ten = Sampling.builder().minFitClients(10).instructions(FP32).build(); // min accepted: 5
        assertEquals(5, Strategies.create("median", ten).minAcceptedUpdates());
        assertEquals(5, Strategies.create("krum:f=2", ten).minAcceptedUpdates());      // f + 3 = 5
        assertEquals(6, Strategies.create("krum:f=3", ten).minAcceptedUpdates());      // f + 3 = 6
        assertEquals(7, Strategies.create("bulyan:f=1", ten).minAcceptedUpdates());    // 4f + 3 = 7
        assertEquals(11, Strategies.create("bulyan:f=2", ten).minAcceptedUpdates());   // 4f + 3 = 11
    }

    @Test
    void aUsersStrategyOnTheClassPathPlugsInByName() {
        assertTrue(Strategies.available().containsKey("scaledavg"), Strategies.available().keySet().toString());
        assertTrue(Strategies.help().contains("scaledavg: a user's strategy"), Strategies.help());
        Strategy s = Strategies.create("scaledavg:step=0.25", sampling());
        assertEquals("scaledavg", s.name());
        // mean delta (10*1 + 30*3)/40 = 2.5 and -0.25, times 0.25
        float[] next = fold(s, new GlobalModel(0, "{}", new float[] {1f, 1f}), new float[][] {{1f, -1f}, {3f, 0f}},
                new long[] {10, 30});
        assertArrayEquals(new float[] {1.625f, 0.9375f}, next, 1e-6f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Strategies.create("scaledavg:step=20", sampling()));
        assertTrue(e.getMessage().startsWith("strategy scaledavg: step must be in"), e.getMessage());
    }

    static float[] fold(Strategy s, GlobalModel model, float[][] deltas, long[] examples) {
        FitAggregation agg = s.beginFit(1, model);
        for (int k = 0; k < deltas.length; k++) {
            float[] d = deltas[k];
            agg.accept(new FitResult("c" + k, examples[k], 0.1, Map.of(), Duration.ZERO),
                    v -> v.visit(0, d.clone(), d.length));
        }
        Optional<float[]> next = agg.finish(List.of());
        return next.orElseThrow();
    }
}
