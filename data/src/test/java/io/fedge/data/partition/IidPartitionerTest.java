package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IidPartitionerTest {

    private final Partitioner iid = new IidPartitioner();

    @Test
    void splitsSixtyThousandAmongSevenIntoNearlyEqualParts() {
        int[] labels = PartitionChecks.interleavedLabels(10, 6000);
        int[][] parts = iid.partition(labels, 7, new Random(1));
        // 60000 = 7 * 8571 + 3: the first three parts get 8572, the other four 8571.
        int[] sizes = Arrays.stream(parts).mapToInt(p -> p.length).toArray();
        assertArrayEquals(new int[] {8572, 8572, 8572, 8571, 8571, 8571, 8571}, sizes);
        PartitionChecks.assertExactCover(parts, 60000);
    }

    @Test
    void shufflesRatherThanCuttingInOrder() {
        int[][] parts = iid.partition(new int[100], 2, new Random(3));
        // An unshuffled split would give [0, 50) to the first client.
        assertFalse(parts[0][49] == 49 && parts[0][0] == 0);
    }

    @Test
    void sameSeedSameSplitDifferentSeedDifferentSplit() {
        int[] labels = new int[1000];
        int[][] a = iid.partition(labels, 10, new Random(7));
        int[][] b = iid.partition(labels, 10, new Random(7));
        int[][] c = iid.partition(labels, 10, new Random(8));
        assertTrue(Arrays.deepEquals(a, b));
        assertFalse(Arrays.deepEquals(a, c));
    }

    @Test
    void oneClientPerExampleIsAllowed() {
        int[][] parts = iid.partition(new int[3], 3, new Random(0));
        assertEquals(3, parts.length);
        PartitionChecks.assertExactCover(parts, 3);
    }

    @Test
    void rejectsBadClientCounts() {
        int[] labels = new int[5];
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> iid.partition(labels, 0, new Random(0)));
        assertTrue(zero.getMessage().contains(": 0"), zero.getMessage());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> iid.partition(labels, 6, new Random(0)));
        assertTrue(tooMany.getMessage().contains(": 6"), tooMany.getMessage());
        assertThrows(NullPointerException.class, () -> iid.partition(null, 1, new Random(0)));
        assertThrows(NullPointerException.class, () -> iid.partition(labels, 1, null));
    }
}
