package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KrumTest {
    /*
     * Five points in 2-D:  p0 = (0,0)  p1 = (1,0)  p2 = (0,2)  p3 = (1,1)  p4 = (5,5)
     * Squared distances:
     *   d01 = 1   d02 = 4   d03 = 2   d04 = 25 + 25 = 50
     *   d12 = 1 + 4 = 5     d13 = 1   d14 = 16 + 25 = 41
     *   d23 = 1 + 1 = 2     d24 = 25 + 9 = 34
     *   d34 = 16 + 16 = 32
     * f = 1: each scores its n - f - 2 = 2 nearest others:
     *   s0 = {1, 4, 2, 50}  -> 1 + 2   = 3
     *   s1 = {1, 5, 1, 41}  -> 1 + 1   = 2
     *   s2 = {4, 5, 2, 34}  -> 2 + 4   = 6
     *   s3 = {2, 1, 2, 32}  -> 1 + 2   = 3
     *   s4 = {50, 41, 34, 32} -> 32 + 34 = 66
     * Order: p1 (2), p0 (3), p3 (3, tie: lower index after p0), p2 (6), p4 (66).
     */
    private static final Updates POINTS = Updates.of(
            new float[] {0, 0}, new float[] {1, 0}, new float[] {0, 2}, new float[] {1, 1}, new float[] {5, 5});

    @Test
    void scoresOfFivePointsByHand() {
        assertArrayEquals(new double[] {3, 2, 6, 3, 66}, new Krum(1).scores(POINTS), 0);
        // f = 0: 3 nearest. s0 = 1+2+4 = 7, s1 = 1+1+5 = 7, s2 = 2+4+5 = 11, s3 = 1+2+2 = 5, s4 = 32+34+41 = 107
        assertArrayEquals(new double[] {7, 7, 11, 5, 107}, new Krum(0).scores(POINTS), 0);
        // f = 2: 1 nearest. s0 = 1, s1 = 1, s2 = 2, s3 = 1, s4 = 32
        assertArrayEquals(new double[] {1, 1, 2, 1, 32}, new Krum(2).scores(POINTS), 0);
    }

    @Test
    void selectsLowestScoresTiesToTheLowerIndex() {
        Krum krum = new Krum(1);
        assertArrayEquals(new int[] {1}, krum.select(POINTS, 1));
        assertArrayEquals(new int[] {1, 0, 3}, krum.select(POINTS, 3));
        assertArrayEquals(new int[] {1, 0, 3, 2}, krum.select(POINTS, 4));
        assertArrayEquals(new int[] {1, 0, 3, 2, 4}, krum.select(POINTS, 5));
        // f = 2: scores 1, 1, 2, 1, 32 -> p0, p1, p3 (ties by index), then p2
        assertArrayEquals(new int[] {0, 1, 3, 2}, new Krum(2).select(POINTS, 4));
        assertThrows(IllegalArgumentException.class, () -> krum.select(POINTS, 0));
        assertThrows(IllegalArgumentException.class, () -> krum.select(POINTS, 6));
    }

    @Test
    void krumIsTheSelectedUpdateAndMultiKrumTheMeanOfTheSelected() {
        // Krum: p1 = (1, 0), added to the base (0.5, -1).
        assertArrayEquals(new float[] {1.5f, -1f}, new Krum(1).aggregate(POINTS, new float[] {0.5f, -1}), 0f);
        // m = 3: mean of p1, p0, p3 = ((1 + 0 + 1) / 3, (0 + 0 + 1) / 3) = (2/3, 1/3)
        assertArrayEquals(new float[] {2f / 3, 1f / 3}, new Krum(1, 3).aggregate(POINTS, new float[2]), 1e-7f);
        // m = n - f = 4: mean of p1, p0, p3, p2 = ((1 + 0 + 1 + 0) / 4, (0 + 0 + 1 + 2) / 4) = (0.5, 0.75)
        assertArrayEquals(new float[] {0.5f, 0.75f}, new Krum(1, Krum.AUTO).aggregate(POINTS, new float[2]), 0f);
        assertEquals(4, new Krum(1, Krum.AUTO).selected(5));
    }

    @Test
    void tooFewUpdatesAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Krum(3).scores(POINTS));
        assertEquals("Krum with f=3 needs at least 6 updates (n >= f + 3), got 5", e.getMessage());
        assertEquals("Krum with f=3 needs at least 6 updates (n >= f + 3), got 5", new Krum(3).refusal(5).orElseThrow());
        assertTrue(new Krum(2).refusal(5).isEmpty());
        assertTrue(new Krum(1, 5).refusal(5).orElseThrow().contains("at most n - f = 4"));
        assertThrows(IllegalArgumentException.class, () -> new Krum(1, 5).aggregate(POINTS, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> new Krum(-1));
    }

    /** The blockwise distances of a spilled store against a direct double loop, over several blocks. */
    @Test
    void blockwiseDistancesMatchADirectSum(@TempDir Path dir) {
        int length = Coordinatewise.BLOCK * 2 + 17;
        float[][] v = RobustTesting.gaussian(3, 5, length);
        try (UpdateStore store = RobustTesting.store(dir, 1, v)) {
            double[][] d = PairwiseDistances.squared(store);
            for (int i = 0; i < v.length; i++) {
                assertEquals(0.0, d[i][i], 0.0);
                for (int j = 0; j < v.length; j++) {
                    double direct = 0;
                    for (int c = 0; c < length; c++) {
                        double diff = (double) v[i][c] - v[j][c];
                        direct += diff * diff;
                    }
                    assertEquals(direct, d[i][j], 1e-9 * direct, i + "-" + j);
                    assertEquals(d[i][j], d[j][i], 0.0);
                }
            }
        }
    }

    @Test
    void weightedMultiKrumWeighsTheSelectedByTheirExamples() {
        float[][] v = {{1f}, {2f}, {4f}};
        double[] w = {1, 1, 2};
        Updates weighted = new Updates() {
            public int size() {
                return 3;
            }

            public int length() {
                return 1;
            }

            public void read(int i, int offset, float[] dst, int dstOffset, int length) {
                System.arraycopy(v[i], offset, dst, dstOffset, length);
            }

            @Override
            public double weight(int i) {
                return w[i];
            }
        };
        // f = 0, m = 3: all three selected; (1*1 + 1*2 + 2*4) / 4 = 2.75, unweighted 7/3
        org.junit.jupiter.api.Assertions.assertEquals(2.75f, new Krum(0, 3, true).aggregate(weighted, new float[] {0f})[0], 1e-7f);
        org.junit.jupiter.api.Assertions.assertEquals(7f / 3, new Krum(0, 3).aggregate(weighted, new float[] {0f})[0], 1e-6f);
    }
}
