package io.fedge.data;

import io.fedge.core.metrics.Task;
import io.fedge.core.model.InputShape;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ExamplesTest {
    private static final Examples BYTES = Examples.ofBytes(new InputShape.Image(1, 1, 2),
            new byte[] {0, (byte) 255, 51, 102, 1, 2}, new ClassLabels(List.of("a", "b", "c"), new int[] {2, 0, 1}),
            null);

    @Test
    void bytesBecomeFloatsInZeroOneAndLabelsOneHot() {
        DataSet d = BYTES.toDataSet(new int[] {1, 0});
        assertArrayEquals(new float[] {0.2f, 0.4f}, d.getFeatures().getRow(0).toFloatVector(), 0f);
        assertArrayEquals(new float[] {0f, 1f}, d.getFeatures().getRow(1).toFloatVector(), 0f);
        assertArrayEquals(new float[] {1, 0, 0}, d.getLabels().getRow(0).toFloatVector(), 0f);
        assertArrayEquals(new float[] {0, 0, 1}, d.getLabels().getRow(1).toFloatVector(), 0f);
        assertArrayEquals(new long[] {2, 2}, d.getFeatures().shape());
    }

    @Test
    void regressionTargetsAreTheLabelRows() {
        Examples e = Examples.ofFloats(new InputShape.Vector(1), new float[] {5, 6},
                new RegressionTargets(List.of("u", "v"), new float[] {1, 2, 3, 4}), null);
        assertEquals(Task.REGRESSION, e.task());
        assertEquals(2, e.outputs());
        DataSet d = e.toDataSet();
        assertArrayEquals(new float[] {3, 4}, d.getLabels().getRow(1).toFloatVector(), 0f);
        assertThrows(IllegalStateException.class, e::classLabels);
        assertThrows(IllegalStateException.class, () -> e.byteFeature(0, 0));
    }

    @Test
    void selectAndHeadCopyTheChosenExamplesInOrder() {
        Examples s = BYTES.select(new int[] {2, 2, 0});
        assertArrayEquals(new int[] {1, 1, 2}, s.classLabels().labels());
        assertEquals(2, s.byteFeature(0, 1));
        assertEquals(2, BYTES.head(2).size());
        assertEquals(3, BYTES.head(99).size());
        assertThrows(IndexOutOfBoundsException.class, () -> BYTES.select(new int[] {3}));
    }

    @Test
    void inconsistentPartsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Examples.ofBytes(new InputShape.Vector(3), new byte[4],
                ClassLabels.numbered(2, new int[] {0}), null));
        assertThrows(IllegalArgumentException.class, () -> new ClassLabels(List.of("a", "a"), new int[0]));
        assertThrows(IllegalArgumentException.class, () -> new ClassLabels(List.of("a"), new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new RegressionTargets(List.of("y"), new float[] {Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> new RegressionTargets(List.of("y", "z"), new float[3]));
        assertThrows(IllegalArgumentException.class, () -> Examples.ofBytes(new InputShape.Vector(1), new byte[1],
                ClassLabels.numbered(2, new int[] {0}), new NaturalClients(List.of("a"), new int[] {0, 0})));
    }
}
