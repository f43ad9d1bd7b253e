package io.fedge.aggregation.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NormBoundingTest {
    @Test
    void scalesLongUpdatesToTheBoundThenWeighsByExamples() {
        NormBounding nb = new NormBounding(new float[] {1, 1}, 1.0);
        // (3, 4) has norm 5 -> scaled by 1/5 to (0.6, 0.8), weight 1
        nb.accept(RobustTesting.result("a", 1), RobustTesting.chunked(1, new float[] {3, 4}));
        // (0.3, 0.4) has norm 0.5 <= 1 -> unchanged, weight 3
        nb.accept(RobustTesting.result("b", 3), RobustTesting.chunked(1, new float[] {0.3f, 0.4f}));
        // mean: ((0.6 * 1 + 0.3 * 3) / 4, (0.8 * 1 + 0.4 * 3) / 4) = (1.5 / 4, 2 / 4) = (0.375, 0.5); plus (1, 1)
        assertArrayEquals(new float[] {1.375f, 1.5f}, nb.finish(List.of()).orElseThrow(), 1e-6f);
        assertEquals(2, nb.accepted());
        assertEquals(1, nb.clipped());
    }

    @Test
    void scaleAndNorm() {
        assertEquals(1.0, NormBounding.scale(2, 2), 0.0);
        assertEquals(0.5, NormBounding.scale(4, 2), 0.0);
        assertEquals(1.0, NormBounding.scale(0, 2), 0.0);
        // sqrt(1 + 4 + 4 + 16) = 5, across chunks of 2
        assertEquals(5.0, NormBounding.norm(RobustTesting.chunked(2, new float[] {1, 2, 2, 4}), 4), 0.0);
    }

    @Test
    void noUpdatesKeepTheModelAndBadChunksFoldNothing() {
        NormBounding nb = new NormBounding(new float[] {1, 1}, 1.0);
        assertTrue(nb.finish(List.of()).isEmpty());
        NormBounding other = new NormBounding(new float[2], 10.0);
        assertThrows(IllegalArgumentException.class,
                () -> other.accept(RobustTesting.result(0), v -> v.visit(1, new float[] {1, 1}, 2)));
        assertEquals(0, other.accepted());
        other.accept(RobustTesting.result(1), RobustTesting.chunked(2, new float[] {2, -2}));
        assertArrayEquals(new float[] {2, -2}, other.finish(List.of()).orElseThrow(), 0f);
        assertThrows(IllegalArgumentException.class, () -> new NormBounding(new float[1], 0));
        assertThrows(IllegalArgumentException.class, () -> new NormBounding(new float[1], Double.POSITIVE_INFINITY));
    }
}
