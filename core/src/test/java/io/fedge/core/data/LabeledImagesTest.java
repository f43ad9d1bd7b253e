package io.fedge.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class LabeledImagesTest {
    private static final float EPS = 1e-7f;

    /**
     * Three 2x2 images with pixel values that are multiples of 51, so each scales to a short
     * decimal: 0 -> 0, 51 -> 0.2, 102 -> 0.4, 153 -> 0.6, 204 -> 0.8, 255 -> 1.
     */
    private static LabeledImages three() {
        byte[] pixels = {
                0, 51, 102, (byte) 153,          // image 0, label 2
                (byte) 204, (byte) 255, 0, 51,   // image 1, label 0
                (byte) 255, 102, (byte) 204, 0,  // image 2, label 1
        };
        return new LabeledImages(2, 2, 3, pixels, new byte[] {2, 0, 1});
    }

    private static float[][] matrix(INDArray a) {
        return a.toFloatMatrix();
    }

    @Test
    void selectedExamplesComeOutScaledAndOneHotInTheGivenOrder() {
        DataSet ds = three().toDataSet(new int[] {2, 0});

        assertArrayEquals(new long[] {2, 4}, ds.getFeatures().shape());
        assertArrayEquals(new long[] {2, 3}, ds.getLabels().shape());
        assertEquals(DataType.FLOAT, ds.getFeatures().dataType());
        float[][] x = matrix(ds.getFeatures());
        assertArrayEquals(new float[] {1.0f, 0.4f, 0.8f, 0.0f}, x[0], EPS); // image 2
        assertArrayEquals(new float[] {0.0f, 0.2f, 0.4f, 0.6f}, x[1], EPS); // image 0
        float[][] y = matrix(ds.getLabels());
        assertArrayEquals(new float[] {0, 1, 0}, y[0], 0f); // label 1
        assertArrayEquals(new float[] {0, 0, 1}, y[1], 0f); // label 2
    }

    @Test
    void anIndexMayRepeat() {
        DataSet ds = three().toDataSet(new int[] {1, 1});
        float[][] x = matrix(ds.getFeatures());
        assertArrayEquals(new float[] {0.8f, 1.0f, 0.0f, 0.2f}, x[0], EPS);
        assertArrayEquals(x[0], x[1], 0f);
        assertArrayEquals(new float[] {1, 0, 0}, matrix(ds.getLabels())[1], 0f);
    }

    @Test
    void wholeDataSetIsEveryExampleInOrder() {
        DataSet ds = three().toDataSet();
        assertEquals(3, ds.numExamples());
        float[][] x = matrix(ds.getFeatures());
        assertEquals(0.6f, x[0][3], EPS);
        assertEquals(1.0f, x[1][1], EPS);
        assertEquals(0.8f, x[2][2], EPS);
        float[][] y = matrix(ds.getLabels());
        assertArrayEquals(new float[] {0, 0, 1}, y[0], 0f);
        assertArrayEquals(new float[] {1, 0, 0}, y[1], 0f);
        assertArrayEquals(new float[] {0, 1, 0}, y[2], 0f);
    }

    @Test
    void labelsAndHeadReadTheUnsignedBytes() {
        LabeledImages images = three();
        assertArrayEquals(new int[] {2, 0, 1}, images.labels());
        assertEquals(1, images.label(2));
        assertEquals(3, images.size());

        LabeledImages head = images.head(2);
        assertEquals(2, head.size());
        assertArrayEquals(new int[] {2, 0}, head.labels());
        assertArrayEquals(new float[] {0.8f, 1.0f, 0.0f, 0.2f}, matrix(head.toDataSet(new int[] {1}).getFeatures())[0],
                EPS);
        assertEquals(3, images.head(10).size());
    }

    @Test
    void labelAbove127IsReadUnsigned() {
        // Byte 0xC8 is 200 unsigned; as a signed byte it would be -56 and slip under numClasses.
        LabeledImages images = new LabeledImages(1, 1, 201, new byte[] {7}, new byte[] {(byte) 200});
        assertEquals(200, images.label(0));
        float[][] y = matrix(images.toDataSet(new int[] {0}).getLabels());
        assertEquals(1f, y[0][200], 0f);
        assertEquals(1f, sum(y[0]), 0f);
    }

    @Test
    void refusesLabelNotBelowNumClasses() {
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(1, 1, 3, new byte[] {0, 0}, new byte[] {2, 3}));
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(1, 1, 10, new byte[] {0}, new byte[] {(byte) 0x80}));
    }

    @Test
    void refusesInconsistentSizes() {
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(2, 2, 3, new byte[7], new byte[2]));
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(0, 2, 3, new byte[0], new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new LabeledImages(2, 2, 1, new byte[4], new byte[1]));
    }

    @Test
    void refusesIndexOutOfRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> three().toDataSet(new int[] {0, 3}));
        assertThrows(IndexOutOfBoundsException.class, () -> three().toDataSet(new int[] {-1}));
        assertThrows(IndexOutOfBoundsException.class, () -> three().label(3));
    }

    private static float sum(float[] v) {
        float s = 0;
        for (float f : v) {
            s += f;
        }
        return s;
    }
}
