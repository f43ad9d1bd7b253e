package io.fedge.core.model.lean;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Views of ND4J arrays' native memory as float buffers, and bulk copies between float arrays on
 * the Java heap and ND4J arrays, through
 * the arrays' direct buffers: one {@code memcpy} per contiguous run, no INDArray allocated. The
 * lean path does its element-wise work (bias, activations, softmax, loss) on heap copies, where
 * the JIT's loops beat one native call per operation for the sizes fedge's layers have, and
 * keeps the matrix products native.
 */
public final class HostFloats {
    private HostFloats() {
    }

    /**
     * The elements of a contiguous float array {@code a} in its native buffer, in memory order: a
     * buffer of exactly {@code a.length()} values, index 0 at {@code a}'s first element. No copy,
     * no INDArray: writes to it change {@code a}.
     *
     * @throws IllegalArgumentException if {@code a} is not of type FLOAT
     */
    public static FloatBuffer buffer(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalArgumentException("a float array was expected, got " + a.dataType());
        }
        FloatBuffer all = a.data().asNioFloat();
        all.position(Math.toIntExact(a.offset()));
        all.limit(Math.toIntExact(a.offset() + a.length()));
        return all.slice();
    }

    /** Copies the {@code n} elements of a contiguous array, in memory order. */
    static void read(FloatBuffer from, float[] to, int n) {
        from.get(0, to, 0, n);
    }

    /** Writes {@code n} elements into a contiguous array, in memory order. */
    static void write(float[] from, FloatBuffer to, int n) {
        to.put(0, from, 0, n);
    }

    /**
     * The rows of a matrix {@code m} ({@code [rows, cols]}, any strides: a row range of a data
     * set, say) into {@code to} row after row ({@code to[r * cols + c]}).
     */
    static void readRows(INDArray m, float[] to) {
        int rows = (int) m.rows();
        int cols = (int) m.columns();
        long rowStride = m.stride(0);
        long colStride = m.stride(1);
        FloatBuffer all = m.data().asNioFloat();
        long base = m.offset();
        if (colStride == 1) {
            for (int r = 0; r < rows; r++) {
                all.get(Math.toIntExact(base + r * rowStride), to, r * cols, cols);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                to[r * cols + c] = all.get(Math.toIntExact(base + r * rowStride + c * colStride));
            }
        }
    }
}
