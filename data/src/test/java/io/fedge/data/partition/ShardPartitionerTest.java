package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShardPartitionerTest {

    @Test
    void hundredClientsGetTwoShardsOfThreeHundredFromAtMostTwoClasses() {
        // 10 classes x 6000 sorted by construction (MNIST's size): 200 shards of 60000 / 200 = 300,
        // each inside one class (6000 is a multiple of 300), so two shards span at most two classes.
        int[] labels = PartitionChecks.blockLabels(10, 6000);
        int[][] parts = new ShardPartitioner().partition(labels, 100, new Random(4));
        assertEquals(100, parts.length);
        for (int[] part : parts) {
            assertEquals(600, part.length);
            assertTrue(PartitionChecks.distinctLabels(part, labels, 10) <= 2);
        }
        PartitionChecks.assertExactCover(parts, 60000);
    }

    @Test
    void sortsInterleavedLabelsBeforeCutting() {
        // Interleaved labels would make contiguous shards mixed; after the stable sort each
        // shard of 6000 / 200 = 30 again holds a single class.
        int[] labels = PartitionChecks.interleavedLabels(10, 600);
        int[][] parts = new ShardPartitioner().partition(labels, 100, new Random(4));
        for (int[] part : parts) {
            assertTrue(PartitionChecks.distinctLabels(part, labels, 10) <= 2);
        }
    }

    @Test
    void dropsTheRemainderThatFillsNoShard() {
        // 7 examples, 3 clients x 1 shard: shards of 2, the last example in label order is dropped.
        int[] labels = {2, 0, 1, 0, 2, 1, 0};
        int[][] parts = new ShardPartitioner(1).partition(labels, 3, new Random(9));
        // Sorted by label, ties by index: 1 3 6 | 2 5 | 0 4 -> shards {1,3} {6,2} {5,0}; 4 dropped.
        int[][] sortedParts = Arrays.stream(parts).sorted((x, y) -> Integer.compare(x[0], y[0])).toArray(int[][]::new);
        assertArrayEquals(new int[][] {{0, 5}, {1, 3}, {2, 6}}, sortedParts);
    }

    @Test
    void stableOrderKeepsIndexOrderWithinALabel() {
        assertArrayEquals(new int[] {3, 1, 4, 0, 2},
                ShardPartitioner.stableOrderByLabel(new int[] {7, -2, 7, -5, 0}));
    }

    @Test
    void sameSeedSameSplitDifferentSeedDifferentSplit() {
        int[] labels = PartitionChecks.blockLabels(10, 600);
        ShardPartitioner shards = new ShardPartitioner();
        int[][] a = shards.partition(labels, 100, new Random(1));
        int[][] b = shards.partition(labels, 100, new Random(1));
        int[][] c = shards.partition(labels, 100, new Random(2));
        assertTrue(Arrays.deepEquals(a, b));
        assertFalse(Arrays.deepEquals(a, c));
    }

    @Test
    void rejectsMoreShardsThanExamplesAndBadShardCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ShardPartitioner().partition(new int[5], 3, new Random(0)));
        assertTrue(e.getMessage().endsWith(": 6"), e.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> new ShardPartitioner(0));
        assertTrue(zero.getMessage().endsWith(": 0"), zero.getMessage());
    }
}
