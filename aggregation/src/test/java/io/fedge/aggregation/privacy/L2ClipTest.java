package io.fedge.aggregation.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class L2ClipTest {
    @Test
    void scaleByHand() {
        assertEquals(1.0, L2Clip.scale(1, 2), 0.0);   // within
        assertEquals(1.0, L2Clip.scale(2, 2), 0.0);   // on the bound
        assertEquals(1.0, L2Clip.scale(0, 2), 0.0);   // zero vector
        assertEquals(0.4, L2Clip.scale(5, 2), 0.0);   // 2 / 5
        assertEquals(0.125, L2Clip.scale(8, 1), 0.0); // 1 / 8
    }

    @Test
    void threeFourFiveClippedToOne() {
        // |(3, 4)| = 5; scaled by 1/5 to (0.6, 0.8)
        float[] v = {3, 4};
        assertEquals(5.0, L2Clip.clipInPlace(v, 1.0), 0.0);
        assertArrayEquals(new float[] {0.6f, 0.8f}, v, 0f);
    }

    @Test
    void randomVectorsAreClippedToTheBound() {
        Random random = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(5000);
            float[] v = new float[n];
            double scale = Math.pow(10, random.nextInt(7) - 3); // 1e-3 .. 1e3
            double ss = 0;
            for (int i = 0; i < n; i++) {
                v[i] = (float) (scale * random.nextGaussian());
                ss += (double) v[i] * v[i];
            }
            double norm = Math.sqrt(ss);
            double bound = norm * (0.01 + 1.5 * random.nextDouble()); // clipped in about 2/3 of trials
            float[] original = v.clone();
            double returned = L2Clip.clipInPlace(v, bound);
            assertEquals(norm, returned, 0.0, "the norm before clipping");
            double after = Math.sqrt(L2Clip.sumOfSquares(v, 0, n));
            if (norm <= bound) {
                assertArrayEquals(original, v, 0f, "within the bound: untouched");
            } else {
                assertTrue(after <= bound * (1 + 1e-6), "clipped norm " + after + " above bound " + bound);
                assertTrue(after >= bound * (1 - 1e-6), "clipped norm " + after + " well below bound " + bound);
                // the direction is kept: each element scaled by bound / norm (to float rounding)
                double s = bound / norm;
                for (int i = 0; i < n; i++) {
                    assertEquals(original[i] * s, v[i], Math.ulp(v[i]) + 1e-45);
                }
            }
        }
    }

    @Test
    void sumOfSquaresOverAChunk() {
        float[] v = {9, 1, 2, 2, 9};
        assertEquals(9.0, L2Clip.sumOfSquares(v, 1, 3), 0.0); // 1 + 4 + 4
        assertThrows(IndexOutOfBoundsException.class, () -> L2Clip.sumOfSquares(v, 3, 3));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> L2Clip.scale(1, 0));
        assertThrows(IllegalArgumentException.class, () -> L2Clip.scale(1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> L2Clip.scale(1, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> L2Clip.scale(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> L2Clip.scale(Double.NaN, 1));
        float[] bad = {1, Float.NaN};
        assertThrows(IllegalArgumentException.class, () -> L2Clip.clipInPlace(bad, 1));
        assertEquals(1f, bad[0], 0f);
        float[] inf = {Float.POSITIVE_INFINITY, 1};
        assertThrows(IllegalArgumentException.class, () -> L2Clip.clipInPlace(inf, 1));
        assertEquals(1f, inf[1], 0f);
    }
}
