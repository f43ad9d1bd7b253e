package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DirichletPartitionerTest {

    private static final int[] LABELS = PartitionChecks.interleavedLabels(10, 1000);

    @Test
    void everyIndexGoesToExactlyOneClient() {
        int[][] parts = new DirichletPartitioner(0.5).partition(LABELS, 10, new Random(11));
        assertEquals(10, parts.length);
        PartitionChecks.assertExactCover(parts, LABELS.length);
    }

    @Test
    void smallAlphaSkewsLabelsAndLargeAlphaDoesNot() {
        // Mean over clients of the largest class share, averaged over ten seeds. Under Dir(0.1)
        // most of a class lands on one or two clients, so a client's top class dominates it: the
        // numpy reference (partition_dirichlet) gives 0.60 per split with a spread of 0.056, so
        // a ten-seed average stays far above 0.5 (about 5 sigma). Under Dir(100) every client gets
        // about a tenth of every class: 0.115 with a spread of 0.0015, far below 0.2.
        assertTrue(averageLargestShare(0.1) > 0.5);
        assertTrue(averageLargestShare(100) < 0.2);
    }

    private static double averageLargestShare(double alpha) {
        double sum = 0;
        int seeds = 10;
        for (long seed = 0; seed < seeds; seed++) {
            int[][] parts = new DirichletPartitioner(alpha).partition(LABELS, 10, new Random(seed));
            for (int[] part : parts) {
                sum += PartitionChecks.largestClassShare(part, LABELS, 10);
            }
        }
        return sum / (seeds * 10);
    }

    @Test
    void everyClientGetsTheMinimumSize() {
        for (long seed = 0; seed < 5; seed++) {
            int[][] parts = new DirichletPartitioner(0.1, 200).partition(LABELS, 10, new Random(seed));
            for (int[] part : parts) {
                assertTrue(part.length >= 200, "client of " + part.length + " with seed " + seed);
            }
        }
    }

    @Test
    void minimumIsCappedAtAnEvenShare() {
        // 109 examples of one class, 10 clients, minSize 50: only min(50, 109 / 10) = 10 can be
        // required. Alpha 1e6 makes p = 0.1 each to within about 1e-4, so the cuts are
        // floor(10.9 k) = 10, 21, 32, ..., 98 and the sizes are 10 then nine times 11.
        int[] labels = new int[109];
        int[][] parts = new DirichletPartitioner(1e6, 50).partition(labels, 10, new Random(5));
        int[] sizes = Arrays.stream(parts).mapToInt(p -> p.length).toArray();
        assertArrayEquals(new int[] {10, 11, 11, 11, 11, 11, 11, 11, 11, 11}, sizes);
    }

    @Test
    void givesUpWhenTheMinimumCannotBeMet() {
        // 100 examples of one class among 10 clients with at least 10 each needs p = 0.1 each
        // to within 0.01; Dir(0.001) puts nearly all mass on one client, so no draw comes close.
        int[] labels = new int[100];
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DirichletPartitioner(0.001, 10).partition(labels, 10, new Random(0)));
        assertTrue(e.getMessage().contains("1000 tries"), e.getMessage());
    }

    @Test
    void sameSeedSameSplitDifferentSeedDifferentSplit() {
        DirichletPartitioner dirichlet = new DirichletPartitioner(0.5);
        int[][] a = dirichlet.partition(LABELS, 10, new Random(21));
        int[][] b = dirichlet.partition(LABELS, 10, new Random(21));
        int[][] c = dirichlet.partition(LABELS, 10, new Random(22));
        assertTrue(Arrays.deepEquals(a, b));
        assertFalse(Arrays.deepEquals(a, c));
    }

    @Test
    void cutPointsFloorTheCumulativeProportions() {
        // cumsum = 0.25, 0.6, 1.0 over 10 examples: floor(2.5) = 2, floor(6.0) = 6, then 10.
        assertArrayEquals(new int[] {0, 2, 6, 10}, DirichletPartitioner.cutPoints(new double[] {0.25, 0.35, 0.4}, 10));
        // A running sum that rounds past 1 stays at n.
        assertArrayEquals(new int[] {0, 7, 7}, DirichletPartitioner.cutPoints(new double[] {1.0000000000000002, 0}, 7));
    }

    @Test
    void groupsIndicesByAscendingLabel() {
        int[][] byClass = DirichletPartitioner.indicesByClass(new int[] {5, -1, 5, 2, -1});
        assertArrayEquals(new int[][] {{1, 4}, {3}, {0, 2}}, byClass);
    }

    @Test
    void rejectsBadParameters() {
        IllegalArgumentException alpha = assertThrows(IllegalArgumentException.class, () -> new DirichletPartitioner(0));
        assertTrue(alpha.getMessage().endsWith(": 0.0"), alpha.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DirichletPartitioner(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new DirichletPartitioner(Double.POSITIVE_INFINITY));
        IllegalArgumentException min = assertThrows(IllegalArgumentException.class,
                () -> new DirichletPartitioner(1, -3));
        assertTrue(min.getMessage().endsWith(": -3"), min.getMessage());
        assertEquals(DirichletPartitioner.DEFAULT_MIN_SIZE, new DirichletPartitioner(1).minSize());
    }
}
