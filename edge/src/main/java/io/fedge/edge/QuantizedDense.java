package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A dense layer with int8 weights (one scale per output neuron, symmetric), int32 biases in units
 * of {@code inputScale * weightScale[o]}, an activation, and the scale of its int8 output
 * ({@link ChannelQuantization}). Weights are stored output-major: {@code w[o * in + i]}. It reads
 * any tensor of {@code in} values (an image is flattened channel, row, column). At most
 * {@link EdgeLayer#MAX_FAN_IN} inputs.
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

    /** A dense layer followed by a ReLU ({@code relu}) or nothing. */
    public QuantizedDense(int in, int out, byte[] weights, float[] weightScales, int[] biases, float inputScale,
                          float outputScale, boolean relu) {
        this(in, out, weights, new ChannelQuantization(weightScales, biases, inputScale, outputScale, relu));
    }

    /**
     * @throws IllegalArgumentException if the sizes disagree, there are more than
     *     {@link EdgeLayer#MAX_FAN_IN} inputs, or a bias could overflow the accumulator
     */
    public QuantizedDense(int in, int out, byte[] weights, ChannelQuantization quantization) {
        if (in <= 0 || out <= 0 || (long) in * out != weights.length || quantization.channels() != out) {
            throw new IllegalArgumentException("dense " + in + "x" + out + " needs " + (long) in * out
                    + " weights and " + out + " scales and biases, got " + weights.length + " and "
                    + quantization.channels());
        }
        if (in > MAX_FAN_IN || out > MAX_TENSOR) {
            throw new IllegalArgumentException("dense " + in + "x" + out + ": at most " + MAX_FAN_IN + " inputs and "
                    + MAX_TENSOR + " outputs");
        }
        quantization.checkAccumulator(in);
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
    public int[] inputShape() {
        return new int[] {in};
    }

    @Override
    public int[] outputShape() {
        return new int[] {out};
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

    static QuantizedDense read(DataInputStream s, int format) throws IOException {
        int in = EdgeLayer.checkedSize(s, "dense inputs", MAX_FAN_IN);
        int out = EdgeLayer.checkedSize(s, "dense outputs", MAX_TENSOR);
        if ((long) in * out > 1 << 28) {
            throw new IOException("dense layer of " + in + "x" + out + " is too large");
        }
        ChannelQuantization q = ChannelQuantization.read(s, out, format);
        EdgeLayer.requireBytes(s, (long) in * out, "dense " + in + "x" + out + " weights");
        byte[] w = new byte[in * out];
        s.readFully(w);
        try {
            return new QuantizedDense(in, out, w, q);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
