package io.fedge.aggregation;

import io.fedge.core.LocalTraining;
import io.fedge.core.model.GlobalModel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScaffoldTest {
    private static final FitInstructions FP32 = new FitInstructions(1, 8, 0.1, "fp32");
    private static final List<String> SCAFFOLD = List.of(LocalTraining.FEATURE_SCAFFOLD);

    /** Four clients that can follow SCAFFOLD and one that cannot. */
    private static final List<ClientInfo> FLEET = List.of(
            new ClientInfo("a", 10, List.of("fp32"), SCAFFOLD), new ClientInfo("b", 30, List.of("fp32"), SCAFFOLD),
            new ClientInfo("c", 20, List.of("fp32"), SCAFFOLD), new ClientInfo("d", 40, List.of("fp32"), SCAFFOLD),
            new ClientInfo("old", 50, List.of("fp32")));

    /** Half of the eligible clients each round, global step 0.5. */
    private static Scaffold scaffold() {
        return new Scaffold(Sampling.builder().fractionFit(0.5).minFitClients(1).instructions(FP32).buildSampling(), 0.5);
    }

    private static FitResult result(String id, long examples) {
        return new FitResult(id, examples, 0.3, Map.of(), Duration.ofSeconds(1));
    }

    private static UpdateChunks chunks(float... update) {
        // two chunks through one reused scratch buffer, as the coordinator decodes them
        return visitor -> {
            float[] scratch = new float[3];
            for (int from = 0; from < update.length; from += 3) {
                int n = Math.min(3, update.length - from);
                System.arraycopy(update, from, scratch, 0, n);
                visitor.visit(from, scratch, n);
            }
        };
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, "value " + i);
        }
    }

    @Test
    void twoRoundsOfModelAndControlVariateByHand() {
        Scaffold s = scaffold();
        GlobalModel x0 = new GlobalModel(0, "{}", new float[] {1, 2});

        FitPlan first = s.configureFit(1, x0, FLEET, new Random(1));
        assertEquals(2, first.clients().size(), "half of the 4 clients that announced SCAFFOLD");
        assertFalse(first.clients().stream().anyMatch(c -> c.id().equals("old")), "never the client without it");
        assertTrue(first.instructions().local().scaffold());
        assertArrayEquals(new float[] {0, 0}, first.controlVariate(), "c starts at zero, one value per parameter");

        // round 1: N = 4 eligible, |S| = 2; updates [dy ; dc] of 10 and 30 examples
        FitAggregation r1 = s.beginFit(1, x0);
        r1.accept(result(first.clients().get(0).id(), 10), chunks(0.2f, -0.4f, 1, 2));
        r1.accept(result(first.clients().get(1).id(), 30), chunks(0.6f, 0, -3, 6));
        float[] x1 = r1.finish(List.of()).orElseThrow();
        // mean dy = ((10*0.2 + 30*0.6)/40, (10*-0.4 + 30*0)/40) = (0.5, -0.1); x1 = x0 + 0.5 * mean dy
        assertClose(new float[] {1.25f, 1.95f}, x1);
        // mean dc = ((10 - 90)/40, (20 + 180)/40) = (-2, 5); c1 = 0 + (2/4) * mean dc = (-1, 2.5)
        GlobalModel v1 = x0.withParameters(1, x1);
        FitPlan second = s.configureFit(2, v1, FLEET, new Random(2));
        assertClose(new float[] {-1, 2.5f}, second.controlVariate());

        // round 2: one of the two selected fails, so |S| = 1 of N = 4
        FitAggregation r2 = s.beginFit(2, v1);
        r2.accept(result(second.clients().get(0).id(), 20), chunks(0.4f, 0.4f, 2, -1));
        float[] x2 = r2.finish(List.of(new Failure(second.clients().get(1).id(), "deadline"))).orElseThrow();
        // x2 = x1 + 0.5 * (0.4, 0.4) = (1.45, 2.15); c2 = c1 + (1/4) * (2, -1) = (-0.5, 2.25)
        assertClose(new float[] {1.45f, 2.15f}, x2);
        FitPlan third = s.configureFit(3, v1.withParameters(2, x2), FLEET, new Random(3));
        assertClose(new float[] {-0.5f, 2.25f}, third.controlVariate());
        assertClose(new float[] {-0.5f, 2.25f}, s.controlVariate());
    }

    @Test
    void aRoundWhoseModelIsNotPublishedLeavesTheControlVariate() {
        Scaffold s = scaffold();
        GlobalModel x0 = new GlobalModel(0, "{}", new float[] {1, 2});
        s.configureFit(1, x0, FLEET, new Random(1));
        FitAggregation r1 = s.beginFit(1, x0);
        r1.accept(result("a", 10), chunks(0.2f, -0.4f, 1, 2));
        assertTrue(r1.finish(List.of(new Failure("b", "refused"))).isPresent());
        // the coordinator refused the new model (or the round had too few updates): the next plan is for version 0
        assertArrayEquals(new float[] {0, 0}, s.configureFit(2, x0, FLEET, new Random(2)).controlVariate());
        // and an empty round changes nothing
        FitAggregation empty = s.beginFit(2, x0);
        assertEquals(Optional.empty(), empty.finish(List.of(new Failure("a", "deadline"))));
        assertArrayEquals(new float[] {0, 0}, s.configureFit(3, x0, FLEET, new Random(3)).controlVariate());
    }

    @Test
    void theStateCarriesTheControlVariateAndTheOneWaitingForItsModel() {
        Scaffold s = scaffold();
        GlobalModel x0 = new GlobalModel(0, "{}", new float[] {1, 2});
        s.configureFit(1, x0, FLEET, new Random(1));
        FitAggregation r1 = s.beginFit(1, x0);
        r1.accept(result("a", 10), chunks(0, 0, 4, -8));
        float[] x1 = r1.finish(List.of(new Failure("b", "x"))).orElseThrow();
        // persisted after the round, before the next plan: c is still 0, c' = (1/4) * (4, -8) waits for version 1
        byte[] saved = s.state();

        Scaffold restarted = scaffold();
        restarted.restoreState(saved);
        assertArrayEquals(new float[] {1, -2}, restarted.configureFit(2, x0.withParameters(1, x1), FLEET,
                new Random(2)).controlVariate(), "the resumed model is the round's: c' applies");
        Scaffold rolledBack = scaffold();
        rolledBack.restoreState(saved);
        assertArrayEquals(new float[] {0, 0}, rolledBack.configureFit(2, x0, FLEET, new Random(2)).controlVariate(),
                "the resumed model is the one before: c stays");
        Scaffold again = scaffold();
        again.restoreState(saved);
        assertArrayEquals(saved, again.state(), "restored as saved, byte for byte");

        byte[] corrupt = saved.clone();
        corrupt[corrupt.length / 2] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> scaffold().restoreState(corrupt));
        byte[] fedAvgs = StrategyState.writer("fedavgm").doubles(1).toBytes();
        assertThrows(IllegalArgumentException.class, () -> scaffold().restoreState(fedAvgs));
    }

    @Test
    void planningNeedsTheModelAndOnlyThePlannedRoundAggregates() {
        Scaffold s = scaffold();
        assertThrows(IllegalStateException.class, () -> s.configureFit(1, FLEET, new Random(1)));
        GlobalModel x0 = new GlobalModel(0, "{}", new float[] {1, 2});
        assertThrows(IllegalStateException.class, () -> s.beginFit(1, x0), "nothing planned yet");
        s.configureFit(1, x0, FLEET, new Random(1));
        assertThrows(IllegalStateException.class, () -> s.beginFit(2, x0));
        assertThrows(IllegalStateException.class, () -> s.configureFit(2, new GlobalModel(0, "{}", new float[3]),
                FLEET, new Random(1)), "a control variate of 2 values for a model of 3");
        assertNull(scaffold().controlVariate());
    }

    @Test
    void lossyCodecsAreRefusedSecureAggregationIsNot() {
        Scaffold fp32 = scaffold();
        assertTrue(fp32.supportsSecureAggregation());
        assertEquals(Optional.empty(), fp32.incompatibility(true, codec -> !codec.equals("fp32")));
        Scaffold int8 = new Scaffold(Sampling.builder().instructions(FP32.withCodec("int8"))
                .warmupCodecs(List.of("fp32")).buildSampling(), 1);
        Optional<String> why = int8.incompatibility(false, codec -> codec.startsWith("int8"));
        assertTrue(why.isPresent() && why.get().contains("'int8' is lossy"), why.toString());
    }

    @Test
    void theFactoryAddsScaffoldAndMomentumAndChecksEta() {
        Sampling sampling = Sampling.builder().instructions(FP32).buildSampling();
        Scaffold s = (Scaffold) Strategies.create("scaffold:eta=0.25,momentum=0.9", sampling);
        assertEquals(0.25, s.eta());
        LocalTraining local = s.instructions().local();
        assertTrue(local.scaffold());
        assertEquals(0.9, local.momentum());
        assertEquals(List.of(LocalTraining.FEATURE_MOMENTUM, LocalTraining.FEATURE_SCAFFOLD), local.requiredFeatures());
        assertEquals(1.0, ((Scaffold) Strategies.create("scaffold", sampling)).eta(), "default global step");
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("scaffold:eta=0", sampling));
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("scaffold:eta=2000", sampling));
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("scaffold:mu=1", sampling));
    }
}
