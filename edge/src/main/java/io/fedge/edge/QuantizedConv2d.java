package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * A 2-D convolution with int8 weights (one scale per output channel), int32 biases and an
 * activation; any kernel, stride and zero padding a {@link Window2d} describes (DL4J's
 * {@code Same} and {@code Truncate} modes), no dilation, no groups. Weights are stored
 * {@code w[((o * inChannels + c) * kernelHeight + ky) * kernelWidth + kx]}, DL4J's layout. At most
 * {@link EdgeLayer#MAX_FAN_IN} products per output ({@code inChannels * kernelHeight * kernelWidth}).
 */
public final class QuantizedConv2d implements EdgeLayer {
    static final int TYPE = 2;
    /** The same layer with its kernels stored sparse: positions (2 bytes) and values of the non-zero weights. */
    static final int TYPE_SPARSE = 5;
    /** Kernels with more zeros than this fraction are stored sparse. */
    private static final double SPARSE_ABOVE = 0.6;

    private final int inChannels;
    private final int outChannels;
    private final Window2d window;
    private final byte[] weights;
    private final ChannelQuantization quantization;
    /** The weights widened to int once for the inner loops. */
    private final int[] wide;
    /** Columns of the zero-padded input plane. */
    private final int paddedWidth;
    /** Ints per channel of the padded input: the padded plane plus slack for the last row's taps. */
    private final int paddedPlane;
    /** Accumulator cells between two output rows: the padded width at stride 1, the output width otherwise. */
    private final int rowStride;
    /** Accumulator cells per output channel. */
    private final int span;
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

    /** A stride-1 "same" convolution with an odd square kernel, followed by a ReLU ({@code relu}) or nothing. */
    public QuantizedConv2d(int inChannels, int outChannels, int height, int width, int kernel, byte[] weights,
                           float[] weightScales, int[] biases, float inputScale, float outputScale, boolean relu) {
        this(inChannels, outChannels, oddSame(height, width, kernel), weights,
                new ChannelQuantization(weightScales, biases, inputScale, outputScale, relu));
    }

    /**
     * @throws IllegalArgumentException if the weights or scales do not fit the shapes, there are
     *     more than {@link EdgeLayer#MAX_CHANNELS} channels, the fan-in or output is too large, or a
     *     bias could overflow the accumulator
     */
    public QuantizedConv2d(int inChannels, int outChannels, Window2d window, byte[] weights,
                           ChannelQuantization quantization) {
        this.window = java.util.Objects.requireNonNull(window, "window");
        if (inChannels <= 0 || outChannels <= 0 || inChannels > MAX_CHANNELS || outChannels > MAX_CHANNELS) {
            throw new IllegalArgumentException("convolution channels must be 1 to " + MAX_CHANNELS + ": " + inChannels
                    + " -> " + outChannels);
        }
        long fanIn = (long) inChannels * window.kernelHeight() * window.kernelWidth();
        if (fanIn > MAX_FAN_IN) {
            throw new IllegalArgumentException("convolution sums " + fanIn + " products per output, at most "
                    + MAX_FAN_IN);
        }
        if (weights.length != outChannels * fanIn || quantization.channels() != outChannels) {
            throw new IllegalArgumentException("convolution " + inChannels + " -> " + outChannels + " with "
                    + window.kernelHeight() + "x" + window.kernelWidth() + " kernels needs " + outChannels * fanIn
                    + " weights and " + outChannels + " scales, got " + weights.length + " and "
                    + quantization.channels());
        }
        if ((long) inChannels * window.inHeight() * window.inWidth() > MAX_TENSOR
                || (long) outChannels * window.outHeight() * window.outWidth() > MAX_TENSOR) {
            throw new IllegalArgumentException("convolution tensors over " + MAX_TENSOR + " values");
        }
        quantization.checkAccumulator(fanIn);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.weights = weights;
        this.quantization = quantization;
        this.wide = new int[weights.length];
        for (int i = 0; i < weights.length; i++) {
            wide[i] = weights[i];
        }
        this.paddedWidth = window.inWidth() + window.padLeft() + window.padRight();
        int paddedHeight = window.inHeight() + window.padTop() + window.padBottom();
        this.paddedPlane = paddedHeight * paddedWidth + window.kernelWidth() - 1;
        this.rowStride = unitStride() ? paddedWidth : window.outWidth();
        this.span = window.outHeight() * rowStride;
        int paddedSize = inChannels * paddedPlane;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(paddedSize, outChannels, span));
    }

    private static Window2d oddSame(int height, int width, int kernel) {
        if (kernel % 2 != 1) {
            throw new IllegalArgumentException("a 'same' convolution by this constructor needs an odd kernel: " + kernel);
        }
        return Window2d.same(height, width, kernel, kernel, 1, 1);
    }

    private boolean unitStride() {
        return window.strideHeight() == 1 && window.strideWidth() == 1;
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

    /** Kernel, stride and padding. */
    public Window2d window() {
        return window;
    }

    @Override
    public int inputSize() {
        return inChannels * window.inHeight() * window.inWidth();
    }

    @Override
    public int outputSize() {
        return outChannels * window.outHeight() * window.outWidth();
    }

    @Override
    public int[] inputShape() {
        return new int[] {inChannels, window.inHeight(), window.inWidth()};
    }

    @Override
    public int[] outputShape() {
        return new int[] {outChannels, window.outHeight(), window.outWidth()};
    }

    /**
     * Integer convolution over a zero-padded copy of the input widened to int. At stride 1 the
     * padded plane's rows are the accumulator's rows, so each kernel tap is one long, contiguous
     * multiply-add over a shifted copy of the plane, which the JIT vectorizes, and the padding
     * columns of the result are dropped; at larger strides each tap first gathers the cells it
     * reads into a dense copy, then multiply-adds the same way.
     */
    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        Scratch buffers = scratch.get();
        int[] xp = buffers.padded;
        int h = window.inHeight();
        int w = window.inWidth();
        for (int c = 0; c < inChannels; c++) {
            for (int r = 0; r < h; r++) {
                int src = (c * h + r) * w;
                int dst = c * paddedPlane + (r + window.padTop()) * paddedWidth + window.padLeft();
                for (int col = 0; col < w; col++) {
                    xp[dst + col] = x[src + col];
                }
            }
        }
        int[][] acc = buffers.acc;
        for (int o = 0; o < outChannels; o++) {
            Arrays.fill(acc[o], quantization.bias(o));
        }
        // One shifted copy of the input per tap, then every output channel adds its multiple of it:
        // both arrays start at index 0, which is what lets C2 vectorize the inner loop.
        if (!unitStride()) {
            accumulateStrided(xp, acc, buffers.s0);
        } else if (window.kernelHeight() == 3 && window.kernelWidth() == 3) {
            accumulate3x3(xp, acc, buffers);
        } else {
            accumulate(xp, acc, buffers.s0);
        }
        requantizeInto(acc, y, logits);
    }

    /**
     * The 3x3 case, one kernel row (three taps) per pass: each accumulator is loaded and stored a
     * third as often as tap by tap, and the three-term loop still vectorizes (nine terms do not).
     */
    private void accumulate3x3(int[] xp, int[][] acc, Scratch buffers) {
        int[] s0 = buffers.s0;
        int[] s1 = buffers.s1;
        int[] s2 = buffers.s2;
        for (int c = 0; c < inChannels; c++) {
            int plane = c * paddedPlane;
            for (int ky = 0; ky < 3; ky++) {
                int from = plane + ky * paddedWidth;
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

    private void accumulate(int[] xp, int[][] acc, int[] shifted) {
        int kh = window.kernelHeight();
        int kw = window.kernelWidth();
        for (int c = 0; c < inChannels; c++) {
            int plane = c * paddedPlane;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    System.arraycopy(xp, plane + ky * paddedWidth + kx, shifted, 0, span);
                    multiplyAddTap(acc, shifted, c, ky, kx);
                }
            }
        }
    }

    private void accumulateStrided(int[] xp, int[][] acc, int[] gathered) {
        int kh = window.kernelHeight();
        int kw = window.kernelWidth();
        int sh = window.strideHeight();
        int sw = window.strideWidth();
        int oh = window.outHeight();
        int ow = window.outWidth();
        for (int c = 0; c < inChannels; c++) {
            int plane = c * paddedPlane;
            for (int ky = 0; ky < kh; ky++) {
                for (int kx = 0; kx < kw; kx++) {
                    for (int r = 0; r < oh; r++) {
                        int src = plane + (r * sh + ky) * paddedWidth + kx;
                        int dst = r * ow;
                        for (int col = 0; col < ow; col++) {
                            gathered[dst + col] = xp[src + col * sw];
                        }
                    }
                    multiplyAddTap(acc, gathered, c, ky, kx);
                }
            }
        }
    }

    private void multiplyAddTap(int[][] acc, int[] shifted, int c, int ky, int kx) {
        int kh = window.kernelHeight();
        int kw = window.kernelWidth();
        for (int o = 0; o < outChannels; o++) {
            int w = wide[((o * inChannels + c) * kh + ky) * kw + kx];
            if (w != 0) {
                multiplyAdd(acc[o], shifted, w, span);
            }
        }
    }

    private void requantizeInto(int[][] acc, byte[] y, float[] logits) {
        int oh = window.outHeight();
        int ow = window.outWidth();
        for (int o = 0; o < outChannels; o++) {
            int[] a = acc[o];
            for (int r = 0; r < oh; r++) {
                int src = r * rowStride;
                int dst = (o * oh + r) * ow;
                if (logits != null) {
                    for (int col = 0; col < ow; col++) {
                        logits[dst + col] = quantization.logit(o, a[src + col]);
                    }
                } else {
                    for (int col = 0; col < ow; col++) {
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
        int h = window.inHeight();
        int w = window.inWidth();
        int kh = window.kernelHeight();
        int kw = window.kernelWidth();
        int sh = window.strideHeight();
        int sw = window.strideWidth();
        int oh = window.outHeight();
        int ow = window.outWidth();
        int plane = oh * ow;
        for (int o = 0; o < outChannels; o++) {
            int base = o * plane;
            Arrays.fill(y, base, base + plane, 0f);
            for (int c = 0; c < inChannels; c++) {
                int inPlane = c * h * w;
                for (int ky = 0; ky < kh; ky++) {
                    for (int kx = 0; kx < kw; kx++) {
                        float wv = weights[((o * inChannels + c) * kh + ky) * kw + kx] * quantization.weightScale(o);
                        int dy = ky - window.padTop();
                        int dx = kx - window.padLeft();
                        // output r reads input row r * sh + dy; keep it inside [0, h)
                        int rFrom = dy >= 0 ? 0 : (-dy + sh - 1) / sh;
                        int rTo = Math.min(oh, Math.floorDiv(h - 1 - dy, sh) + 1);
                        int cFrom = dx >= 0 ? 0 : (-dx + sw - 1) / sw;
                        int cTo = Math.min(ow, Math.floorDiv(w - 1 - dx, sw) + 1);
                        for (int r = rFrom; r < rTo; r++) {
                            int src = inPlane + (r * sh + dy) * w + dx;
                            int dst = base + r * ow;
                            for (int col = cFrom; col < cTo; col++) {
                                y[dst + col] += wv * x[src + col * sw];
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
        window.write(s);
        quantization.write(s);
        writeWeights(s, sparse);
    }

    private void writeWeights(DataOutputStream s, boolean sparse) throws IOException {
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

    /** Format 2: channels, window, quantization, weights. */
    static QuantizedConv2d read(DataInputStream s, boolean sparse) throws IOException {
        int in = EdgeLayer.checkedSize(s, "input channels", MAX_CHANNELS);
        int out = EdgeLayer.checkedSize(s, "output channels", MAX_CHANNELS);
        Window2d window = Window2d.read(s);
        return finish(s, in, out, window, sparse, 2);
    }

    /** Format 1: a stride-1 "same" convolution of an odd square kernel; channels, plane, kernel, quantization, weights. */
    static QuantizedConv2d readFormat1(DataInputStream s, boolean sparse) throws IOException {
        int in = EdgeLayer.checkedSize(s, "input channels", MAX_CHANNELS);
        int out = EdgeLayer.checkedSize(s, "output channels", MAX_CHANNELS);
        int h = EdgeLayer.checkedSize(s, "height", Window2d.MAX_SIDE);
        int w = EdgeLayer.checkedSize(s, "width", Window2d.MAX_SIDE);
        int k = EdgeLayer.checkedSize(s, "kernel", 63);
        if (k % 2 != 1) {
            throw new IOException("a format-1 convolution has an odd kernel, not " + k);
        }
        Window2d window;
        try {
            window = Window2d.same(h, w, k, k, 1, 1);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad window: " + e.getMessage());
        }
        return finish(s, in, out, window, sparse, 1);
    }

    private static QuantizedConv2d finish(DataInputStream s, int in, int out, Window2d window, boolean sparse,
                                          int format) throws IOException {
        long count = (long) out * in * window.kernelHeight() * window.kernelWidth();
        if (count > 1 << 28 || (long) in * window.kernelHeight() * window.kernelWidth() > MAX_FAN_IN) {
            throw new IOException("convolution " + in + " -> " + out + " with " + window.kernelHeight() + "x"
                    + window.kernelWidth() + " kernels is too large");
        }
        ChannelQuantization q = ChannelQuantization.read(s, out, format);
        byte[] weights;
        if (sparse) {
            int nonZeros = s.readInt();
            if (nonZeros < 0 || nonZeros > count || count > 65_536) {
                throw new IOException("bad sparse kernel of " + nonZeros + " weights");
            }
            EdgeLayer.requireBytes(s, 3L * nonZeros, "sparse kernel of " + nonZeros + " weights");
            weights = new byte[(int) count];
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
            EdgeLayer.requireBytes(s, count, "convolution weights");
            weights = new byte[(int) count];
            s.readFully(weights);
        }
        try {
            return new QuantizedConv2d(in, out, window, weights, q);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
