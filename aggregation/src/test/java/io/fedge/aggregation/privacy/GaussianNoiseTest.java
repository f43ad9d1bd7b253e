package io.fedge.aggregation.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GaussianNoiseTest {
    /**
     * 1,000,000 draws of N(0, 2.5^2) from a seeded Random. For n i.i.d. normal draws,
     * (n - 1) s^2 / var is chi-square with n - 1 degrees of freedom, approximately normal with
     * mean n - 1 and stddev sqrt(2 (n - 1)); its two-sided 99.9% interval is then
     * var * (1 +- 3.29 sqrt(2 / (n - 1))) for s^2: here 6.25 * (1 +- 3.29 * 0.0014142143)
     * = 6.25 * (1 +- 0.0046527) = [6.2209, 6.2791]. The mean's 99.9% interval is
     * +- 3.29 * 2.5 / sqrt(n) = +- 0.008225.
     */
    @Test
    void sampleMomentsWithinTheirIntervals() {
        int n = 1_000_000;
        double stddev = 2.5;
        double variance = stddev * stddev;
        float[] v = new float[n];
        // in uneven chunks, as updates arrive
        GaussianNoise noise = new GaussianNoise(stddev, new Random(20240611L));
        int[] chunks = {1, 999, 250_000, 4096, 744_904};
        int offset = 0;
        for (int c : chunks) {
            noise.addTo(v, offset, c);
            offset += c;
        }
        assertEquals(n, offset);
        double sum = 0;
        for (float x : v) {
            sum += x;
        }
        double mean = sum / n;
        double ss = 0;
        for (float x : v) {
            ss += (x - mean) * (x - mean);
        }
        double sampleVariance = ss / (n - 1);
        double half = 3.29 * Math.sqrt(2.0 / (n - 1));
        assertTrue(sampleVariance > variance * (1 - half) && sampleVariance < variance * (1 + half),
                "sample variance " + sampleVariance + " outside " + variance * (1 - half) + " .. " + variance * (1 + half));
        double meanHalf = 3.29 * stddev / Math.sqrt(n);
        assertTrue(Math.abs(mean) < meanHalf, "sample mean " + mean + " outside +-" + meanHalf);
    }

    @Test
    void addsToTheValuesInTheRangeOnly() {
        float[] v = {1, 2, 3, 4, 5};
        new GaussianNoise(1.0, new Random(7)).addTo(v, 1, 3);
        assertEquals(1f, v[0], 0f);
        assertEquals(5f, v[4], 0f);
        // the same draws, by hand: v[i] = old + 1.0 * nextGaussian(), in order
        Random same = new Random(7);
        assertEquals((float) (2 + same.nextGaussian()), v[1], 0f);
        assertEquals((float) (3 + same.nextGaussian()), v[2], 0f);
        assertEquals((float) (4 + same.nextGaussian()), v[3], 0f);
    }

    @Test
    void zeroStddevLeavesValuesUnchanged() {
        float[] v = {1.5f, -0.0f, Float.MIN_VALUE, 3e38f};
        float[] copy = v.clone();
        Random random = new Random(3);
        new GaussianNoise(0, random).addTo(v, 0, v.length);
        assertArrayEquals(copy, v, 0f);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(v[1]), "-0 stays -0");
        assertEquals(new Random(3).nextLong(), random.nextLong(), "no draws were taken");
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new GaussianNoise(-1, new Random()));
        assertThrows(IllegalArgumentException.class, () -> new GaussianNoise(Double.NaN, new Random()));
        assertThrows(IllegalArgumentException.class, () -> new GaussianNoise(Double.POSITIVE_INFINITY, new Random()));
        assertThrows(NullPointerException.class, () -> new GaussianNoise(1, null));
        GaussianNoise noise = new GaussianNoise(1, new Random(1));
        assertThrows(IndexOutOfBoundsException.class, () -> noise.addTo(new float[4], 2, 3));
        float[] untouched = new float[4];
        assertThrows(IndexOutOfBoundsException.class, () -> noise.addTo(untouched, -1, 2));
        assertArrayEquals(new float[4], untouched, 0f);
    }
}
