package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A dense layer with int8 weights (one scale per output neuron, symmetric), int32 biases in units
 * of {@code inputScale * weightScale[o]}, an optional ReLU, and the scale of its int8 output.
 * Weights are stored output-major: {@code w[o * in + i]}.
 */
public final class QuantizedDense implements EdgeLayer {
    static final int TYPE = 1;

    private final int in;
    private final int out;
    private final byte[] weights;
    private final float[] weightScales;
    private final int[] biases;
    private final float inputScale;
    private final float outputScale;
    private final boolean relu;
    /** Float biases for the weight-only path. */
    private final float[] floatBiases;
    /** Per output: inputScale * weightScale / outputScale, the requantization multiplier. */
    private final float[] requantize;
    /** The weights widened to int once, so the dot products vectorize (int8 on disk, int in the inner loop). */
    private final int[][] wide;
    private final ThreadLocal<int[]> widened;

    public QuantizedDense(int in, int out, byte[] weights, float[] weightScales, int[] biases, float inputScale,
                          float outputScale, boolean relu) {
        if (weights.length != in * out || weightScales.length != out || biases.length != out) {
            throw new IllegalArgumentException("dense " + in + "x" + out + " needs " + in * out + " weights and "
                    + out + " scales and biases");
        }
        this.in = in;
        this.out = out;
        this.weights = weights;
        this.weightScales = weightScales;
        this.biases = biases;
        this.inputScale = inputScale;
        this.outputScale = outputScale;
        this.relu = relu;
        this.wide = new int[out][in]; // one array per row: dot products from index 0 vectorize, offset ones do not
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wide[o][i] = weights[o * in + i];
            }
        }
        this.widened = ThreadLocal.withInitial(() -> new int[in]);
        this.floatBiases = new float[out];
        this.requantize = new float[out];
        for (int o = 0; o < out; o++) {
            floatBiases[o] = biases[o] * inputScale * weightScales[o];
            requantize[o] = outputScale > 0 ? inputScale * weightScales[o] / outputScale : 0;
        }
    }

    /** The int8 weights, output-major (a copy). */
    public byte[] weights() {
        return weights.clone();
    }

    public float[] weightScales() {
        return weightScales.clone();
    }

    public int[] biases() {
        return biases.clone();
    }

    public float inputScale() {
        return inputScale;
    }

    public float outputScale() {
        return outputScale;
    }

    @Override
    public int inputSize() {
        return in;
    }

    @Override
    public int outputSize() {
        return out;
    }

    public boolean relu() {
        return relu;
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int[] xi = widened.get();
        for (int i = 0; i < in; i++) {
            xi[i] = x[i];
        }
        for (int o = 0; o < out; o++) {
            int acc = biases[o] + dot(xi, wide[o], in);
            if (logits != null) {
                logits[o] = acc * inputScale * weightScales[o];
            } else {
                y[o] = EdgeLayer.saturate(acc * requantize[o], relu ? 0 : -127);
            }
        }
    }

    private static int dot(int[] a, int[] b, int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Override
    public void forward(float[] x, float[] y) {
        for (int o = 0; o < out; o++) {
            float acc = 0;
            int row = o * in;
            for (int i = 0; i < in; i++) {
                acc += x[i] * weights[row + i];
            }
            float v = acc * weightScales[o] + floatBiases[o];
            y[o] = relu && v < 0 ? 0 : v;
        }
    }

    @Override
    public long storedBytes() {
        return weights.length + 4L * out + 4L * out;
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(in);
        s.writeInt(out);
        s.writeBoolean(relu);
        s.writeFloat(inputScale);
        s.writeFloat(outputScale);
        s.write(weights);
        EdgeLayer.writeScalesAndBiases(s, weightScales, biases);
    }

    static QuantizedDense read(DataInputStream s) throws IOException {
        int in = EdgeLayer.checkedSize(s, "dense inputs", 1 << 24);
        int out = EdgeLayer.checkedSize(s, "dense outputs", 1 << 24);
        if ((long) in * out > 1 << 28) {
            throw new IOException("dense layer of " + in + "x" + out + " is too large");
        }
        boolean relu = s.readBoolean();
        float inScale = EdgeModel.readScale(s);
        float outScale = EdgeModel.readScale(s);
        byte[] w = new byte[in * out];
        s.readFully(w);
        float[] scales = EdgeLayer.readScales(s, out);
        int[] b = EdgeLayer.readInts(s, out);
        return new QuantizedDense(in, out, w, scales, b, inScale, outScale, relu);
    }
}
