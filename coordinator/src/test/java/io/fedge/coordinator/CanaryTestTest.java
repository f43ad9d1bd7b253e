package io.fedge.coordinator;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The canary's device split, its statistical test (false alarms and power over seeded trials), and telemetry bounds. */
class CanaryTestTest {
    @Test
    void theSplitIsStickyAndCloseToItsFraction() {
        CanarySplit split = new CanarySplit(0.1, 7);
        int n = 20_000;
        int in = 0;
        for (int i = 0; i < n; i++) {
            String id = "device-" + i;
            boolean c = split.canary(id);
            assertEquals(c, split.canary(id), "the same device gets the same answer");
            in += c ? 1 : 0;
        }
        double sd = Math.sqrt(n * 0.1 * 0.9); // 42.4
        assertTrue(Math.abs(in - n * 0.1) < 4 * sd, in + " of " + n + " in the canary");
        // another canary draws another subset: overlap close to 0.1 * 0.1 of devices
        CanarySplit next = new CanarySplit(0.1, 8);
        int both = 0;
        for (int i = 0; i < n; i++) {
            both += split.canary("device-" + i) && next.canary("device-" + i) ? 1 : 0;
        }
        assertTrue(Math.abs(both - n * 0.01) < 4 * Math.sqrt(n * 0.01 * 0.99), both + " in both canaries");
        assertFalse(new CanarySplit(0, 1).canary("x"));
        assertTrue(new CanarySplit(1, 1).canary("x"));
    }

    @Test
    void theDecisionMatchesAHandComputedZTest() {
        CanaryTest t = new CanaryTest(0.05, 5, 100, 1_000);
        // stable 900/1000, canary 80/100: pooled p = 980/1100, se = sqrt(p(1-p)(1/1000 + 1/100))
        double p = 980 / 1100.0;
        double z = (0.80 - 0.90) / Math.sqrt(p * (1 - p) * (1 / 1000.0 + 1 / 100.0));
        CanaryTest.Decision d = t.decide(1, 1000, 900, 100, 80);
        assertEquals(z, d.z(), 1e-12);
        assertEquals(-0.10, d.difference(), 1e-12);
        // z = -3.09 < -z(1 - 0.01) = -2.326: rolled back at the first look
        assertEquals(CanaryTest.Verdict.ROLL_BACK, d.verdict());
        assertEquals(2.3263478740, t.critical(), 1e-8);
        assertEquals(CanaryTest.Verdict.CONTINUE, t.decide(1, 1000, 900, 100, 88).verdict());
        assertEquals(CanaryTest.Verdict.PROMOTE, t.decide(5, 1000, 900, 1000, 895).verdict());
        // looks geometrically spaced: 100, 178, 316, 562, 1000
        assertEquals(List.of(100L, 178L, 316L, 562L, 1000L), List.of(t.trialsAt(1), t.trialsAt(2), t.trialsAt(3),
                t.trialsAt(4), t.trialsAt(5)));
    }

    /** One canary run on simulated devices: returns the labelled canary inferences at the verdict, negative for a rollback. */
    private static long run(CanaryTest test, double pStable, double pCanary, SplittableRandom rng) {
        long st = 0, sc = 0, ct = 0, cc = 0;
        for (int look = 1; look <= test.looks(); look++) {
            long target = test.trialsAt(look);
            while (ct < target) {
                ct++;
                cc += rng.nextDouble() < pCanary ? 1 : 0;
                for (int k = 0; k < 9; k++) { // nine stable devices' inferences for each canary one
                    st++;
                    sc += rng.nextDouble() < pStable ? 1 : 0;
                }
            }
            CanaryTest.Decision d = test.decide(look, st, sc, ct, cc);
            if (d.verdict() == CanaryTest.Verdict.ROLL_BACK) {
                return -ct;
            }
            if (d.verdict() == CanaryTest.Verdict.PROMOTE) {
                return ct;
            }
        }
        throw new AssertionError("the last look decides");
    }

    @Test
    void twoIdenticalVersionsAreRolledBackAtMostAtTheConfiguredRate() {
        CanaryTest test = CanaryTest.DEFAULT;
        int trials = 2_000;
        int wrong = 0;
        for (int i = 0; i < trials; i++) {
            wrong += run(test, 0.85, 0.85, new SplittableRandom(i)) < 0 ? 1 : 0;
        }
        double rate = wrong / (double) trials;
        // at most alpha, with Monte Carlo slack of three standard errors
        assertTrue(rate <= 0.05 + 3 * Math.sqrt(0.05 * 0.95 / trials), "false-alarm rate " + rate);
    }

    @Test
    void aCanaryTenPointsWorseIsRolledBackEarly() {
        int trials = 500;
        int caught = 0;
        long spent = 0;
        for (int i = 0; i < trials; i++) {
            long r = run(CanaryTest.DEFAULT, 0.85, 0.75, new SplittableRandom(1_000 + i));
            if (r < 0) {
                caught++;
                spent += -r;
            }
        }
        assertTrue(caught >= trials * 0.99, caught + " of " + trials + " caught");
        assertTrue(spent / (double) caught <= 600, "mean labelled canary inferences to the rollback: " + spent / caught);
    }

    @Test
    void telemetryOutsideItsBoundsIsRefusedNamingTheField() {
        String ok = "{\"device\":\"d-1\",\"version\":3,\"inferences\":10,\"latencyP50Micros\":50,\"latencyP99Micros\":90,"
                + "\"meanConfidence\":0.8,\"predictions\":[4,6],\"labelled\":5,\"correct\":4}";
        EdgeTelemetry t = EdgeTelemetry.parse(ok.getBytes(StandardCharsets.UTF_8));
        assertEquals(10, t.inferences());
        assertEquals(4, t.correct());
        String[][] bad = {
            {"\"device\":\"d-1\"", "\"device\":\"../x\"", "device"},
            {"\"version\":3", "\"version\":-1", "version"},
            {"\"inferences\":10", "\"inferences\":1000001", "inferences"},
            {"\"labelled\":5", "\"labelled\":11", "labelled"},
            {"\"correct\":4", "\"correct\":6", "correct"},
            {"\"latencyP99Micros\":90", "\"latencyP99Micros\":10", "latencyP99Micros"},
            {"\"meanConfidence\":0.8", "\"meanConfidence\":1.5", "meanConfidence"},
            {"[4,6]", "[4,7]", "predictions"},
            {"[4,6]", "[4,-1]", "predictions[1]"},
            {"\"version\":3", "\"version\":3.5", "version"},
            {"\"correct\":4}", "\"correct\":4,\"extra\":1}", "unknown field 'extra'"},
        };
        for (String[] b : bad) {
            String body = ok.replace(b[0], b[1]);
            FedgeException e = assertThrows(FedgeException.class, () -> EdgeTelemetry.parse(body.getBytes(
                    StandardCharsets.UTF_8)), body);
            assertEquals(ErrorCode.MALFORMED, e.code());
            assertTrue(e.getMessage().contains(b[2]), e.getMessage());
        }
        assertThrows(FedgeException.class, () -> EdgeTelemetry.parse(new byte[EdgeTelemetry.MAX_BODY_BYTES + 1]));
        assertThrows(FedgeException.class, () -> EdgeTelemetry.parse("[1]".getBytes(StandardCharsets.UTF_8)));
        assertThrows(FedgeException.class, () -> EdgeTelemetry.parse("{".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void mutatedTelemetryIsParsedOrRefusedNeverAnythingElse() {
        byte[] seed = ("{\"device\":\"d-1\",\"version\":3,\"inferences\":10,\"latencyP50Micros\":50,"
                + "\"latencyP99Micros\":90,\"meanConfidence\":0.8,\"predictions\":[4,6],\"labelled\":5,\"correct\":4}")
                .getBytes(StandardCharsets.UTF_8);
        Random rng = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = seed.clone();
            int edits = 1 + rng.nextInt(4);
            for (int k = 0; k < edits; k++) {
                b[rng.nextInt(b.length)] = (byte) (rng.nextBoolean() ? rng.nextInt(256) : "0123456789-.e,:{}[]\"".charAt(
                        rng.nextInt(20)));
            }
            try {
                EdgeTelemetry t = EdgeTelemetry.parse(b);
                assertTrue(t.correct() <= t.labelled() && t.labelled() <= t.inferences()
                        && t.inferences() <= EdgeTelemetry.MAX_INFERENCES && t.meanConfidence() <= 1);
            } catch (FedgeException e) {
                assertEquals(ErrorCode.MALFORMED, e.code());
            }
        }
    }

    @Test
    void releasesStartACanaryAndRollItBackOnEvidence() throws Exception {
        ModelRegistry registry = new ModelRegistry();
        for (long v = 0; v <= 2; v++) {
            registry.add(new ModelEntry(v, v - 1, v, v == 0 ? ModelEntry.Kind.INITIAL : ModelEntry.Kind.ROUND, "fedavg",
                    "", 0, 0, "", false, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
        }
        ModelLifecycle lifecycle = new ModelLifecycle(registry, null, PromotionGuard.DEFAULT, true, "fedavg");
        lifecycle.edgeManaged();
        CanaryPolicy policy = new CanaryPolicy(0.1, new CanaryTest(0.05, 3, 100, 400), 50);
        EdgeReleases releases = new EdgeReleases(policy, lifecycle);
        releases.exported(new EdgeReleases.Release(1, new byte[] {1}), false);
        assertEquals(1, releases.stableVersion());
        assertEquals(Long.valueOf(1), registry.labels().get(ModelRegistry.STABLE));
        releases.exported(new EdgeReleases.Release(2, new byte[] {2}), false);
        assertEquals(2, releases.canaryVersion());
        assertEquals(Long.valueOf(2), registry.labels().get(ModelRegistry.CANARY));

        CanarySplit split = new CanarySplit(0.1, 2);
        String inside = null;
        String outside = null;
        for (int i = 0; inside == null || outside == null; i++) {
            String id = "dev-" + i;
            if (split.canary(id)) {
                inside = inside == null ? id : inside;
            } else {
                outside = outside == null ? id : outside;
            }
        }
        assertEquals(2, releases.serve(inside).orElseThrow().version());
        assertEquals(1, releases.serve(outside).orElseThrow().version());
        assertEquals(1, releases.serve(null).orElseThrow().version());
        String in = inside;
        String out = outside;
        assertThrows(IllegalArgumentException.class, () -> releases.report(report(out, 2, 10, 10)),
                "a device outside the canary cannot report on it");
        assertThrows(IllegalArgumentException.class, () -> releases.report(report(in, 9, 10, 10)));
        assertEquals("running", releases.report(report(in, 1, 10, 10)).canaryState(),
                "a canary device's report on stable (from before it fetched the canary) counts for nothing");
        assertEquals(0, releases.analysis().orElseThrow().stable().labelled);

        // canary devices right 60% of the time, stable ones 90%: rolled back, stable stays version 1
        feed(releases, split, 2, 0.6, 1, 0.9, 100);
        assertEquals("rolled back version 2", releases.canaryState());
        assertEquals(-1, releases.canaryVersion());
        assertEquals(1, releases.serve(in).orElseThrow().version(), "its devices are back on stable");
        assertEquals(java.util.Map.of(ModelRegistry.STABLE, 1L), registry.labels());
        assertTrue(releases.lastDecision().orElseThrow().reason().startsWith("worse than stable"));

        // the next one is as good as stable: promoted at the last look
        registry.add(new ModelEntry(3, 2, 3, ModelEntry.Kind.ROUND, "fedavg", "", 0, 0, "", false, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN));
        releases.exported(new EdgeReleases.Release(3, new byte[] {3}), false);
        feed(releases, new CanarySplit(0.1, 3), 3, 0.9, 1, 0.9, 100);
        assertEquals("promoted version 3", releases.canaryState());
        assertEquals(3, releases.stableVersion());
        assertEquals(java.util.Map.of(ModelRegistry.STABLE, 3L), registry.labels());
    }

    /**
     * Devices report 10 labelled inferences at a time, each right with its version's accuracy, until
     * the canary is decided or {@code rounds} reports per device were sent.
     */
    private static void feed(EdgeReleases releases, CanarySplit split, long canary, double pCanary, long stable,
                             double pStable, int rounds) throws Exception {
        SplittableRandom rng = new SplittableRandom(canary);
        for (int r = 0; r < rounds && releases.canaryVersion() == canary; r++) {
            for (int d = 0; d < 400 && releases.canaryVersion() == canary; d++) {
                String id = "dev-" + d;
                boolean onCanary = split.canary(id);
                double p = onCanary ? pCanary : pStable;
                long correct = 0;
                for (int k = 0; k < 10; k++) {
                    correct += rng.nextDouble() < p ? 1 : 0;
                }
                releases.report(report(id, onCanary ? canary : stable, 10, correct));
            }
        }
    }

    private static EdgeTelemetry report(String device, long version, long labelled, long correct) {
        return new EdgeTelemetry(device, version, labelled, 10, 20, 0.9, new long[0], labelled, correct);
    }
}
