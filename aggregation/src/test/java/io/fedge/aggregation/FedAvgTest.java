package io.fedge.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.core.model.Evaluation;
import io.fedge.core.model.GlobalModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FedAvgTest {
    private static final FitInstructions FP32 = new FitInstructions(1, 32, 0.05, "fp32");

    private static FedAvg fedAvg(double fraction, int minFit) {
        return FedAvg.builder().fractionFit(fraction).minFitClients(minFit).instructions(FP32).build();
    }

    /** Clients c00 .. c(n-1), every one able to encode fp32. */
    private static List<ClientInfo> clients(int n) {
        List<ClientInfo> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new ClientInfo(String.format("c%02d", i), 100 + i, List.of("fp32")));
        }
        return list;
    }

    private static List<String> ids(FitPlan plan) {
        return plan.clients().stream().map(ClientInfo::id).toList();
    }

    private static FitResult result(String id, long examples) {
        return new FitResult(id, examples, 0.5, Map.of(), Duration.ofSeconds(1));
    }

    /** An update delivered as one chunk. */
    private static UpdateChunks whole(float... delta) {
        return visitor -> visitor.visit(0, delta.clone(), delta.length);
    }

    /**
     * An update delivered in chunks of {@code size} through one scratch buffer longer than a
     * chunk, overwritten between chunks and poisoned past the valid length, as a decoder would.
     */
    private static UpdateChunks chunked(int size, float... delta) {
        return visitor -> {
            float[] scratch = new float[size + 2];
            for (int from = 0; from < delta.length; from += size) {
                int n = Math.min(size, delta.length - from);
                java.util.Arrays.fill(scratch, 1e9f);
                System.arraycopy(delta, from, scratch, 0, n);
                visitor.visit(from, scratch, n);
            }
        };
    }

    @Test
    void selectsMaxOfMinimumAndCeilOfFraction() {
        List<ClientInfo> ten = clients(10);
        assertEquals(3, fedAvg(0.3, 1).configureFit(1, ten, new Random(1)).clients().size());  // ceil(3.0)
        assertEquals(3, fedAvg(0.25, 1).configureFit(1, ten, new Random(1)).clients().size()); // ceil(2.5)
        assertEquals(2, fedAvg(0.1, 2).configureFit(1, ten, new Random(1)).clients().size());  // max(2, 1)
        assertEquals(10, fedAvg(1.0, 1).configureFit(1, ten, new Random(1)).clients().size());
        // 0.1 * 100 is 10.000000000000002 in doubles; still 10 clients, not 11.
        assertEquals(10, fedAvg(0.1, 1).configureFit(1, clients(100), new Random(1)).clients().size());
        // Never more than there are.
        assertEquals(10, fedAvg(0.5, 12).configureFit(1, ten, new Random(1)).clients().size());
        assertEquals(0, fedAvg(0.5, 2).configureFit(1, List.of(), new Random(1)).clients().size());
    }

    @Test
    void selectsOnlyClientsThatSupportTheCodec() {
        List<ClientInfo> mixed = new ArrayList<>();
        Set<String> capable = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            List<String> codecs = i % 3 == 0 ? List.of("int8") : List.of("int8", "fp32");
            String id = "m" + i;
            mixed.add(new ClientInfo(id, 10, codecs));
            if (codecs.contains("fp32")) {
                capable.add(id);
            }
        }
        // 6 of the 10 can encode fp32: m1, m2, m4, m5, m7, m8.
        assertEquals(List.of("m1", "m2", "m4", "m5", "m7", "m8"),
                ids(fedAvg(1.0, 1).configureFit(1, mixed, new Random(4))));
        for (long seed = 0; seed < 20; seed++) {
            FitPlan plan = fedAvg(0.5, 1).configureFit(1, mixed, new Random(seed));
            assertEquals(3, plan.clients().size()); // ceil(0.5 * 6 eligible)
            assertTrue(capable.containsAll(ids(plan)), ids(plan).toString());
        }
    }

    @Test
    void pipelinesNeedEveryStageAndWarmUpCodecsComeFirst() {
        List<ClientInfo> mixed = List.of(new ClientInfo("a", 10, List.of("fp32", "int8", "topk")),
                new ClientInfo("b", 10, List.of("fp32", "int8", "topk", "zstd")), new ClientInfo("c", 10, List.of("fp32")));
        FedAvg s = FedAvg.builder().minFitClients(1)
                .instructions(new FitInstructions(1, 32, 0.05, "topk:0.01+int8+zstd"))
                .warmupCodecs(List.of("topk:0.1+int8", "fp32"))
                .build();
        assertEquals(List.of("topk:0.1+int8", "fp32", "topk:0.01+int8+zstd"), s.codecs());
        FitPlan first = s.configureFit(1, mixed, new Random(1));
        assertEquals("topk:0.1+int8", first.instructions().codec());
        assertEquals(List.of("a", "b"), ids(first));
        assertEquals(List.of("a", "b", "c"), ids(s.configureFit(2, mixed, new Random(1))));
        FitPlan later = s.configureFit(3, mixed, new Random(1));
        assertEquals("topk:0.01+int8+zstd", later.instructions().codec());
        assertEquals(List.of("b"), ids(later), "only b has zstd");
        assertEquals(32, later.instructions().batchSize());
    }

    @Test
    void selectionIsDeterministicPerSeedSortedAndUsesTheRandomness() {
        List<ClientInfo> ten = new ArrayList<>(clients(10));
        Collections.shuffle(ten, new Random(99)); // the input order must not matter for sorting
        FedAvg strategy = fedAvg(0.3, 1);

        List<String> a = ids(strategy.configureFit(1, ten, new Random(42)));
        List<String> b = ids(strategy.configureFit(2, ten, new Random(42)));
        assertEquals(a, b);

        Set<List<String>> distinct = new HashSet<>();
        Set<String> everSelected = new HashSet<>();
        for (long seed = 0; seed < 50; seed++) {
            List<String> chosen = ids(strategy.configureFit(1, ten, new Random(seed)));
            List<String> sorted = new ArrayList<>(chosen);
            Collections.sort(sorted);
            assertEquals(sorted, chosen);
            assertEquals(3, new HashSet<>(chosen).size(), "no client twice");
            distinct.add(chosen);
            everSelected.addAll(chosen);
        }
        assertTrue(distinct.size() > 10, "only " + distinct.size() + " distinct selections");
        assertEquals(10, everSelected.size());
    }

    @Test
    void planCarriesTheInstructions() {
        assertSame(FP32, fedAvg(1.0, 1).configureFit(1, clients(2), new Random(0)).instructions());
    }

    @Test
    void finishReturnsGlobalPlusExampleWeightedMeanDelta() {
        GlobalModel global = new GlobalModel(4, "{}", new float[] {10, 10});
        FitAggregation agg = fedAvg(1.0, 1).beginFit(5, global);
        agg.accept(result("a", 100), whole(2, 0));
        agg.accept(result("b", 300), whole(0, 4));
        assertEquals(2, agg.accepted());

        // mean delta = (100*[2, 0] + 300*[0, 4]) / 400 = [200/400, 1200/400] = [0.5, 3]
        Optional<float[]> next = agg.finish(List.of());
        assertArrayEquals(new float[] {10.5f, 13f}, next.orElseThrow(), 0f);
        assertArrayEquals(new float[] {10, 10}, global.parameters(), 0f);
    }

    @Test
    void chunkedUpdatesThroughAReusedBufferAggregateTheSame() {
        GlobalModel global = new GlobalModel(0, "{}", new float[] {1, 2, 3, 4, 5});
        FitAggregation agg = fedAvg(1.0, 1).beginFit(1, global);
        agg.accept(result("a", 1), chunked(2, 4, 0, 0, 0, -4));
        agg.accept(result("b", 3), chunked(3, 0, 4, 8, 0, 4));
        // weights 1 and 3, total 4:
        // delta = ([4, 0, 0, 0, -4] + 3*[0, 4, 8, 0, 4]) / 4 = [4, 12, 24, 0, 8] / 4 = [1, 3, 6, 0, 2]
        assertArrayEquals(new float[] {2, 5, 9, 4, 7}, agg.finish(List.of()).orElseThrow(), 0f);
    }

    @Test
    void failuresDoNotChangeTheMeanOfTheResults() {
        GlobalModel global = new GlobalModel(0, "{}", new float[] {0});
        FitAggregation agg = fedAvg(1.0, 1).beginFit(1, global);
        agg.accept(result("a", 10), whole(6));
        assertArrayEquals(new float[] {6},
                agg.finish(List.of(new Failure("b", "timed out"), new Failure("c", "disconnected"))).orElseThrow(), 0f);
    }

    @Test
    void finishWithNoResultsKeepsTheModel() {
        FitAggregation agg = fedAvg(1.0, 1).beginFit(1, new GlobalModel(0, "{}", new float[] {1, 2}));
        assertEquals(0, agg.accepted());
        assertEquals(Optional.empty(), agg.finish(List.of(new Failure("a", "timed out"))));
    }

    @Test
    void builderRefusesSettingTwice() {
        assertThrows(IllegalStateException.class, () -> FedAvg.builder().fractionFit(0.5).fractionFit(0.5));
        assertThrows(IllegalStateException.class, () -> FedAvg.builder().minFitClients(2).minFitClients(3));
        assertThrows(IllegalStateException.class,
                () -> FedAvg.builder().minAvailableClients(2).minAvailableClients(3));
        assertThrows(IllegalStateException.class, () -> FedAvg.builder().instructions(FP32).instructions(FP32));
    }

    @Test
    void builderRefusesBadValues() {
        for (double f : new double[] {0, -0.1, 1.0000001, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().fractionFit(f), "fraction " + f);
        }
        assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().minFitClients(0));
        assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().minAvailableClients(0));
        assertThrows(IllegalStateException.class, () -> FedAvg.builder().build()); // no instructions
        // minAcceptedUpdates defaults to ceil(5 / 2) = 3: four connected clients may run a round, two may not
        assertEquals(4, FedAvg.builder().minFitClients(5).minAvailableClients(4).instructions(FP32).build()
                .minAvailableClients());
        assertThrows(IllegalStateException.class,
                () -> FedAvg.builder().minFitClients(5).minAvailableClients(2).instructions(FP32).build());
        assertThrows(IllegalStateException.class,
                () -> FedAvg.builder().minFitClients(5).minAcceptedUpdates(6).instructions(FP32).build());
        assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().overSelection(-0.1));
        assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().overSelection(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> FedAvg.builder().evaluateOnClients(1.5, 1, 32));
    }

    @Test
    void minAcceptedUpdatesIsItsOwnSettingAndOverSelectionClosesEarly() {
        assertEquals(3, FedAvg.builder().minFitClients(6).instructions(FP32).build().minAcceptedUpdates());
        assertEquals(1, FedAvg.builder().minFitClients(1).instructions(FP32).build().minAcceptedUpdates());
        assertEquals(6, FedAvg.builder().minFitClients(6).minAcceptedUpdates(6).instructions(FP32).build()
                .minAcceptedUpdates());
        FedAvg over = FedAvg.builder().fractionFit(0.1).minFitClients(10).overSelection(0.3).instructions(FP32).build();
        FitPlan plan = over.configureFit(1, clients(100), new Random(0));
        assertEquals(13, plan.clients().size(), "ceil(10 * 1.3)");
        assertEquals(10, plan.targetUpdates(), "the round closes at its first 10 accepted updates");
        FitPlan few = over.configureFit(1, clients(11), new Random(0));
        assertEquals(11, few.clients().size(), "never more than are eligible");
        assertEquals(10, few.targetUpdates());
        FitPlan plain = FedAvg.builder().minFitClients(10).instructions(FP32).build().configureFit(1, clients(10),
                new Random(0));
        assertEquals(Integer.MAX_VALUE, plain.targetUpdates(), "without over-selection every selected client counts");
    }

    @Test
    void builderDefaults() {
        FedAvg defaults = FedAvg.builder().instructions(FP32).build();
        assertEquals(1, defaults.minFitClients());
        assertEquals(1, defaults.minAvailableClients());
        assertEquals(10, defaults.configureFit(1, clients(10), new Random(0)).clients().size()); // fraction 1
        assertEquals(0, defaults.configureEvaluate(1, clients(10), new Random(0)).clients().size());

        FedAvg five = FedAvg.builder().minFitClients(5).instructions(FP32).build();
        assertEquals(5, five.minAvailableClients()); // defaults to minFitClients
        assertEquals("fedavg", five.name());
    }

    @Test
    void evaluationOnClientsSamplesLikeFit() {
        FedAvg strategy = FedAvg.builder().instructions(FP32).evaluateOnClients(0.25, 1, 64).build();
        EvaluatePlan plan = strategy.configureEvaluate(1, clients(10), new Random(3));
        assertEquals(3, plan.clients().size()); // ceil(2.5)
        assertEquals(64, plan.batchSize());
    }

    @Test
    void clientEvaluationsAreExampleWeighted() {
        FedAvg strategy = fedAvg(1.0, 1);
        // accuracy (100*0.9 + 300*0.5) / 400 = 240/400 = 0.6; loss (100*0.2 + 300*1.0) / 400 = 320/400 = 0.8
        Evaluation e = strategy.aggregateEvaluate(1, List.of(
                new EvaluateResult("a", 100, 0.2, 0.9),
                new EvaluateResult("b", 300, 1.0, 0.5)), List.of()).orElseThrow();
        assertEquals(400, e.examples());
        assertEquals(0.6, e.accuracy(), 1e-12);
        assertEquals(0.8, e.loss(), 1e-12);
        assertEquals(Optional.empty(), strategy.aggregateEvaluate(1, List.of(), List.of()));
    }

    @Test
    void clientConfusionMatricesAreSummed() {
        FedAvg strategy = fedAvg(1.0, 1);
        // client a: 2 of class 0 right, 1 of class 1 taken for 0; client b: 1 of class 0 taken for 1, 2 of class 1 right
        var a = io.fedge.core.metrics.ClassificationMetrics.ofConfusion(new long[][] {{2, 0}, {1, 0}}, 0.9);
        var b = io.fedge.core.metrics.ClassificationMetrics.ofConfusion(new long[][] {{0, 1}, {0, 2}}, 0.6);
        Evaluation e = strategy.aggregateEvaluate(1, List.of(
                new EvaluateResult("a", 3, 0.3, 2.0 / 3, a),
                new EvaluateResult("b", 3, 0.2, 2.0 / 3, b)), List.of()).orElseThrow();
        var merged = (io.fedge.core.metrics.ClassificationMetrics) e.metrics();
        assertArrayEquals(new long[][] {{2, 1}, {1, 2}}, merged.confusion());
        // class 0: precision 2/3, recall 2/3, F1 2/3; class 1 the same: macro-F1 2/3
        assertEquals(2.0 / 3, merged.macroF1(), 1e-12);
        assertEquals(e.accuracy(), merged.accuracy(), 1e-12);
        assertEquals(e.loss(), merged.loss(), 1e-12);
        // a client without them (an older one): no detailed metrics for the round
        Evaluation partial = strategy.aggregateEvaluate(1, List.of(
                new EvaluateResult("a", 3, 0.3, 2.0 / 3, a),
                new EvaluateResult("c", 3, 0.2, 2.0 / 3)), List.of()).orElseThrow();
        assertEquals(null, partial.metrics());
    }
}
