package io.fedge.data.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Label arrays and structural checks shared by the partitioner tests. */
final class PartitionChecks {

    private PartitionChecks() {
    }

    /** {@code classes} classes of {@code perClass} examples each, interleaved: 0,1,..,9,0,1,... */
    static int[] interleavedLabels(int classes, int perClass) {
        int[] labels = new int[classes * perClass];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % classes;
        }
        return labels;
    }

    /** {@code classes} classes of {@code perClass} examples each, in blocks: 0,0,..,1,1,... */
    static int[] blockLabels(int classes, int perClass) {
        int[] labels = new int[classes * perClass];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i / perClass;
        }
        return labels;
    }

    /** Asserts each part is strictly ascending and every index in {@code [0, n)} appears exactly once. */
    static void assertExactCover(int[][] parts, int n) {
        boolean[] seen = new boolean[n];
        int total = 0;
        for (int[] part : parts) {
            for (int i = 0; i < part.length; i++) {
                assertTrue(i == 0 || part[i - 1] < part[i], "part not strictly ascending");
                assertTrue(!seen[part[i]], "index " + part[i] + " given twice");
                seen[part[i]] = true;
            }
            total += part.length;
        }
        assertEquals(n, total);
    }

    /** The share of a part's examples that carry its most frequent label. */
    static double largestClassShare(int[] part, int[] labels, int classes) {
        int[] counts = new int[classes];
        int max = 0;
        for (int index : part) {
            max = Math.max(max, ++counts[labels[index]]);
        }
        return (double) max / part.length;
    }

    static int distinctLabels(int[] part, int[] labels, int classes) {
        boolean[] present = new boolean[classes];
        int distinct = 0;
        for (int index : part) {
            if (!present[labels[index]]) {
                present[labels[index]] = true;
                distinct++;
            }
        }
        return distinct;
    }
}
