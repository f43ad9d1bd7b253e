package io.fedge.core.model.lean;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * One native buffer for a layer's batch of activations or of their gradients, allocated once for
 * the largest batch and seen, for each batch size {@code n}, as a contiguous array over its first
 * elements: column-major {@code [n, width]} for dense layers (BLAS takes it as it is, leading
 * dimension {@code n}), row-major {@code [n, C, H, W]} for images. A last, smaller batch needs no
 * other buffer. The arrays for the last two batch sizes are kept (a training alternates between
 * the full batch and the epoch's remainder).
 */
final class BatchBuffer {
    private final long[] example;
    private final long perExample;
    private final char order;
    private DataBuffer buffer;
    private FloatBuffer host;
    private int capacity;
    private int rowsA = -1;
    private INDArray arrayA;
    private int rowsB = -1;
    private INDArray arrayB;

    private BatchBuffer(char order, long... example) {
        this.order = order;
        this.example = example.clone();
        long size = 1;
        for (long d : example) {
            size *= d;
        }
        this.perExample = size;
    }

    /** Column-major {@code [n, width]} arrays. */
    static BatchBuffer columns(long width) {
        return new BatchBuffer('f', width);
    }

    /** Row-major {@code [n, width]} arrays. */
    static BatchBuffer rowMajor(long width) {
        return new BatchBuffer('c', width);
    }

    /** Row-major {@code [n, channels, height, width]} arrays. */
    static BatchBuffer images(long channels, long height, long width) {
        return new BatchBuffer('c', channels, height, width);
    }

    /** The values one example takes. */
    long perExample() {
        return perExample;
    }

    /** The array for {@code n} examples over this buffer. */
    INDArray rows(int n) {
        if (n == rowsA) {
            return arrayA;
        }
        if (n == rowsB) {
            INDArray a = arrayB;
            arrayB = arrayA;
            rowsB = rowsA;
            arrayA = a;
            rowsA = n;
            return a;
        }
        if (n > capacity) {
            INDArray whole = Nd4j.create(DataType.FLOAT, n * perExample);
            buffer = whole.data();
            host = HostFloats.buffer(whole);
            capacity = n;
            rowsB = -1;
            arrayA = null;
        }
        long[] shape = new long[example.length + 1];
        shape[0] = n;
        System.arraycopy(example, 0, shape, 1, example.length);
        long[] stride = new long[shape.length];
        if (order == 'f') {
            stride[0] = 1;
            stride[1] = n;
        } else {
            long s = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                stride[d] = s;
                s *= shape[d];
            }
        }
        INDArray a = Nd4j.create(buffer, shape, stride, 0, order);
        arrayB = arrayA;
        rowsB = arrayA == null ? -1 : rowsA;
        arrayA = a;
        rowsA = n;
        return a;
    }

    /** The buffer's elements from the first, for bulk copies of {@link #rows}'s array in memory order. */
    FloatBuffer host() {
        return host;
    }
}
