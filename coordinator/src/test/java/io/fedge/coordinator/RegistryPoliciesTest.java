package io.fedge.coordinator;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The retention policy, the promotion guard and the failure categories, against hand-worked cases. */
class RegistryPoliciesTest {
    private static ModelEntry entry(long v, double accuracy, boolean file) {
        return new ModelEntry(v, v == 0 ? -1 : v - 1, v, v == 0 ? ModelEntry.Kind.INITIAL : ModelEntry.Kind.ROUND,
                "fedavg", "fp32", 3, 0, "", file, accuracy, Double.NaN, Double.NaN, Double.NaN);
    }

    @Test
    void retentionKeepsTheNewestTheBestAndTheLabelled() {
        List<ModelEntry> e = List.of(entry(0, Double.NaN, true), entry(1, 0.50, true), entry(2, 0.80, true),
                entry(3, 0.70, true), entry(4, 0.60, true), entry(5, 0.65, true), entry(6, 0.10, false));
        // newest 2: 5, 4; best 1: 2 (0.80); labelled: 1. Deleted: 0 and 3 (6 has no file already).
        assertEquals(List.of(0L, 3L), new RetentionPolicy(2, 1).toDelete(e, Set.of(1L)));
        // best 2: 2 and 3
        assertEquals(List.of(0L, 1L), new RetentionPolicy(2, 2).toDelete(e, Set.of()));
        // no best, newest 1, nothing labelled
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), new RetentionPolicy(1, 0).toDelete(e, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(1, -1));
    }

    @Test
    void theGuardRefusesADropBeyondItsMarginAndAnUnevaluatedCandidate() {
        PromotionGuard g = new PromotionGuard(0.02);
        ModelEntry stable = entry(4, 0.80, true);
        assertEquals(Optional.empty(), g.refuse(entry(5, 0.79, true), stable), "a drop of 0.01 is within 0.02");
        assertEquals(Optional.empty(), g.refuse(entry(5, 0.78, true), stable), "a drop of exactly the margin passes");
        Optional<String> why = g.refuse(entry(5, 0.70, true), stable);
        assertTrue(why.isPresent());
        assertTrue(why.get().contains("0.7000 is 0.1000 below version 4's 0.8000"), why.get());
        assertTrue(g.refuse(entry(5, Double.NaN, true), stable).orElseThrow().contains("no evaluation"));
        assertEquals(Optional.empty(), g.refuse(entry(5, 0.10, true), null), "nothing to compare against");
        assertEquals(Optional.empty(), g.refuse(entry(5, 0.10, true), entry(4, Double.NaN, true)));
        assertThrows(IllegalArgumentException.class, () -> new PromotionGuard(-0.1));
        assertThrows(IllegalArgumentException.class, () -> new PromotionGuard(Double.NaN));
    }

    @Test
    void entriesCheckTheirLineage() {
        assertThrows(IllegalArgumentException.class, () -> new ModelEntry(3, 3, 1, ModelEntry.Kind.ROUND, "", "", 0, 0,
                "", true, 0, 0, 0, 0), "a version is not its own parent");
        assertThrows(IllegalArgumentException.class, () -> new ModelEntry(0, 2, 0, ModelEntry.Kind.INITIAL, "", "", 0,
                0, "", true, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ModelEntry.Kind.of("nope"));
        assertEquals(ModelEntry.Kind.ROLLBACK, ModelEntry.Kind.of("rollback"));
    }

    @Test
    void failureReasonsFallIntoAFewCategories() {
        assertEquals("stale_model", FailureCategory.of("STALE_MODEL: update for version 3, the round is on 4"));
        assertEquals("disconnected", FailureCategory.of("disconnected before the task was sent"));
        assertEquals("deadline", FailureCategory.of("no verified update before the deadline (training)"));
        assertEquals("not_needed", FailureCategory.of("not needed: the round closed at its first 5 updates"));
        assertEquals("other", FailureCategory.of("aggregation failed: java.lang.IllegalStateException"));
        assertEquals("other", FailureCategory.of("NOT_A_CODE: x"));
        assertEquals("other", FailureCategory.of(null));
    }

    @Test
    void thePairedComparisonMatchesAHandComputedTInterval() {
        // differences 0.10, 0.12, 0.08, 0.10: mean 0.10, sd sqrt(0.0008/3) = 0.016330, t(0.975, 3) = 3.182446
        PairedComparison p = PairedComparison.of(new double[] {0.5, 0.6, 0.7, 0.8}, new double[] {0.6, 0.72, 0.78, 0.9},
                0.95);
        double half = 3.182446305 * Math.sqrt(0.0008 / 3) / 2;
        assertEquals(0.10, p.meanDifference(), 1e-12);
        assertEquals(0.10 - half, p.low(), 1e-8);
        assertEquals(0.10 + half, p.high(), 1e-8);
        assertEquals(PairedComparison.Verdict.B_BETTER, p.verdict());
        assertEquals(PairedComparison.Verdict.A_BETTER, PairedComparison.of(new double[] {0.6, 0.72, 0.78, 0.9},
                new double[] {0.5, 0.6, 0.7, 0.8}, 0.95).verdict());
        assertEquals(PairedComparison.Verdict.NO_DIFFERENCE, PairedComparison.of(new double[] {0.5, 0.6, 0.7},
                new double[] {0.55, 0.55, 0.7}, 0.95).verdict());
        assertEquals(PairedComparison.Verdict.TOO_FEW, PairedComparison.of(new double[] {0.5}, new double[] {0.6}, 0.95)
                .verdict());
        assertThrows(IllegalArgumentException.class, () -> PairedComparison.of(new double[2], new double[3], 0.95));
    }
}
