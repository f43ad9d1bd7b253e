package io.fedge.export;

import io.fedge.core.model.InputShape;
import io.fedge.core.model.ModelPresets;
import io.fedge.core.model.Network;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a network reads and predicts, from its configuration and one forward pass, and as its data hold it. */
class ClassifierShapeTest {
    @Test
    void theShapeComesFromTheNetwork() {
        assertEquals(new ClassifierShape(new InputShape.Vector(30), 2), ClassifierShape.of(Network.fromJson(
                ModelPresets.byName("mlp", 1, 0.1, new InputShape.Vector(30), 2).toJson())));
        assertEquals(new ClassifierShape(new InputShape.Image(3, 16, 16), 5), ClassifierShape.of(Network.fromJson(
                ModelPresets.byName("cnn", 1, 0.1, new InputShape.Image(3, 16, 16), 5).toJson())));
    }

    @Test
    void imagesOfAsManyValuesAsAVectorTeacherReadsAreTakenAsImages() {
        ClassifierShape mlp = new ClassifierShape(new InputShape.Vector(784), 10);
        assertEquals(new ClassifierShape(InputShape.FASHION_MNIST, 10), mlp.withData(InputShape.FASHION_MNIST));
        assertSame(mlp, mlp.withData(null));
        ClassifierShape cnn = new ClassifierShape(InputShape.FASHION_MNIST, 10);
        assertSame(cnn, cnn.withData(new InputShape.Vector(784)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cnn.withData(new InputShape.Image(4, 14, 14)));
        assertEquals("the data are 4x14x14 images (784 values), the teacher reads 1x28x28 images (784 values)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> mlp.withData(new InputShape.Vector(30)));
        assertEquals("the data are vectors of 30 values, the teacher reads vectors of 784 values", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClassifierShape(new InputShape.Vector(3), 1));
        assertTrue(cnn.admits(new ClassifierShape(new InputShape.Vector(784), 10)), "an MLP student on the pixels");
        assertTrue(cnn.admits(cnn));
        assertFalse(cnn.admits(new ClassifierShape(new InputShape.Image(4, 14, 14), 10)), "another image");
        assertFalse(cnn.admits(new ClassifierShape(InputShape.FASHION_MNIST, 5)), "other classes");
        assertFalse(mlp.admits(new ClassifierShape(new InputShape.Vector(30), 10)), "other sizes");
    }
}
