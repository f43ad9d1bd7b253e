package io.fedge.core.metrics;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegressionMetricsTest {
    // 3 examples, 2 targets; errors of target 0: +0.5, -1, 0; of target 1: 0, 0, +2
    private static final float[] ACTUAL = {1, 2, 3, 4, 5, 6};
    private static final float[] PREDICTED = {1.5f, 2, 2, 4, 5, 8};

    @Test
    void errorsPerTargetAreByHand() {
        RegressionMetrics m = RegressionMetrics.of(ACTUAL, PREDICTED, 2);
        assertEquals(3, m.examples());
        assertEquals(1.25 / 3, m.mse(0), 1e-15);
        assertEquals(4.0 / 3, m.mse(1), 1e-15);
        assertEquals(0.5, m.mae(0), 1e-15);
        assertEquals(2.0 / 3, m.mae(1), 1e-15);
        assertEquals(5.25 / 6, m.mse(), 1e-15);
        assertEquals(3.5 / 6, m.mae(), 1e-15);
    }

    @Test
    void theLossIsTheMseAndThereIsNoAccuracy() {
        RegressionMetrics m = RegressionMetrics.of(ACTUAL, PREDICTED, 2);
        assertEquals(m.mse(), m.loss(), 0.0);
        assertTrue(Double.isNaN(m.accuracy()));
        assertEquals(Task.REGRESSION, m.task());
    }

    @Test
    void mergingPartsGivesTheWhole() {
        RegressionMetrics a = RegressionMetrics.of(new float[] {1, 2}, new float[] {1.5f, 2}, 2);
        RegressionMetrics b = RegressionMetrics.of(new float[] {3, 4, 5, 6}, new float[] {2, 4, 5, 8}, 2);
        assertEquals(RegressionMetrics.of(ACTUAL, PREDICTED, 2).toMap(), a.merge(b).toMap());
        assertThrows(IllegalArgumentException.class, () -> a.merge(RegressionMetrics.of(new float[] {1}, new float[] {1}, 1)));
    }

    @Test
    void mapHasMeanAndPerTargetErrors() {
        Map<String, Double> m = RegressionMetrics.of(ACTUAL, PREDICTED, 2).toMap();
        assertEquals(5.25 / 6, m.get("mse"), 1e-15);
        assertEquals(3.5 / 6, m.get("mae"), 1e-15);
        assertEquals(4.0 / 3, m.get("mse/1"), 1e-15);
        assertEquals(0.5, m.get("mae/0"), 1e-15);
        assertEquals(6, m.size());
    }

    @Test
    void refusesMismatchedInput() {
        assertThrows(IllegalArgumentException.class, () -> RegressionMetrics.of(new float[] {1, 2}, new float[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> RegressionMetrics.of(new float[] {1, 2, 3}, new float[3], 2));
        assertThrows(IllegalArgumentException.class, () -> RegressionMetrics.of(new float[0], new float[0], 0));
        assertTrue(Double.isNaN(RegressionMetrics.of(new float[0], new float[0], 1).mse()));
    }
}
