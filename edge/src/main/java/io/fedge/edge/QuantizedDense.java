package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A dense layer with int8 weights (one scale per output neuron, symmetric), int32 biases in units
 * of {@code inputScale * weightScale[o]}, an optional ReLU, and the scale of its int8 output
 * ({@link ChannelQuantization}). Weights are stored output-major: {@code w[o * in + i]}.
 */
public final class QuantizedDense implements EdgeLayer {
    static final int TYPE = 1;

    private final int in;
    private final int out;
    private final byte[] weights;
    private final ChannelQuantization quantization;
    /** The weights widened to int once, one array per row: dot products from index 0 vectorize, offset ones do not. */
    private final int[][] wide;
    private final ThreadLocal<int[]> widened;

    public QuantizedDense(int in, int out, byte[] weights, float[] weightScales, int[] biases, float inputScale,
                          float outputScale, boolean relu) {
        this(in, out, weights, new ChannelQuantization(weightScales, biases, inputScale, outputScale, relu));
    }

    QuantizedDense(int in, int out, byte[] weights, ChannelQuantization quantization) {
        if (weights.length != in * out || quantization.channels() != out) {
            throw new IllegalArgumentException("dense " + in + "x" + out + " needs " + in * out + " weights and "
                    + out + " scales and biases");
        }
        this.in = in;
        this.out = out;
        this.weights = weights;
        this.quantization = quantization;
        this.wide = new int[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wide[o][i] = weights[o * in + i];
            }
        }
        this.widened = ThreadLocal.withInitial(() -> new int[in]);
    }

    /** The int8 weights, output-major (a copy). */
    public byte[] weights() {
        return weights.clone();
    }

    public ChannelQuantization quantization() {
        return quantization;
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
        int[] xi = widened.get();
        for (int i = 0; i < in; i++) {
            xi[i] = x[i];
        }
        for (int o = 0; o < out; o++) {
            int acc = quantization.bias(o) + dot(xi, wide[o], in);
            if (logits != null) {
                logits[o] = quantization.logit(o, acc);
            } else {
                y[o] = quantization.requantize(o, acc);
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
            y[o] = quantization.activate(o, acc);
        }
    }

    @Override
    public long storedBytes() {
        return weights.length + quantization.storedBytes();
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(in);
        s.writeInt(out);
        quantization.write(s);
        s.write(weights);
    }

    static QuantizedDense read(DataInputStream s) throws IOException {
        int in = EdgeLayer.checkedSize(s, "dense inputs", 1 << 24);
        int out = EdgeLayer.checkedSize(s, "dense outputs", 1 << 24);
        if ((long) in * out > 1 << 28) {
            throw new IOException("dense layer of " + in + "x" + out + " is too large");
        }
        ChannelQuantization q = ChannelQuantization.read(s, out);
        byte[] w = new byte[in * out];
        s.readFully(w);
        return new QuantizedDense(in, out, w, q);
    }
}
