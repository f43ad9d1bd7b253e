package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A dense layer whose int8 weights are mostly zero (after unstructured pruning), stored compactly
 * in compressed sparse rows: per output neuron, the positions (2 bytes each) and values (1 byte
 * each) of its non-zero weights; scales, biases and requantization as {@link QuantizedDense}.
 * Stored size: {@code 3 * nonZeros + 4 * (out + 1) + 8 * out} bytes against {@code in * out + 8 * out}.
 */
public final class SparseQuantizedDense implements EdgeLayer {
    static final int TYPE = 4;

    private final int in;
    private final int out;
    private final int[] rowStart;
    private final char[] columns;
    private final byte[] values;
    private final float[] weightScales;
    private final int[] biases;
    private final float inputScale;
    private final float outputScale;
    private final boolean relu;
    private final float[] requantize;

    private SparseQuantizedDense(int in, int out, int[] rowStart, char[] columns, byte[] values, float[] weightScales,
                                 int[] biases, float inputScale, float outputScale, boolean relu) {
        this.in = in;
        this.out = out;
        this.rowStart = rowStart;
        this.columns = columns;
        this.values = values;
        this.weightScales = weightScales;
        this.biases = biases;
        this.inputScale = inputScale;
        this.outputScale = outputScale;
        this.relu = relu;
        this.requantize = new float[out];
        for (int o = 0; o < out; o++) {
            requantize[o] = outputScale > 0 ? inputScale * weightScales[o] / outputScale : 0;
        }
    }

    /** The sparse form of dense int8 weights {@code w[o * in + i]}. */
    public static SparseQuantizedDense of(int in, int out, byte[] w, float[] weightScales, int[] biases,
                                          float inputScale, float outputScale, boolean relu) {
        if (in > 65_536 || w.length != in * out) {
            throw new IllegalArgumentException("sparse dense layers take up to 65,536 inputs and in * out weights");
        }
        int nonZeros = 0;
        for (byte b : w) {
            nonZeros += b != 0 ? 1 : 0;
        }
        int[] rowStart = new int[out + 1];
        char[] columns = new char[nonZeros];
        byte[] values = new byte[nonZeros];
        int n = 0;
        for (int o = 0; o < out; o++) {
            rowStart[o] = n;
            for (int i = 0; i < in; i++) {
                byte v = w[o * in + i];
                if (v != 0) {
                    columns[n] = (char) i;
                    values[n++] = v;
                }
            }
        }
        rowStart[out] = n;
        return new SparseQuantizedDense(in, out, rowStart, columns, values, weightScales.clone(), biases.clone(),
                inputScale, outputScale, relu);
    }

    /** The same layer with dense weights (for ONNX, which has no sparse Gemm). */
    public QuantizedDense densified() {
        byte[] w = new byte[in * out];
        for (int o = 0; o < out; o++) {
            for (int j = rowStart[o]; j < rowStart[o + 1]; j++) {
                w[o * in + columns[j]] = values[j];
            }
        }
        return new QuantizedDense(in, out, w, weightScales.clone(), biases.clone(), inputScale, outputScale, relu);
    }

    public int nonZeros() {
        return values.length;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int outputSize() {
        return out;
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        for (int o = 0; o < out; o++) {
            int acc = biases[o];
            for (int j = rowStart[o]; j < rowStart[o + 1]; j++) {
                acc += x[columns[j]] * values[j];
            }
            if (logits != null) {
                logits[o] = acc * inputScale * weightScales[o];
            } else {
                y[o] = EdgeLayer.saturate(acc * requantize[o], relu ? 0 : -127);
            }
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        for (int o = 0; o < out; o++) {
            float acc = 0;
            for (int j = rowStart[o]; j < rowStart[o + 1]; j++) {
                acc += x[columns[j]] * values[j];
            }
            float v = acc * weightScales[o] + biases[o] * inputScale * weightScales[o];
            y[o] = relu && v < 0 ? 0 : v;
        }
    }

    @Override
    public long storedBytes() {
        return 3L * values.length + 4L * (out + 1) + 8L * out;
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(in);
        s.writeInt(out);
        s.writeBoolean(relu);
        s.writeFloat(inputScale);
        s.writeFloat(outputScale);
        s.writeInt(values.length);
        for (int r : rowStart) {
            s.writeInt(r);
        }
        for (char c : columns) {
            s.writeChar(c);
        }
        s.write(values);
        EdgeLayer.writeScalesAndBiases(s, weightScales, biases);
    }

    static SparseQuantizedDense read(DataInputStream s) throws IOException {
        int in = EdgeLayer.checkedSize(s, "sparse inputs", 65_536);
        int out = EdgeLayer.checkedSize(s, "sparse outputs", 1 << 20);
        boolean relu = s.readBoolean();
        float inScale = EdgeModel.readScale(s);
        float outScale = EdgeModel.readScale(s);
        int nonZeros = s.readInt();
        if (nonZeros < 0 || (long) nonZeros > (long) in * out) {
            throw new IOException("bad non-zero count " + nonZeros);
        }
        int[] rowStart = new int[out + 1];
        for (int o = 0; o <= out; o++) {
            rowStart[o] = s.readInt();
            if (rowStart[o] < 0 || rowStart[o] > nonZeros || (o > 0 && rowStart[o] < rowStart[o - 1])) {
                throw new IOException("bad row start " + rowStart[o]);
            }
        }
        if (rowStart[0] != 0 || rowStart[out] != nonZeros) {
            throw new IOException("row starts do not span the non-zeros");
        }
        char[] columns = new char[nonZeros];
        for (int j = 0; j < nonZeros; j++) {
            columns[j] = s.readChar();
            if (columns[j] >= in) {
                throw new IOException("column " + (int) columns[j] + " outside " + in + " inputs");
            }
        }
        byte[] values = new byte[nonZeros];
        s.readFully(values);
        float[] scales = EdgeLayer.readScales(s, out);
        int[] b = EdgeLayer.readInts(s, out);
        return new SparseQuantizedDense(in, out, rowStart, columns, values, scales, b, inScale, outScale, relu);
    }
}
