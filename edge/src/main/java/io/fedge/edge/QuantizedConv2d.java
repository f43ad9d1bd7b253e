package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A 2-D convolution, stride 1, "same" zero padding, odd square kernel, with int8 weights (one
 * scale per output channel), int32 biases and an optional ReLU. Weights are stored
 * {@code w[((o * inChannels + c) * k + ky) * k + kx]}, DL4J's layout.
 */
public final class QuantizedConv2d implements EdgeLayer {
    static final int TYPE = 2;
    /** The same layer with its kernels stored sparse: positions (2 bytes) and values of the non-zero weights. */
    static final int TYPE_SPARSE = 5;
    /** Kernels with more zeros than this fraction are stored sparse. */
    private static final double SPARSE_ABOVE = 0.6;

    private final int inChannels;
    private final int outChannels;
    private final int height;
    private final int width;
    private final int kernel;
    private final byte[] weights;
    private final ChannelQuantization quantization;
    /** The weights widened to int once for the inner loops. */
    private final int[] wide;
    /** Per-thread buffers, so an inference allocates nothing here; padding cells are never written and stay zero. */
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final int[] padded;
        final int[][] acc;
        final int[] s0;
        final int[] s1;
        final int[] s2;

        Scratch(int paddedSize, int outChannels, int span) {
            padded = new int[paddedSize];
            acc = new int[outChannels][span];
            s0 = new int[span];
            s1 = new int[span];
            s2 = new int[span];
        }
    }

    public QuantizedConv2d(int inChannels, int outChannels, int height, int width, int kernel, byte[] weights,
                           float[] weightScales, int[] biases, float inputScale, float outputScale, boolean relu) {
        this(inChannels, outChannels, height, width, kernel, weights,
                new ChannelQuantization(weightScales, biases, inputScale, outputScale, relu));
    }

    QuantizedConv2d(int inChannels, int outChannels, int height, int width, int kernel, byte[] weights,
                    ChannelQuantization quantization) {
        if (kernel % 2 != 1 || weights.length != outChannels * inChannels * kernel * kernel
                || quantization.channels() != outChannels) {
            throw new IllegalArgumentException("inconsistent convolution " + inChannels + "->" + outChannels + " k"
                    + kernel);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.height = height;
        this.width = width;
        this.kernel = kernel;
        this.weights = weights;
        this.quantization = quantization;
        this.wide = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            wide[i] = weights[i];
        }
        int pad = kernel / 2;
        int pw = width + 2 * pad;
        int paddedPlane = (height + 2 * pad) * pw + 2 * pad;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(inChannels * paddedPlane, outChannels, height * pw));
    }

    /** The int8 weights, output-major (a copy). */
    public byte[] weights() {
        return weights.clone();
    }

    public ChannelQuantization quantization() {
        return quantization;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int kernel() {
        return kernel;
    }

    @Override
    public int inputSize() {
        return inChannels * height * width;
    }

    @Override
    public int outputSize() {
        return outChannels * height * width;
    }

    /**
     * Integer convolution over a zero-padded copy of the input widened to int, laid out with rows of
     * {@code width + 2 * pad}: each kernel tap is then one long, contiguous multiply-add over the
     * whole plane, which the JIT vectorizes; the padding columns of the result are dropped.
     */
    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int pad = kernel / 2;
        int pw = width + 2 * pad;
        int ph = height + 2 * pad;
        int padded = ph * pw + 2 * pad; // slack: the last row's padding columns read past the plane
        Scratch buffers = scratch.get();
        int[] xp = buffers.padded;
        for (int c = 0; c < inChannels; c++) {
            for (int r = 0; r < height; r++) {
                int src = (c * height + r) * width;
                int dst = c * padded + (r + pad) * pw + pad;
                for (int col = 0; col < width; col++) {
                    xp[dst + col] = x[src + col];
                }
            }
        }
        int span = height * pw; // output rows in the padded width
        int[][] acc = buffers.acc;
        for (int o = 0; o < outChannels; o++) {
            java.util.Arrays.fill(acc[o], quantization.bias(o));
        }
        // One shifted copy of the input per tap, then every output channel adds its multiple of it:
        // both arrays start at index 0, which is what lets C2 vectorize the inner loop.
        if (kernel == 3) {
            accumulate3x3(xp, padded, pw, span, acc, buffers);
        } else {
            accumulate(xp, padded, pw, span, acc);
        }
        requantizeInto(acc, pw, y, logits);
    }

    /**
     * The 3x3 case, one kernel row (three taps) per pass: each accumulator is loaded and stored a
     * third as often as tap by tap, and the three-term loop still vectorizes (nine terms do not).
     */
    private void accumulate3x3(int[] xp, int padded, int pw, int span, int[][] acc, Scratch buffers) {
        int[] s0 = buffers.s0;
        int[] s1 = buffers.s1;
        int[] s2 = buffers.s2;
        for (int c = 0; c < inChannels; c++) {
            int plane = c * padded;
            for (int ky = 0; ky < 3; ky++) {
                int from = plane + ky * pw;
                System.arraycopy(xp, from, s0, 0, span);
                System.arraycopy(xp, from + 1, s1, 0, span);
                System.arraycopy(xp, from + 2, s2, 0, span);
                for (int o = 0; o < outChannels; o++) {
                    int at = ((o * inChannels + c) * 3 + ky) * 3;
                    row3(acc[o], s0, s1, s2, wide[at], wide[at + 1], wide[at + 2], span);
                }
            }
        }
    }

    private static void row3(int[] a, int[] s0, int[] s1, int[] s2, int w0, int w1, int w2, int n) {
        for (int i = 0; i < n; i++) {
            a[i] += w0 * s0[i] + w1 * s1[i] + w2 * s2[i];
        }
    }

    private void accumulate(int[] xp, int padded, int pw, int span, int[][] acc) {
        int[] shifted = new int[span];
        for (int c = 0; c < inChannels; c++) {
            int plane = c * padded;
            for (int ky = 0; ky < kernel; ky++) {
                for (int kx = 0; kx < kernel; kx++) {
                    System.arraycopy(xp, plane + ky * pw + kx, shifted, 0, span);
                    for (int o = 0; o < outChannels; o++) {
                        int w = wide[((o * inChannels + c) * kernel + ky) * kernel + kx];
                        if (w != 0) {
                            multiplyAdd(acc[o], shifted, w, span);
                        }
                    }
                }
            }
        }
    }

    private void requantizeInto(int[][] acc, int pw, byte[] y, float[] logits) {
        for (int o = 0; o < outChannels; o++) {
            int[] a = acc[o];
            for (int r = 0; r < height; r++) {
                int src = r * pw;
                int dst = (o * height + r) * width;
                if (logits != null) {
                    for (int col = 0; col < width; col++) {
                        logits[dst + col] = quantization.logit(o, a[src + col]);
                    }
                } else {
                    for (int col = 0; col < width; col++) {
                        y[dst + col] = quantization.requantize(o, a[src + col]);
                    }
                }
            }
        }
    }

    /** {@code acc[i] += w * x[i]}: a loop C2 vectorizes, both arrays indexed from 0. */
    private static void multiplyAdd(int[] acc, int[] x, int w, int n) {
        for (int i = 0; i < n; i++) {
            acc[i] += w * x[i];
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        int pad = kernel / 2;
        int plane = height * width;
        for (int o = 0; o < outChannels; o++) {
            int base = o * plane;
            java.util.Arrays.fill(y, base, base + plane, 0f);
            for (int c = 0; c < inChannels; c++) {
                int inPlane = c * plane;
                for (int ky = 0; ky < kernel; ky++) {
                    for (int kx = 0; kx < kernel; kx++) {
                        float w = weights[((o * inChannels + c) * kernel + ky) * kernel + kx] * quantization.weightScale(o);
                        int dy = ky - pad;
                        int dx = kx - pad;
                        for (int r = Math.max(0, -dy); r < Math.min(height, height - dy); r++) {
                            int src = inPlane + (r + dy) * width + dx;
                            int dst = base + r * width;
                            for (int col = Math.max(0, -dx); col < Math.min(width, width - dx); col++) {
                                y[dst + col] += w * x[src + col];
                            }
                        }
                    }
                }
            }
            for (int p = base; p < base + plane; p++) {
                y[p] = quantization.biasAndActivate(o, y[p]);
            }
        }
    }

    private int nonZeros() {
        int n = 0;
        for (byte w : weights) {
            n += w != 0 ? 1 : 0;
        }
        return n;
    }

    private boolean storedSparse() {
        return weights.length <= 65_536 && nonZeros() < (1 - SPARSE_ABOVE) * weights.length;
    }

    @Override
    public long storedBytes() {
        return (storedSparse() ? 4L + 3L * nonZeros() : weights.length) + quantization.storedBytes();
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        boolean sparse = storedSparse();
        s.writeByte(sparse ? TYPE_SPARSE : TYPE);
        s.writeInt(inChannels);
        s.writeInt(outChannels);
        s.writeInt(height);
        s.writeInt(width);
        s.writeInt(kernel);
        quantization.write(s);
        if (sparse) {
            s.writeInt(nonZeros());
            for (int i = 0; i < weights.length; i++) {
                if (weights[i] != 0) {
                    s.writeChar(i);
                    s.writeByte(weights[i]);
                }
            }
        } else {
            s.write(weights);
        }
    }

    static QuantizedConv2d read(DataInputStream s) throws IOException {
        return read(s, false);
    }

    static QuantizedConv2d readSparse(DataInputStream s) throws IOException {
        return read(s, true);
    }

    private static QuantizedConv2d read(DataInputStream s, boolean sparse) throws IOException {
        int in = EdgeLayer.checkedSize(s, "input channels", 1 << 16);
        int out = EdgeLayer.checkedSize(s, "output channels", 1 << 16);
        int h = EdgeLayer.checkedSize(s, "height", 1 << 14);
        int w = EdgeLayer.checkedSize(s, "width", 1 << 14);
        int k = EdgeLayer.checkedSize(s, "kernel", 63);
        if ((long) in * out * k * k > 1 << 28 || (long) out * h * w > 1 << 28) {
            throw new IOException("convolution too large");
        }
        ChannelQuantization q = ChannelQuantization.read(s, out);
        byte[] weights = new byte[out * in * k * k];
        if (sparse) {
            int nonZeros = s.readInt();
            if (nonZeros < 0 || nonZeros > weights.length || weights.length > 65_536) {
                throw new IOException("bad sparse kernel of " + nonZeros + " weights");
            }
            int previous = -1;
            for (int j = 0; j < nonZeros; j++) {
                int at = s.readChar();
                if (at <= previous || at >= weights.length) {
                    throw new IOException("sparse kernel position " + at + " out of order or range");
                }
                weights[at] = s.readByte();
                previous = at;
            }
        } else {
            s.readFully(weights);
        }
        try {
            return new QuantizedConv2d(in, out, h, w, k, weights, q);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
