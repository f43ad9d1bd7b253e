package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedge.aggregation.FedAvg;
import io.fedge.aggregation.FitAggregation;
import io.fedge.aggregation.FitInstructions;
import io.fedge.aggregation.Sampling;
import io.fedge.aggregation.Strategies;
import io.fedge.aggregation.Strategy;
import io.fedge.core.model.GlobalModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobustStrategiesTest {
    private static final Sampling SAMPLING = Sampling.builder().minFitClients(1)
            .instructions(new FitInstructions(1, 32, 0.05, "fp32")).build();

    @TempDir
    Path dir;

    private static long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    /** {@code spec} with {@code more} parameters. */
    private static String with(String spec, String more) {
        return spec + (spec.contains(":") ? "," : ":") + more;
    }

    private static GlobalModel model(float[] parameters) {
        return new GlobalModel(3, "{}", parameters);
    }

    private static float[] aggregate(Strategy s, float[] current, float[][] updates) {
        FitAggregation a = s.beginFit(4, model(current));
        for (int i = 0; i < updates.length; i++) {
            a.accept(RobustTesting.result(i), RobustTesting.chunked(777, updates[i]));
        }
        return a.finish(List.of()).orElseThrow();
    }

    @Test
    void strategiesAreFoundByName() {
        RobustStrategy krum = assertInstanceOf(RobustStrategy.class, Strategies.create("krum:f=2,budget=4", SAMPLING));
        assertEquals("krum", krum.name());
        assertEquals(4, krum.budget());
        assertEquals(UpdateStore.defaultSpillDirectory(), krum.spillDirectory());
        assertEquals(2, assertInstanceOf(Krum.class, krum.rule()).f());
        assertTrue(krum.rule().refusal(5).isEmpty());
        assertTrue(krum.rule().refusal(4).isPresent(), "f = 2 needs 5");

        RobustStrategy median = (RobustStrategy) Strategies.create("median:spill_dir=" + dir, SAMPLING);
        assertInstanceOf(CoordinateMedian.class, median.rule());
        assertEquals(RobustStrategy.DEFAULT_BUDGET, median.budget());
        assertEquals(dir, median.spillDirectory());

        RobustStrategy trimmed = (RobustStrategy) Strategies.create("trimmedmean", SAMPLING);
        assertEquals(0.2, ((TrimmedMean) trimmed.rule()).beta(), 0.0);
        assertEquals(0.3, ((TrimmedMean) ((RobustStrategy) Strategies.create("TrimmedMean:beta=0.3", SAMPLING)).rule()).beta(), 0.0);

        Krum defaultKrum = (Krum) ((RobustStrategy) Strategies.create("krum", SAMPLING)).rule();
        assertEquals(1, defaultKrum.f());
        assertEquals(1, defaultKrum.selected(10));
        Krum multi = (Krum) ((RobustStrategy) Strategies.create("multikrum:f=2", SAMPLING)).rule();
        assertEquals(8, multi.selected(10), "m = n - f by default");
        assertEquals(3, ((Krum) ((RobustStrategy) Strategies.create("multikrum:m=3", SAMPLING)).rule()).selected(10));
        assertEquals(1, ((Bulyan) ((RobustStrategy) Strategies.create("bulyan", SAMPLING)).rule()).f());
        assertEquals(3, ((Bulyan) ((RobustStrategy) Strategies.create("bulyan:f=3", SAMPLING)).rule()).f());

        NormBoundStrategy nb = assertInstanceOf(NormBoundStrategy.class, Strategies.create("normbound:bound=2.5", SAMPLING));
        assertEquals(2.5, nb.bound(), 0.0);
        assertEquals("normbound", nb.name());

        // local momentum like every built-in strategy
        RobustStrategy withMomentum = (RobustStrategy) Strategies.create("median:momentum=0.9", SAMPLING);
        assertEquals(0.9, withMomentum.instructions().local().momentum(), 0.0);
        assertTrue(Strategies.help().contains("spill_dir="));
    }

    @Test
    void badParametersAreOneLineNamingThem() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("krum:f=-1", "f"),
                Map.entry("krum:f=two", "f"),
                Map.entry("krum:budget=0", "budget"),
                Map.entry("median:budget=1.5", "budget"),
                Map.entry("trimmedmean:beta=0.5", "beta"),
                Map.entry("trimmedmean:beta=-0.1", "beta"),
                Map.entry("trimmedmean:beta=x", "beta"),
                Map.entry("multikrum:m=0", "m"),
                Map.entry("bulyan:g=1", "g"),
                Map.entry("normbound", "bound"),
                Map.entry("normbound:bound=0", "bound"),
                Map.entry("normbound:bound=-3", "bound"),
                Map.entry("normbound:budget=3", "budget"),
                Map.entry("median:spill_dir=" + dir.resolve("missing"), "spill_dir"));
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> Strategies.create(e.getKey(), SAMPLING), e.getKey());
            assertTrue(x.getMessage().contains(e.getValue()), e.getKey() + ": " + x.getMessage());
            assertFalse(x.getMessage().contains("\n"), e.getKey() + ": " + x.getMessage());
        }
    }

    @Test
    void robustStrategiesRefuseSecureAggregation() {
        for (String spec : List.of("median", "trimmedmean", "krum", "multikrum", "bulyan", "normbound:bound=1")) {
            Strategy s = Strategies.create(spec, SAMPLING);
            assertFalse(s.supportsSecureAggregation(), spec);
            assertTrue(s.incompatibility(true, codec -> false).isPresent(), spec);
            assertTrue(s.incompatibility(false, codec -> false).isEmpty(), spec);
        }
    }

    /**
     * Budget 1 (10 of 11 updates spilled) against budget 11 (none) for every store-based strategy:
     * the same floats, bit for bit, and the same as the rule applied to the arrays. The spill file
     * exists while the round aggregates and is gone after finish.
     */
    @Test
    void spillingGivesBitIdenticalResults() throws IOException {
        int n = 11;
        int length = 5000; // two blocks
        float[][] v = RobustTesting.gaussian(21, n, length);
        float[] current = RobustTesting.gaussian(22, 1, length)[0];
        for (String spec : List.of("median", "trimmedmean", "trimmedmean:beta=0.3", "krum:f=2", "multikrum:f=2",
                "multikrum:f=1,m=3", "bulyan:f=2")) {
            RobustStrategy spilling = (RobustStrategy) Strategies.create(with(spec, "budget=1,spill_dir=" + dir), SAMPLING);
            RobustAggregation a = spilling.beginFit(4, model(current));
            for (int i = 0; i < n; i++) {
                a.accept(RobustTesting.result(i), RobustTesting.chunked(777, v[i]));
            }
            assertEquals(n, a.accepted());
            assertEquals(n - 1, a.spilled(), spec);
            Path file = a.spillFile().orElseThrow();
            assertTrue(Files.exists(file), spec);
            assertEquals(dir, file.getParent());
            float[] spilled = a.finish(List.of()).orElseThrow();
            assertFalse(Files.exists(file), spec + ": deleted after finish");
            assertTrue(a.spillFile().isEmpty());
            assertEquals(0, filesIn(dir), spec);

            RobustStrategy inMemory = (RobustStrategy) Strategies.create(with(spec, "budget=" + n + ",spill_dir=" + dir), SAMPLING);
            float[] heap = aggregate(inMemory, current, v);
            assertEquals(0, filesIn(dir), spec);
            assertArrayEquals(heap, spilled, spec);
            assertArrayEquals(spilling.rule().aggregate(Updates.of(v), current), spilled, spec);
        }
    }

    @Test
    void anAbandonedAggregationDeletesItsFileWhenClosed() throws IOException {
        RobustStrategy s = (RobustStrategy) Strategies.create("median:budget=1,spill_dir=" + dir, SAMPLING);
        RobustAggregation a = s.beginFit(1, model(new float[3]));
        a.accept(RobustTesting.result(0), RobustTesting.chunked(3, new float[] {1, 2, 3}));
        a.accept(RobustTesting.result(1), RobustTesting.chunked(3, new float[] {1, 2, 3}));
        Path file = a.spillFile().orElseThrow();
        assertTrue(Files.exists(file));
        a.close();
        assertFalse(Files.exists(file));
        assertEquals(0, filesIn(dir));
        assertThrows(IllegalStateException.class,
                () -> a.accept(RobustTesting.result(2), RobustTesting.chunked(3, new float[3])));
    }

    /** Too few updates for the rule's f: the model is kept (empty), the reason recorded, the file deleted. */
    @Test
    void tooFewUpdatesKeepTheModel() throws IOException {
        Map<String, Integer> cases = Map.of(
                "krum:f=1", 3,        // needs f + 3 = 4
                "krum:f=2", 4,        // needs 5
                "multikrum:f=1,m=5", 5, // at most n - f = 4 averaged
                "bulyan:f=1", 6,      // needs 4f + 3 = 7
                "median", 0);
        for (Map.Entry<String, Integer> c : cases.entrySet()) {
            RobustStrategy s = (RobustStrategy) Strategies.create(with(c.getKey(), "budget=1,spill_dir=" + dir), SAMPLING);
            RobustAggregation a = s.beginFit(9, model(new float[4]));
            for (int i = 0; i < c.getValue(); i++) {
                a.accept(RobustTesting.result(i), RobustTesting.chunked(4, new float[] {i, 1, 2, 3}));
            }
            assertTrue(a.finish(List.of()).isEmpty(), c.getKey());
            assertTrue(a.refusal().isPresent(), c.getKey());
            assertEquals(0, filesIn(dir), c.getKey());
        }
        RobustAggregation krum = ((RobustStrategy) Strategies.create("krum:f=1", SAMPLING)).beginFit(9, model(new float[1]));
        for (int i = 0; i < 3; i++) {
            krum.accept(RobustTesting.result(i), RobustTesting.chunked(1, new float[] {i}));
        }
        assertTrue(krum.finish(List.of()).isEmpty());
        assertEquals("Krum with f=1 needs at least 4 updates (n >= f + 3), got 3", krum.refusal().orElseThrow());
        assertThrows(IllegalStateException.class, () -> krum.finish(List.of()));
    }

    /**
     * 8 honest updates near (1, ..., 1) and 2 huge sign-flipped ones (-100 times an honest update):
     * the robust rules stay near the honest mean, FedAvg does not. Bulyan runs with f = 1 (n = 10 <
     * 4 · 2 + 3), one fewer than the attackers, and still holds: its trimmed mean around the median
     * drops the one attacker its last Krum selection lets in.
     */
    @Test
    void robustRulesResistASignFlippingAttack() {
        int length = 20;
        Random rng = new Random(5);
        float[][] v = new float[10][length];
        double[] honestMean = new double[length];
        for (int i = 0; i < 8; i++) {
            for (int c = 0; c < length; c++) {
                v[i][c] = (float) (1 + 0.05 * rng.nextGaussian());
                honestMean[c] += v[i][c] / 8.0;
            }
        }
        for (int i = 8; i < 10; i++) {
            for (int c = 0; c < length; c++) {
                v[i][c] = -100 * v[i - 8][c];
            }
        }
        float[] current = new float[length];
        Updates all = Updates.of(v);
        assertTrue(new Krum(2).select(all, 1)[0] < 8, "Krum selects an honest update");
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7},
                java.util.Arrays.stream(new Krum(2).select(all, 8)).sorted().toArray(), "Multi-Krum: the honest ones");
        int[] bulyan = new Bulyan(1).select(all);
        assertEquals(1, java.util.Arrays.stream(bulyan).filter(i -> i >= 8).count(), java.util.Arrays.toString(bulyan));
        assertTrue(bulyan[bulyan.length - 1] >= 8, "the attacker comes in last");
        for (String spec : List.of("median", "trimmedmean", "krum:f=2", "multikrum:f=2", "bulyan:f=1")) {
            float[] next = aggregate(Strategies.create(with(spec, "budget=3,spill_dir=" + dir), SAMPLING), current, v);
            for (int c = 0; c < length; c++) {
                assertEquals(honestMean[c], next[c], 0.2, spec + " coordinate " + c);
            }
        }
        // FedAvg: (8 * ~1 - 200 * ~1) / 10, about -19 per coordinate.
        float[] fedAvg = aggregate(new FedAvg(SAMPLING), current, v);
        for (int c = 0; c < length; c++) {
            assertTrue(Math.abs(fedAvg[c] - honestMean[c]) > 10, "FedAvg coordinate " + c + ": " + fedAvg[c]);
        }
        // Norm bounding at twice the honest norm (~sqrt(20)) cannot drop the attackers, only bound them:
        // next - H = (sum of the 2 scaled attackers) / 10 - H / 5, whose norm is at most 2 * bound / 10 + |H| / 5.
        double honestNorm = 0;
        for (double h : honestMean) {
            honestNorm += h * h;
        }
        honestNorm = Math.sqrt(honestNorm);
        double bound = 2 * Math.sqrt(length);
        float[] bounded = aggregate(Strategies.create("normbound:bound=" + bound, SAMPLING), current, v);
        double gap = 0;
        for (int c = 0; c < length; c++) {
            gap += (bounded[c] - honestMean[c]) * (bounded[c] - honestMean[c]);
        }
        assertTrue(Math.sqrt(gap) <= 2 * bound / 10 + honestNorm / 5 + 1e-4, "normbound gap " + Math.sqrt(gap));
        assertTrue(Math.sqrt(gap) < 0.1 * Math.sqrt(length * 19.0 * 19.0), "far closer than FedAvg");
    }
}
