package io.fedge.core.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Objects;

/**
 * Grey-scale images with integer class labels, held as the unsigned bytes they were stored in
 * (one byte per pixel, one per label), so a data set costs 1 byte per pixel until a slice of it
 * is turned into an ND4J {@link DataSet}. Immutable and thread-safe.
 */
public final class LabeledImages {
    private final int count;
    private final int rows;
    private final int cols;
    private final int numClasses;
    private final byte[] pixels;
    private final byte[] labels;

    /**
     * @param pixels {@code count * rows * cols} unsigned bytes, image after image, row-major
     * @param labels {@code count} class labels in {@code [0, numClasses)}
     */
    public LabeledImages(int rows, int cols, int numClasses, byte[] pixels, byte[] labels) {
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + rows + "x" + cols);
        }
        if (numClasses <= 1) {
            throw new IllegalArgumentException("numClasses must be at least 2: " + numClasses);
        }
        if ((long) labels.length * rows * cols != pixels.length) {
            throw new IllegalArgumentException(labels.length + " labels but " + pixels.length
                    + " pixels for images of " + rows + "x" + cols);
        }
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i] & 0xFF;
            if (label >= numClasses) {
                throw new IllegalArgumentException("label " + label + " of example " + i
                        + " is not below numClasses " + numClasses);
            }
        }
        this.count = labels.length;
        this.rows = rows;
        this.cols = cols;
        this.numClasses = numClasses;
        this.pixels = pixels;
        this.labels = labels;
    }

    public int size() {
        return count;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The class label of example {@code i}. */
    public int label(int i) {
        return labels[Objects.checkIndex(i, count)] & 0xFF;
    }

    /** All labels, as ints. */
    public int[] labels() {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = labels[i] & 0xFF;
        }
        return out;
    }

    /** The first {@code n} examples (all of them if {@code n >= size()}). */
    public LabeledImages head(int n) {
        int keep = Math.min(n, count);
        int pixelsPerImage = rows * cols;
        byte[] p = new byte[keep * pixelsPerImage];
        System.arraycopy(pixels, 0, p, 0, p.length);
        byte[] l = new byte[keep];
        System.arraycopy(labels, 0, l, 0, keep);
        return new LabeledImages(rows, cols, numClasses, p, l);
    }

    /** All examples as a data set; see {@link #toDataSet(int[])}. */
    public DataSet toDataSet() {
        int[] all = new int[count];
        for (int i = 0; i < count; i++) {
            all[i] = i;
        }
        return toDataSet(all);
    }

    /**
     * The examples at {@code indices}, in that order, as float features of shape
     * {@code [n, rows*cols]} scaled to [0, 1] and one-hot labels of shape {@code [n, numClasses]}.
     */
    public DataSet toDataSet(int[] indices) {
        int n = indices.length;
        int pixelsPerImage = rows * cols;
        float[] x = new float[n * pixelsPerImage];
        float[] y = new float[n * numClasses];
        for (int row = 0; row < n; row++) {
            int example = Objects.checkIndex(indices[row], count);
            int src = example * pixelsPerImage;
            int dst = row * pixelsPerImage;
            for (int p = 0; p < pixelsPerImage; p++) {
                x[dst + p] = (pixels[src + p] & 0xFF) / 255f;
            }
            y[row * numClasses + (labels[example] & 0xFF)] = 1f;
        }
        return new DataSet(
                Nd4j.create(x, new long[] {n, pixelsPerImage}, DataType.FLOAT),
                Nd4j.create(y, new long[] {n, numClasses}, DataType.FLOAT));
    }
}
