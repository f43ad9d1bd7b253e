package io.fedge.aggregation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightedMeanTest {
    private static void addWhole(WeightedMean mean, double weight, float[] v) {
        mean.addChunk(weight, 0, v, v.length);
        mean.addWeight(weight);
    }

    /** Adds {@code v} in chunks of {@code size} (the last possibly shorter), through a reused scratch buffer. */
    private static void addInChunks(WeightedMean mean, double weight, float[] v, int size) {
        float[] scratch = new float[size + 3];
        for (int from = 0; from < v.length; from += size) {
            int n = Math.min(size, v.length - from);
            java.util.Arrays.fill(scratch, Float.NaN); // values past n must not be read
            System.arraycopy(v, from, scratch, 0, n);
            mean.addChunk(weight, from, scratch, n);
        }
        mean.addWeight(weight);
    }

    @Test
    void twoVectorsWithWeightsOneAndThree() {
        WeightedMean mean = new WeightedMean(3);
        addWhole(mean, 1, new float[] {1, 2, 3});
        addWhole(mean, 3, new float[] {3, 4, 5});
        // (1*1 + 3*3) / 4 = 10/4 = 2.5; (1*2 + 3*4) / 4 = 14/4 = 3.5; (1*3 + 3*5) / 4 = 18/4 = 4.5
        assertArrayEquals(new float[] {2.5f, 3.5f, 4.5f}, mean.addMeanTo(new float[3]), 0f);
        assertEquals(2, mean.count());
        assertEquals(4.0, mean.totalWeight(), 0.0);
    }

    @Test
    void unevenFractionalWeights() {
        WeightedMean mean = new WeightedMean(3);
        addWhole(mean, 0.25, new float[] {0.5f, -1f, 8f});
        addWhole(mean, 0.75, new float[] {2f, 1f, 0f});
        addWhole(mean, 2, new float[] {4f, 4f, -4f});
        // total weight 3
        // [0]: 0.125 + 1.5 + 8  = 9.625 -> 9.625 / 3 = 3.2083333...
        // [1]: -0.25 + 0.75 + 8 = 8.5   -> 8.5 / 3   = 2.8333333...
        // [2]: 2 + 0 - 8        = -6    -> -6 / 3    = -2
        assertArrayEquals(new float[] {3.2083333f, 2.8333333f, -2f}, mean.addMeanTo(new float[3]), 1e-6f);
        assertEquals(3.0, mean.totalWeight(), 0.0);
    }

    @Test
    void singleVectorIsItsOwnMeanWhateverTheWeight() {
        WeightedMean mean = new WeightedMean(2);
        addWhole(mean, 7, new float[] {1.25f, -3f});
        assertArrayEquals(new float[] {1.25f, -3f}, mean.addMeanTo(new float[2]), 0f);
    }

    @Test
    void chunkingDoesNotChangeTheResult() {
        Random rng = new Random(3);
        float[][] vectors = new float[4][7];
        double[] weights = {1, 250, 0.5, 33};
        for (float[] v : vectors) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextGaussian();
            }
        }
        float[] base = {1, -1, 2, -2, 0, 0.5f, 100};

        float[][] results = new float[4][];
        int[] chunkSizes = {1, 2, 3, 7};
        for (int c = 0; c < chunkSizes.length; c++) {
            WeightedMean mean = new WeightedMean(7);
            for (int k = 0; k < vectors.length; k++) {
                addInChunks(mean, weights[k], vectors[k], chunkSizes[c]);
            }
            results[c] = mean.addMeanTo(base);
        }
        for (int c = 1; c < results.length; c++) {
            assertArrayEquals(results[0], results[c], 0f, "chunks of " + chunkSizes[c]);
        }

        // And the same as a direct double computation.
        double total = 1 + 250 + 0.5 + 33;
        for (int i = 0; i < 7; i++) {
            double sum = 0;
            for (int k = 0; k < vectors.length; k++) {
                sum += weights[k] * vectors[k][i];
            }
            assertEquals(base[i] + sum / total, results[0][i], 1e-5, "element " + i);
        }
    }

    @Test
    void addMeanToAddsTheMeanToTheBaseInANewArray() {
        WeightedMean mean = new WeightedMean(3);
        addWhole(mean, 1, new float[] {1, 2, 3});
        addWhole(mean, 3, new float[] {3, 4, 5});
        float[] base = {10, -10, 0.5f};

        float[] out = mean.addMeanTo(base);

        // base + [2.5, 3.5, 4.5]
        assertArrayEquals(new float[] {12.5f, -6.5f, 5f}, out, 0f);
        assertArrayEquals(new float[] {10, -10, 0.5f}, base, 0f);
        // The mean is not consumed.
        assertArrayEquals(out, mean.addMeanTo(base), 0f);
    }

    @Test
    void refusesMeanOfNothingAndABaseOfAnotherLength() {
        WeightedMean mean = new WeightedMean(2);
        assertThrows(IllegalStateException.class, () -> mean.addMeanTo(new float[2]));
        addWhole(mean, 1, new float[] {1, 2});
        assertThrows(IllegalArgumentException.class, () -> mean.addMeanTo(new float[3]));
    }

    @Test
    void refusesNonPositiveOrNonFiniteWeight() {
        WeightedMean mean = new WeightedMean(1);
        for (double w : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> mean.addWeight(w), "weight " + w);
        }
        assertEquals(0, mean.count());
        assertEquals(0.0, mean.totalWeight(), 0.0);
    }

    @Test
    void refusesChunksOutOfBounds() {
        WeightedMean mean = new WeightedMean(4);
        assertThrows(IndexOutOfBoundsException.class, () -> mean.addChunk(1, 3, new float[2], 2));
        assertThrows(IndexOutOfBoundsException.class, () -> mean.addChunk(1, 0, new float[2], 3));
        assertThrows(IndexOutOfBoundsException.class, () -> mean.addChunk(1, -1, new float[2], 1));
        assertThrows(IllegalArgumentException.class, () -> new WeightedMean(-1));
        assertEquals(4, mean.length());
    }

    /**
     * The streaming mean against the weighted mean computed in one pass by a second path: 100
     * updates of realistic size (deltas around 1e-3 with outliers), weights from 50 to 1,500
     * examples, folded in chunks.
     */
    @Test
    void hundredUpdatesStayWithinFloatRoundingOfTheExactMean() {
        int n = 5_000;
        java.util.Random rng = new java.util.Random(42);
        WeightedMean mean = new WeightedMean(n);
        double[] sums = new double[n];
        double total = 0;
        for (int k = 0; k < 100; k++) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (rng.nextGaussian() * (i % 97 == 0 ? 1e-1 : 1e-3));
            }
            double w = 50 + rng.nextInt(1_451);
            addInChunks(mean, w, v, 1_000);
            for (int i = 0; i < n; i++) {
                sums[i] += w * v[i];
            }
            total += w;
        }
        float[] base = new float[n];
        for (int i = 0; i < n; i++) {
            base[i] = (float) (rng.nextGaussian() * 0.05);
        }
        float[] actual = mean.addMeanTo(base);
        int differing = 0;
        for (int i = 0; i < n; i++) {
            double exactMean = sums[i] / total;
            float exact = (float) (base[i] + exactMean);
            // Within a few float roundings of the largest value folded at this position.
            double bound = 4 * Math.ulp((float) (i % 97 == 0 ? 0.5 : 5e-3)) + Math.ulp(exact);
            assertEquals(exact, actual[i], bound, "element " + i);
            if (exact != actual[i]) {
                differing++;
            }
        }
        // After rounding to the float32 parameter most elements are bit-identical to the exact mean.
        assertTrue(differing < n / 4, differing + " of " + n + " elements differ from the exactly rounded mean");
    }

    /** The same updates folded in another order give the same bits: seeded runs are repeatable. */
    @Test
    void theResultDoesNotDependOnTheOrderOfUpdates() {
        int n = 2_000;
        java.util.Random rng = new java.util.Random(7);
        float[][] updates = new float[100][n];
        double[] weights = new double[100];
        for (int k = 0; k < 100; k++) {
            for (int i = 0; i < n; i++) {
                updates[k][i] = (float) (rng.nextGaussian() * Math.pow(10, -1 - rng.nextInt(6)));
            }
            weights[k] = 50 + rng.nextInt(1_451);
        }
        WeightedMean forward = new WeightedMean(n);
        WeightedMean shuffled = new WeightedMean(n);
        java.util.List<Integer> order = new java.util.ArrayList<>();
        for (int k = 0; k < 100; k++) {
            order.add(k);
            addInChunks(forward, weights[k], updates[k], 300);
        }
        java.util.Collections.shuffle(order, rng);
        for (int k : order) {
            addInChunks(shuffled, weights[k], updates[k], 300);
        }
        float[] base = new float[n];
        assertArrayEquals(forward.addMeanTo(base), shuffled.addMeanTo(base), 0f);
    }
}
