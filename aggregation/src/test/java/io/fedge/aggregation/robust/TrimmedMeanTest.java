package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrimmedMeanTest {
    private static final Updates FIVE = Updates.of(
            new float[] {5, 2},
            new float[] {1, 2},
            new float[] {3, 2},
            new float[] {3, 0},
            new float[] {100, 2});

    @Test
    void dropsTheSmallestAndLargestPerCoordinateWithTies() {
        // beta 0.2, n 5: k = floor(1.0) = 1 at each end.
        // [0]: 1 3 3 5 100 -> drop 1 and 100 -> (3 + 3 + 5) / 3 = 11/3
        // [1]: 0 2 2 2 2   -> drop 0 and one 2 -> (2 + 2 + 2) / 3 = 2
        TrimmedMean t = new TrimmedMean(0.2);
        assertEquals(1, t.trimmed(5));
        assertArrayEquals(new float[] {11f / 3, 2f}, t.aggregate(FIVE, new float[2]), 1e-6f);
        assertArrayEquals(new float[] {1 + 11f / 3, 0f}, t.aggregate(FIVE, new float[] {1, -2}), 1e-6f);
    }

    @Test
    void betaZeroIsTheMeanAndTheLargestTrimIsTheMedian() {
        // beta 0: (5 + 1 + 3 + 3 + 100) / 5 = 22.4; (2 + 2 + 2 + 0 + 2) / 5 = 1.6
        assertArrayEquals(new float[] {22.4f, 1.6f}, new TrimmedMean(0).aggregate(FIVE, new float[2]), 1e-5f);
        // beta 0.4, n 5: k = 2, the middle value of 1 3 3 5 100 is 3, of 0 2 2 2 2 is 2.
        assertArrayEquals(new float[] {3f, 2f}, new TrimmedMean(0.4).aggregate(FIVE, new float[2]), 0f);
    }

    @Test
    void evenCounts() {
        Updates four = Updates.of(new float[] {4}, new float[] {-8}, new float[] {1}, new float[] {2});
        // n 4, beta 0.25: k = 1: sorted -8 1 2 4 -> (1 + 2) / 2 = 1.5
        assertArrayEquals(new float[] {1.5f}, new TrimmedMean(0.25).aggregate(four, new float[1]), 0f);
        // n 4, beta 0.2: k = floor(0.8) = 0 -> (4 - 8 + 1 + 2) / 4 = -0.25
        assertArrayEquals(new float[] {-0.25f}, new TrimmedMean(0.2).aggregate(four, new float[1]), 0f);
    }

    @Test
    void trimCountsFloorTheProductAndLeaveOneValue() {
        assertEquals(29, new TrimmedMean(0.29).trimmed(100), "0.29 * 100 is 28.999999999999996 in doubles");
        assertEquals(2, new TrimmedMean(0.2).trimmed(14)); // 2.8
        assertEquals(0, new TrimmedMean(0.2).trimmed(4));
        assertEquals(0, new TrimmedMean(0.49).trimmed(1));
        assertEquals(0, new TrimmedMean(0.4999999999999).trimmed(2), "never all values");
    }

    @Test
    void betaOutsideItsRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TrimmedMean(0.5));
        assertThrows(IllegalArgumentException.class, () -> new TrimmedMean(-0.1));
        assertThrows(IllegalArgumentException.class, () -> new TrimmedMean(Double.NaN));
    }
}
