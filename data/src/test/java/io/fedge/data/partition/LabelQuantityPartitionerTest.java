package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelQuantityPartitionerTest {
    /** 10 classes, 100 examples each, label = index mod 10. */
    private static int[] labels() {
        int[] l = new int[1000];
        for (int i = 0; i < l.length; i++) {
            l[i] = i % 10;
        }
        return l;
    }

    @Test
    void everyClientHoldsExactlyTwoLabelsAndTheFirstIsItsIndexModTen() {
        int[] labels = labels();
        int[][] parts = new LabelQuantityPartitioner(2).partition(labels, 10, new Random(1));
        Set<Integer> seen = new HashSet<>();
        int[] holdersOf = new int[10];
        for (int i = 0; i < parts.length; i++) {
            Set<Integer> own = new HashSet<>();
            for (int x : parts[i]) {
                own.add(labels[x]);
                assertTrue(seen.add(x), "example " + x + " given twice");
            }
            assertEquals(2, own.size(), "client " + i + " holds " + own);
            assertTrue(own.contains(i % 10));
            for (int c : own) {
                holdersOf[c]++;
            }
        }
        // every example of a held label is given out, split as evenly as possible among its holders
        int expected = 0;
        for (int c = 0; c < 10; c++) {
            expected += holdersOf[c] > 0 ? 100 : 0;
        }
        assertEquals(expected, seen.size());
        for (int i = 0; i < parts.length; i++) {
            for (int c = 0; c < 10; c++) {
                int finalC = c;
                long mine = java.util.Arrays.stream(parts[i]).filter(x -> labels[x] == finalC).count();
                if (mine > 0) {
                    assertTrue(mine == 100 / holdersOf[c] || mine == 100 / holdersOf[c] + 1,
                            "client " + i + " has " + mine + " of label " + c + " held by " + holdersOf[c]);
                }
            }
        }
    }

    @Test
    void sameSeedSameSplitAndTooManyLabelsRefused() {
        int[][] a = new LabelQuantityPartitioner(2).partition(labels(), 10, new Random(7));
        int[][] b = new LabelQuantityPartitioner(2).partition(labels(), 10, new Random(7));
        assertTrue(java.util.Arrays.deepEquals(a, b));
        assertThrows(IllegalArgumentException.class,
                () -> new LabelQuantityPartitioner(11).partition(labels(), 10, new Random(1)));
        assertEquals(LabelQuantityPartitioner.class, PartitionSchemes.byName("labels2", 0.5).getClass());
    }
}
