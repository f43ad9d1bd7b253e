package io.fedge.core.metrics;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassificationMetricsTest {
    // 7 examples of 4 classes, class 3 neither present nor predicted:
    //            predicted 0  1  2  3
    // actual 0             1  1  0  0
    // actual 1             0  2  0  0
    // actual 2             1  0  2  0
    private static final int[] ACTUAL = {0, 0, 1, 1, 2, 2, 2};
    private static final int[] PREDICTED = {0, 1, 1, 1, 2, 0, 2};

    private static ClassificationMetrics metrics() {
        return ClassificationMetrics.of(ACTUAL, PREDICTED, 4, 3.5);
    }

    @Test
    void confusionMatrixCountsEachPair() {
        assertArrayEquals(new long[][] {{1, 1, 0, 0}, {0, 2, 0, 0}, {1, 0, 2, 0}, {0, 0, 0, 0}}, metrics().confusion());
        assertEquals(7, metrics().examples());
    }

    @Test
    void accuracyAndLossAreByHand() {
        assertEquals(5.0 / 7, metrics().accuracy(), 1e-15);
        assertEquals(0.5, metrics().loss(), 1e-15);
    }

    @Test
    void precisionRecallAndF1PerClassAreByHand() {
        ClassificationMetrics m = metrics();
        // predicted counts 2, 3, 2, 0; supports 2, 2, 3, 0
        assertEquals(0.5, m.precision(0), 1e-15);
        assertEquals(2.0 / 3, m.precision(1), 1e-15);
        assertEquals(1.0, m.precision(2), 1e-15);
        assertEquals(0.0, m.precision(3), 0.0); // never predicted: 0, not NaN
        assertEquals(0.5, m.recall(0), 1e-15);
        assertEquals(1.0, m.recall(1), 1e-15);
        assertEquals(2.0 / 3, m.recall(2), 1e-15);
        assertEquals(0.0, m.recall(3), 0.0);
        assertEquals(0.5, m.f1(0), 1e-15);
        assertEquals(0.8, m.f1(1), 1e-15); // 2 * (2/3 * 1) / (2/3 + 1)
        assertEquals(0.8, m.f1(2), 1e-15);
        assertEquals(0.0, m.f1(3), 0.0);
        assertEquals(3, m.support(2));
        assertEquals(3, m.predictedCount(1));
    }

    @Test
    void macroF1AveragesTheClassesThatOccurOrArePredicted() {
        // classes 0, 1, 2 (class 3 is neither): (0.5 + 0.8 + 0.8) / 3, as sklearn's f1_score(average='macro')
        assertEquals(0.7, metrics().macroF1(), 1e-15);
        assertTrue(Double.isNaN(ClassificationMetrics.of(new int[0], new int[0], 3, 0).macroF1()));
    }

    @Test
    void mergingPartsGivesTheMetricsOfTheWhole() {
        ClassificationMetrics first = ClassificationMetrics.of(new int[] {0, 0, 1}, new int[] {0, 1, 1}, 4, 1.25);
        ClassificationMetrics rest = ClassificationMetrics.of(new int[] {1, 2, 2, 2}, new int[] {1, 2, 0, 2}, 4, 2.25);
        ClassificationMetrics merged = first.merge(rest);
        assertArrayEquals(metrics().confusion(), merged.confusion());
        assertEquals(metrics().toMap(), merged.toMap());
        assertEquals(0.5, merged.loss(), 1e-15);
        assertThrows(IllegalArgumentException.class,
                () -> first.merge(ClassificationMetrics.of(new int[] {0}, new int[] {0}, 3, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> first.merge(RegressionMetrics.of(new float[] {1}, new float[] {1}, 1)));
    }

    @Test
    void mapNamesEveryMetricByClassIndex() {
        Map<String, Double> m = metrics().toMap();
        assertEquals(0.7, m.get("macro_f1"), 1e-15);
        assertEquals(2.0 / 3, m.get("precision/1"), 1e-15);
        assertEquals(2.0 / 3, m.get("recall/2"), 1e-15);
        assertEquals(0.8, m.get("f1/1"), 1e-15);
        assertEquals(3.0, m.get("support/2"));
        assertEquals(1.0, m.get("confusion/2/0"));
        assertEquals(0.0, m.get("confusion/3/3"));
        assertEquals(1 + 4 * 4 + 4 * 4, m.size());
    }

    @Test
    void manyClassesKeepOnlyMacroF1InTheMap() {
        int classes = ClassificationMetrics.MAX_DETAILED_CLASSES + 1;
        Map<String, Double> m = ClassificationMetrics.of(new int[] {0, 1}, new int[] {0, 0}, classes, 0).toMap();
        assertEquals(Map.of("macro_f1", m.get("macro_f1")), m);
        assertFalse(m.get("macro_f1").isNaN());
    }

    @Test
    void refusesMismatchedOrOutOfRangeInput() {
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.of(new int[] {0}, new int[0], 2, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.of(new int[] {0, 2}, new int[] {0, 0}, 2, 0));
        assertTrue(e.getMessage().contains("label 2 of example 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.of(new int[] {0}, new int[] {-1}, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.ofConfusion(new long[][] {{1, 2}}, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.ofConfusion(new long[][] {{1, -1}, {0, 0}}, 0));
    }
}
