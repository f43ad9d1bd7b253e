package io.fedge.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.aggregation.privacy.RdpAccountant;
import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DpFedAvgTest {
    private static final FitInstructions FP32 = new FitInstructions(1, 32, 0.05, "fp32");

    private static Sampling sampling(int perRound) {
        return Sampling.builder().minFitClients(perRound).instructions(FP32).build();
    }

    private static DpFedAvg dp(String params, int perRound) {
        return (DpFedAvg) Strategies.create("dpfedavg:" + params, sampling(perRound));
    }

    private static List<ClientInfo> clients(int n) {
        List<ClientInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new ClientInfo(String.format("c%03d", i), 100, List.of("fp32"), LocalTraining.allFeatures()));
        }
        return out;
    }

    private static float[] round(DpFedAvg s, GlobalModel m, int available, float[]... deltas) {
        s.configureFit(1, clients(available), new Random(1));
        FitAggregation a = s.beginFit(1, m);
        for (int k = 0; k < deltas.length; k++) {
            float[] d = deltas[k];
            // example counts differ: DP-FedAvg must ignore them
            a.accept(new FitResult("c" + k, 10 + 90L * k, 0.1, Map.of(), Duration.ZERO), v -> v.visit(0, d.clone(), d.length));
        }
        return a.finish(List.of()).orElseThrow();
    }

    @Test
    void centralWithoutNoiseIsTheEqualWeightMeanOfClippedUpdates() {
        DpFedAvg s = dp("noise=0,clip=1", 2);
        GlobalModel m = new GlobalModel(0, "{}", new float[] {1f, 1f});
        // (3, 4) has norm 5: clipped to (0.6, 0.8); (0.5, 0) is within; mean (0.55, 0.4)
        float[] next = round(s, m, 2, new float[] {3f, 4f}, new float[] {0.5f, 0f});
        assertArrayEquals(new float[] {1.55f, 1.4f}, next, 1e-6f);
        assertEquals(0.5, s.roundMetrics().get("unclipped_fraction"));
        assertEquals(1.0, s.roundMetrics().get("clip"));
    }

    @Test
    void centralNoiseHasTheConfiguredVariance() {
        int p = 200_000;
        DpFedAvg s = dp("noise=0.8,clip=0.5,seed=7", 1);
        GlobalModel m = new GlobalModel(0, "{}", new float[p]);
        float[] next = round(s, m, 1, new float[p]); // one zero update: what moves is the noise, std z C = 0.4
        double sum = 0;
        double squares = 0;
        for (float v : next) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / p;
        double variance = squares / p - mean * mean;
        double expected = 0.4 * 0.4;
        // 99.9% intervals: mean within 3.29 sd/sqrt(n); variance within 3.29 sqrt(2/(n-1)) relative
        assertEquals(0, mean, 3.29 * 0.4 / Math.sqrt(p));
        assertEquals(expected, variance, expected * 3.29 * Math.sqrt(2.0 / (p - 1)));
    }

    @Test
    void distributedModeTellsClientsToClipAndAddTheirShare() {
        // 5 per round: at least ceil(5/2) = 3 accepted; each client adds (z C)^2 / 3 of variance
        DpFedAvg s = dp("noise=1.2,clip=2,mode=distributed", 5);
        FitPlan plan = s.configureFit(1, clients(10), new Random(1));
        LocalTraining local = plan.instructions().local();
        assertEquals(2.0, local.clipNorm());
        assertEquals(1.2 * 2 / Math.sqrt(3), local.noiseStddev(), 1e-12);
        assertTrue(s.supportsSecureAggregation());
        assertFalse(s.incompatibility(true, c -> false).isPresent());
        // clients that cannot clip are not selected
        List<ClientInfo> old = List.of(new ClientInfo("old", 10, List.of("fp32")));
        assertEquals(0, s.configureFit(2, old, new Random(1)).clients().size());
    }

    @Test
    void aSecurelyAggregatedMeanIsTakenAsTheSumOfItsSurvivors() {
        DpFedAvg s = dp("noise=0,clip=1,mode=distributed", 4);
        s.configureFit(1, clients(4), new Random(1));
        FitAggregation a = s.beginFit(1, new GlobalModel(0, "{}", new float[] {0f, 0f}));
        float[] mean = {0.25f, -0.5f};
        a.accept(new FitResult(FitResult.SECURE_AGGREGATE, 4, 0.1, Map.of(), Duration.ZERO),
                v -> v.visit(0, mean.clone(), 2));
        assertArrayEquals(mean, a.finish(List.of()).orElseThrow(), 1e-7f);
    }

    @Test
    void refusesWhatCannotWork() {
        assertTrue(dp("noise=1", 3).incompatibility(true, c -> false).orElseThrow().contains("mode=distributed"));
        assertTrue(dp("noise=1,mode=distributed,adaptive=true", 3).incompatibility(false, c -> false)
                .orElseThrow().contains("adaptive clipping"));
        assertFalse(dp("noise=1", 3).incompatibility(false, c -> true).isPresent());
    }

    @Test
    void accountsEveryRoundAndStopsBeforeTheBudget() {
        // all 10 of 10 clients every round: q = 1, the Gaussian mechanism composed per round
        DpFedAvg s = dp("noise=2,clip=1,epsilon=6,seed=1", 10);
        GlobalModel m = new GlobalModel(0, "{}", new float[] {0f});
        RdpAccountant independent = new RdpAccountant();
        int rounds = 0;
        while (s.exhausted().isEmpty() && rounds < 100) {
            round(s, m, 10, new float[] {0.1f});
            independent.step(1.0, 2.0, 1);
            rounds++;
            assertEquals(independent.epsilon(1e-5).epsilon(), s.roundMetrics().get("epsilon"), 1e-12);
            assertEquals(1.0, s.roundMetrics().get("sampling_rate"));
        }
        assertTrue(independent.epsilon(1e-5).epsilon() <= 6.0, "never past the budget");
        independent.step(1.0, 2.0, 1);
        assertTrue(independent.epsilon(1e-5).epsilon() > 6.0, "stopped only when one more round would pass it");
        assertTrue(rounds > 1, "rounds " + rounds);
        assertTrue(s.exhausted().orElseThrow().startsWith("privacy budget spent: epsilon"), s.exhausted().get());
        // the state carries the accountant across a restart
        DpFedAvg restarted = dp("noise=2,clip=1,epsilon=6,seed=1", 10);
        restarted.restoreState(s.state());
        assertEquals(s.exhausted(), restarted.exhausted());
    }

    @Test
    void adaptiveClippingMovesTheBoundGeometrically() {
        DpFedAvg s = dp("noise=0,clip=1,adaptive=true,quantile=0.5,clip_lr=0.2", 2);
        GlobalModel m = new GlobalModel(0, "{}", new float[] {0f, 0f});
        round(s, m, 2, new float[] {0.1f, 0f}, new float[] {0f, 0.2f}); // both within: fraction 1
        assertEquals(Math.exp(-0.2 * (1 - 0.5)), s.clip(), 1e-12);
        double c1 = s.clip();
        round(s, m, 2, new float[] {30f, 0f}, new float[] {0f, 40f}); // none within: fraction 0
        assertEquals(c1 * Math.exp(-0.2 * (0 - 0.5)), s.clip(), 1e-12);
    }
}
