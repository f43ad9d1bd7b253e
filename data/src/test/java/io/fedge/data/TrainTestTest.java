package io.fedge.data;

import io.fedge.core.model.InputShape;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainTestTest {
    private static Examples named(List<String> names, int... labels) {
        return Examples.ofFloats(new InputShape.Vector(1), new float[labels.length], new ClassLabels(names, labels),
                null);
    }

    @Test
    void theTestSetIsRelabelledAgainstTheTrainingClasses() {
        Examples train = named(List.of("ant", "bee", "cat"), 0, 1, 2);
        Examples test = named(List.of("cat", "bee"), 0, 1, 0);
        TrainTest pair = TrainTest.aligned(train, test);
        assertEquals(List.of("ant", "bee", "cat"), pair.test().outputNames());
        assertArrayEquals(new int[] {2, 1, 2}, pair.test().classLabels().labels());
    }

    @Test
    void aTestClassTheTrainingSetLacksIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainTest.aligned(named(List.of("a", "b"), 0, 1), named(List.of("c"), 0)));
        assertTrue(e.getMessage().contains("class 'c', which the training set lacks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainTest.aligned(named(List.of("a"), 0, 0), null));
        Examples image = Examples.ofFloats(new InputShape.Image(1, 1, 1), new float[1],
                new ClassLabels(List.of("a", "b"), new int[] {0}), null);
        assertThrows(IllegalArgumentException.class, () -> TrainTest.aligned(named(List.of("a", "b"), 0, 1), image));
    }

    @Test
    void aSeededSplitIsDisjointCompleteAndRepeatable() {
        int n = 101;
        int[] labels = new int[n];
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            x[i] = i;
        }
        Examples all = Examples.ofFloats(new InputShape.Vector(1), x, ClassLabels.numbered(2, labels), null);
        TrainTest a = TrainTest.split(all, 0.2, 5);
        TrainTest b = TrainTest.split(all, 0.2, 5);
        assertEquals(20, a.test().size()); // round(0.2 * 101)
        assertEquals(81, a.train().size());
        Set<Float> seen = new HashSet<>();
        float previous = -1;
        for (Examples part : List.of(a.train(), a.test())) {
            previous = -1;
            for (int i = 0; i < part.size(); i++) {
                assertTrue(seen.add(part.feature(i, 0)));
                assertTrue(part.feature(i, 0) > previous, "each part keeps the file's order");
                previous = part.feature(i, 0);
            }
        }
        assertEquals(n, seen.size());
        assertArrayEquals(a.test().toDataSet().getFeatures().data().asFloat(),
                b.test().toDataSet().getFeatures().data().asFloat(), 0f);
        float[] other = TrainTest.split(all, 0.2, 6).test().toDataSet().getFeatures().data().asFloat();
        assertTrue(!Arrays.equals(other, a.test().toDataSet().getFeatures().data().asFloat()));
        assertThrows(IllegalArgumentException.class, () -> TrainTest.split(all, 1, 5));
        assertThrows(IllegalArgumentException.class, () -> TrainTest.split(all.head(1), 0.5, 5));
    }
}
