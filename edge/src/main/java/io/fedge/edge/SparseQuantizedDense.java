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
    private final ChannelQuantization quantization;

    private SparseQuantizedDense(int in, int out, int[] rowStart, char[] columns, byte[] values,
                                 ChannelQuantization quantization) {
        this.in = in;
        this.out = out;
        this.rowStart = rowStart;
        this.columns = columns;
        this.values = values;
        this.quantization = quantization;
    }

    /** The sparse form of dense int8 weights {@code w[o * in + i]}, followed by a ReLU ({@code relu}) or nothing. */
    public static SparseQuantizedDense of(int in, int out, byte[] w, float[] weightScales, int[] biases,
                                          float inputScale, float outputScale, boolean relu) {
        return of(in, out, w, new ChannelQuantization(weightScales, biases, inputScale, outputScale, relu));
    }

    /**
     * The sparse form of dense int8 weights {@code w[o * in + i]}.
     *
     * @throws IllegalArgumentException if there are more than 65,536 inputs, the sizes disagree, or a
     *     bias could overflow the accumulator
     */
    public static SparseQuantizedDense of(int in, int out, byte[] w, ChannelQuantization quantization) {
        if (in <= 0 || out <= 0 || in > 65_536 || (long) in * out != w.length || quantization.channels() != out) {
            throw new IllegalArgumentException("sparse dense layers take 1 to 65,536 inputs, in * out weights and out "
                    + "scales: " + in + "x" + out + ", " + w.length + " weights, " + quantization.channels() + " scales");
        }
        quantization.checkAccumulator(in);
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
        return new SparseQuantizedDense(in, out, rowStart, columns, values, quantization);
    }

    /** The same layer with dense weights (for ONNX, which has no sparse Gemm). */
    public QuantizedDense densified() {
        byte[] w = new byte[in * out];
        for (int o = 0; o < out; o++) {
            for (int j = rowStart[o]; j < rowStart[o + 1]; j++) {
                w[o * in + columns[j]] = values[j];
            }
        }
        return new QuantizedDense(in, out, w, quantization);
    }

    public ChannelQuantization quantization() {
        return quantization;
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
    public int[] inputShape() {
        return new int[] {in};
    }

    @Override
    public int[] outputShape() {
        return new int[] {out};
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        for (int o = 0; o < out; o++) {
            int acc = quantization.bias(o);
            for (int j = rowStart[o]; j < rowStart[o + 1]; j++) {
                acc += x[columns[j]] * values[j];
            }
            if (logits != null) {
                logits[o] = quantization.logit(o, acc);
            } else {
                y[o] = quantization.requantize(o, acc);
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
            y[o] = quantization.activate(o, acc);
        }
    }

    @Override
    public long storedBytes() {
        return 3L * values.length + 4L * (out + 1) + quantization.storedBytes();
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(in);
        s.writeInt(out);
        quantization.write(s);
        s.writeInt(values.length);
        for (int r : rowStart) {
            s.writeInt(r);
        }
        for (char c : columns) {
            s.writeChar(c);
        }
        s.write(values);
    }

    static SparseQuantizedDense read(DataInputStream s, int format) throws IOException {
        int in = EdgeLayer.checkedSize(s, "sparse inputs", 65_536);
        int out = EdgeLayer.checkedSize(s, "sparse outputs", 1 << 20);
        ChannelQuantization q = ChannelQuantization.read(s, out, format);
        try {
            q.checkAccumulator(in);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
        int nonZeros = s.readInt();
        if (nonZeros < 0 || (long) nonZeros > (long) in * out) {
            throw new IOException("bad non-zero count " + nonZeros);
        }
        EdgeLayer.requireBytes(s, 4L * (out + 1) + 3L * nonZeros, "sparse layer of " + nonZeros + " weights");
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
        return new SparseQuantizedDense(in, out, rowStart, columns, values, q);
    }
}
