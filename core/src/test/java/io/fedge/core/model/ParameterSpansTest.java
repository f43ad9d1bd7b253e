package io.fedge.core.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ParameterSpansTest {
    @Test
    void spansAreSortedAndTouchingOnesMerge() {
        ParameterSpans s = ParameterSpans.of(new int[] {7, 2, 4, 10}, new int[] {2, 2, 0, 1});
        // [2,4), [7,9), [10,11): the empty span at 4 disappears
        assertEquals("[2..4, 7..9, 10..11]", s.toString());
        assertEquals(5, s.count());
        assertEquals(11, s.extent());
        ParameterSpans merged = ParameterSpans.of(new int[] {3, 0}, new int[] {2, 3});
        assertEquals(1, merged.spans());
        assertEquals(0, merged.start(0));
        assertEquals(5, merged.end(0));
        for (int i = 0; i < 12; i++) {
            assertEquals(i == 2 || i == 3 || i == 7 || i == 8 || i == 10, s.contains(i), "coordinate " + i);
        }
    }

    @Test
    void gatherScatterAndZeroTouchOnlyTheSpans() {
        ParameterSpans s = ParameterSpans.of(new int[] {1, 4}, new int[] {2, 1});
        float[] v = {10, 11, 12, 13, 14, 15};
        assertArrayEquals(new float[] {11, 12, 14}, s.gather(v));
        s.scatter(new float[] {-1, -2, -3}, v);
        assertArrayEquals(new float[] {10, -1, -2, 13, -3, 15}, v);
        float[] update = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        s.zero(update, 6); // the second half of a SCAFFOLD update
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 0, 0, 10, 0, 12}, update);
        assertThrows(IllegalArgumentException.class, () -> s.scatter(new float[2], v));
        assertThrows(IllegalArgumentException.class, () -> s.gather(new float[4]), "too short to reach 4");
    }

    @Test
    void overlapsAreRefusedButAUnionMergesThem() {
        assertThrows(IllegalArgumentException.class, () -> ParameterSpans.of(new int[] {0, 2}, new int[] {3, 2}));
        assertThrows(IllegalArgumentException.class, () -> ParameterSpans.of(new int[] {-1}, new int[] {2}));
        ParameterSpans a = ParameterSpans.of(new int[] {0, 10}, new int[] {3, 2});
        ParameterSpans b = ParameterSpans.of(new int[] {2, 20}, new int[] {4, 1});
        ParameterSpans u = a.union(b);
        assertEquals("[0..6, 10..12, 20..21]", u.toString());
        assertEquals(u, b.union(a));
        assertTrue(ParameterSpans.NONE.isEmpty());
        assertEquals(a, a.union(ParameterSpans.NONE));
        assertFalse(u.contains(6));
    }
}
