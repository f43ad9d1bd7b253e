package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BulyanTest {
    /*
     * n = 7 in 1-D, f = 1: x = 0, 1, 3, 4, 6, 50, -40. theta = n - 2f = 5, beta = theta - 2f = 3.
     * Squared distances: 0-1 1, 0-2 9, 0-3 16, 0-4 36, 0-5 2500, 0-6 1600, 1-2 4, 1-3 9, 1-4 25,
     * 1-5 2401, 1-6 1681, 2-3 1, 2-4 9, 2-5 2209, 2-6 1849, 3-4 4, 3-5 2116, 3-6 1936, 4-5 1936,
     * 4-6 2116, 5-6 8100.
     * r = 7, 4 nearest: s0 = 1+9+16+36 = 62, s1 = 1+4+9+25 = 39, s2 = 1+4+9+9 = 23, s3 = 1+4+9+16 = 30,
     *   s4 = 4+9+25+36 = 74, s5 = 1936+2116+2209+2401 = 8662, s6 = 1600+1681+1849+1936 = 7066 -> x2
     * r = 6 {0,1,3,4,5,6}, 3 nearest: s0 = 1+16+36 = 53, s1 = 1+9+25 = 35, s3 = 4+9+16 = 29, s4 = 4+25+36 = 65,
     *   s5 = 1936+2116+2401 = 6453, s6 = 1600+1681+1936 = 5217 -> x3
     * r = 5 {0,1,4,5,6}, 2 nearest: s0 = 1+36 = 37, s1 = 1+25 = 26, s4 = 25+36 = 61, s5 = 1936+2401 = 4337,
     *   s6 = 1600+1681 = 3281 -> x1
     * r = 4 {0,4,5,6}, max(1, 4-1-2) = 1 nearest: s0 = 36, s4 = 36, s5 = 1936, s6 = 1600 -> tie, x0
     * r = 3 {4,5,6}, max(1, 0) = 1 nearest: s4 = 1936, s5 = 1936, s6 = 2116 -> tie, x4
     * Selected 2, 3, 1, 0, 4 = values 3, 4, 1, 0, 6; sorted 0 1 3 4 6, median 3; the 3 closest: 3 (0), 4 (1),
     * 1 (2) rather than 6 (3): (3 + 4 + 1) / 3 = 8/3.
     */
    @Test
    void sevenValuesByHand() {
        Updates u = Updates.of(new float[] {0}, new float[] {1}, new float[] {3}, new float[] {4}, new float[] {6},
                new float[] {50}, new float[] {-40});
        Bulyan bulyan = new Bulyan(1);
        assertArrayEquals(new int[] {2, 3, 1, 0, 4}, bulyan.select(u));
        assertArrayEquals(new float[] {8f / 3}, bulyan.aggregate(u, new float[1]), 1e-7f);
        assertArrayEquals(new float[] {(float) (8.0 / 3 - 1)}, bulyan.aggregate(u, new float[] {-1}), 0f);
    }

    @Test
    void closestToTheMedianTakesTheSmallerOfTwoEquallyFar() {
        // sorted 0 1 2 3 4 5: median 2.5; 2 and 3 (0.5), then 1 and 4 (1.5) tie: 1 first. beta 3: (2 + 3 + 1) / 3 = 2
        assertEquals(2.0, Bulyan.closestToMedianMean(new float[] {5, 4, 3, 2, 1, 0}, 6, 3), 0.0);
        // sorted 0 4 5 5 9: median 5; 5, 5, then 4 (1) before 9 (4): (5 + 5 + 4) / 3
        assertEquals(14.0 / 3, Bulyan.closestToMedianMean(new float[] {9, 5, 0, 5, 4}, 5, 3), 0.0);
        // beta = n: the mean of everything
        assertEquals(2.5, Bulyan.closestToMedianMean(new float[] {0, 1, 2, 3, 4, 5}, 6, 6), 0.0);
    }

    /** n = 7, f = 1 on random vectors with an outlier, against the naive implementation below. */
    @Test
    void matchesANaiveImplementation(@TempDir Path dir) {
        for (long seed = 1; seed <= 5; seed++) {
            float[][] v = RobustTesting.gaussian(seed, 7, 12);
            int far = (int) (seed % 7);
            for (int c = 0; c < 12; c++) {
                v[far][c] *= 20;
            }
            float[] base = RobustTesting.gaussian(seed + 100, 1, 12)[0];
            int[] expectedSelection = naiveSelect(v, 1);
            assertEquals(5, expectedSelection.length);
            assertTrue(Arrays.stream(expectedSelection).noneMatch(i -> i == far), "the far update is not selected");
            float[] expected = naiveAggregate(v, expectedSelection, 1, base);
            try (UpdateStore store = RobustTesting.store(dir, 2, v)) {
                Bulyan bulyan = new Bulyan(1);
                assertArrayEquals(expectedSelection, bulyan.select(store), "seed " + seed);
                assertArrayEquals(expected, bulyan.aggregate(store, base), "seed " + seed);
            }
        }
    }

    @Test
    void tooFewUpdatesAreRefusedWithTheReason() {
        Updates six = Updates.of(new float[1], new float[1], new float[1], new float[1], new float[1], new float[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Bulyan(1).select(six));
        assertEquals("Bulyan with f=1 needs at least 7 updates (n >= 4f + 3), got 6", e.getMessage());
        assertEquals(e.getMessage(), new Bulyan(1).refusal(6).orElseThrow());
        assertTrue(new Bulyan(0).refusal(3).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new Bulyan(-1));
    }

    @Test
    void withoutByzantineUpdatesItIsTheMean() {
        // f = 0: theta = n, beta = n: every value of every coordinate. (1 + 2 + 6) / 3 = 3, (0 + 0 + 3) / 3 = 1
        Updates u = Updates.of(new float[] {1, 0}, new float[] {2, 0}, new float[] {6, 3});
        assertArrayEquals(new float[] {3, 1}, new Bulyan(0).aggregate(u, new float[2]), 0f);
    }

    // A naive Bulyan: distances recomputed for every Krum, lists and comparators, no blocks.

    private static double squaredDistance(float[] a, float[] b) {
        double s = 0;
        for (int c = 0; c < a.length; c++) {
            s += ((double) a[c] - b[c]) * ((double) a[c] - b[c]);
        }
        return s;
    }

    private static int[] naiveSelect(float[][] v, int f) {
        List<Integer> remaining = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            remaining.add(i);
        }
        List<Integer> selected = new ArrayList<>();
        while (selected.size() < v.length - 2 * f) {
            int r = remaining.size();
            int k = Math.min(r - 1, Math.max(1, r - f - 2));
            int best = -1;
            double bestScore = Double.POSITIVE_INFINITY;
            for (int i : remaining) {
                List<Double> ds = new ArrayList<>();
                for (int j : remaining) {
                    if (j != i) {
                        ds.add(squaredDistance(v[i], v[j]));
                    }
                }
                ds.sort(null);
                double score = 0;
                for (int t = 0; t < k; t++) {
                    score += ds.get(t);
                }
                if (score < bestScore) {
                    bestScore = score;
                    best = i;
                }
            }
            selected.add(best);
            remaining.remove(Integer.valueOf(best));
        }
        return selected.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] naiveAggregate(float[][] v, int[] selected, int f, float[] base) {
        int beta = selected.length - 2 * f;
        float[] out = new float[base.length];
        for (int c = 0; c < base.length; c++) {
            List<Float> values = new ArrayList<>();
            for (int i : selected) {
                values.add(v[i][c]);
            }
            List<Float> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int t = sorted.size();
            double median = t % 2 == 1 ? sorted.get(t / 2) : ((double) sorted.get(t / 2 - 1) + sorted.get(t / 2)) / 2;
            values.sort(Comparator.<Float>comparingDouble(x -> Math.abs(x - median)).thenComparingDouble(x -> x));
            double sum = 0;
            for (int j = 0; j < beta; j++) {
                sum += values.get(j);
            }
            out[c] = (float) (base[c] + sum / beta);
        }
        return out;
    }
}
