package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinateMedianTest {
    private final CoordinateMedian median = new CoordinateMedian();

    @Test
    void evenCountAveragesTheTwoMiddleValuesWithTies() {
        Updates u = Updates.of(
                new float[] {3, 1, 2},
                new float[] {1, 1, -4},
                new float[] {2, 7, 2},
                new float[] {10, 1, 0});
        // [0]: 1 2 3 10  -> (2 + 3) / 2 = 2.5
        // [1]: 1 1 1 7   -> (1 + 1) / 2 = 1   (ties)
        // [2]: -4 0 2 2  -> (0 + 2) / 2 = 1
        assertArrayEquals(new float[] {2.5f, 1f, 1f}, median.aggregate(u, new float[3]), 0f);
        // Added to the base: 10 + 2.5, -1 + 1, 0.5 + 1
        assertArrayEquals(new float[] {12.5f, 0f, 1.5f}, median.aggregate(u, new float[] {10, -1, 0.5f}), 0f);
    }

    @Test
    void oddCountTakesTheMiddleValue() {
        Updates u = Updates.of(
                new float[] {3, 1, 2},
                new float[] {1, 1, -4},
                new float[] {2, 7, 2},
                new float[] {10, 1, 0},
                new float[] {0, 2, 2});
        // [0]: 0 1 2 3 10 -> 2;  [1]: 1 1 1 2 7 -> 1;  [2]: -4 0 2 2 2 -> 2
        assertArrayEquals(new float[] {2f, 1f, 2f}, median.aggregate(u, new float[3]), 0f);
        assertArrayEquals(new float[] {7f}, median.aggregate(Updates.of(new float[] {7f}), new float[1]), 0f);
    }

    @Test
    void middleValuesAreAveragedInDouble() {
        float big = Float.MAX_VALUE;
        // In float, MAX + MAX overflows to infinity; in double the mean is MAX.
        Updates huge = Updates.of(new float[] {big}, new float[] {big}, new float[] {-1}, new float[] {big});
        assertArrayEquals(new float[] {big}, median.aggregate(huge, new float[1]), 0f);
        // 2^24 and 2^24 + 2: the double mean 2^24 + 1 plus a base of 1 is 2^24 + 2 exactly, where a float mean
        // would round 2^24 + 1 to 2^24 (ties to even) and 2^24 + 1 again to 2^24.
        Updates wide = Updates.of(new float[] {16777216f}, new float[] {16777218f});
        assertEquals(16777218f, median.aggregate(wide, new float[] {1f})[0], 0f);
    }

    /** Across several blocks of coordinates, from a store that spilled, against a per-coordinate sort. */
    @Test
    void manyBlocksMatchANaiveMedian(@TempDir Path dir) {
        int length = 2 * Coordinatewise.BLOCK + 123;
        float[][] v = RobustTesting.gaussian(7, 6, length);
        float[] base = RobustTesting.gaussian(8, 1, length)[0];
        try (UpdateStore store = RobustTesting.store(dir, 2, v)) {
            float[] got = median.aggregate(store, base);
            for (int c = 0; c < length; c++) {
                float[] col = RobustTesting.column(v, c);
                Arrays.sort(col);
                float expected = (float) (base[c] + ((double) col[2] + col[3]) / 2);
                assertEquals(expected, got[c], 0f, "coordinate " + c);
            }
        }
    }

    @Test
    void refusesNothingButNoUpdatesAndAWrongBase() {
        assertEquals("no updates", median.refusal(0).orElseThrow());
        assertEquals(false, median.refusal(1).isPresent());
        assertThrows(IllegalArgumentException.class, () -> median.aggregate(Updates.of(new float[2]), new float[3]));
    }
}
