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

    private final int inChannels;
    private final int outChannels;
    private final int height;
    private final int width;
    private final int kernel;
    private final byte[] weights;
    private final float[] weightScales;
    private final int[] biases;
    private final float inputScale;
    private final float outputScale;
    private final boolean relu;
    private final float[] floatBiases;
    private final float[] requantize;

    public QuantizedConv2d(int inChannels, int outChannels, int height, int width, int kernel, byte[] weights,
                           float[] weightScales, int[] biases, float inputScale, float outputScale, boolean relu) {
        if (kernel % 2 != 1 || weights.length != outChannels * inChannels * kernel * kernel
                || weightScales.length != outChannels || biases.length != outChannels) {
            throw new IllegalArgumentException("inconsistent convolution " + inChannels + "->" + outChannels + " k"
                    + kernel);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.height = height;
        this.width = width;
        this.kernel = kernel;
        this.weights = weights;
        this.weightScales = weightScales;
        this.biases = biases;
        this.inputScale = inputScale;
        this.outputScale = outputScale;
        this.relu = relu;
        this.floatBiases = new float[outChannels];
        this.requantize = new float[outChannels];
        for (int o = 0; o < outChannels; o++) {
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

    public boolean relu() {
        return relu;
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

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int pad = kernel / 2;
        int plane = height * width;
        int[] acc = new int[plane];
        for (int o = 0; o < outChannels; o++) {
            java.util.Arrays.fill(acc, biases[o]);
            for (int c = 0; c < inChannels; c++) {
                int inPlane = c * plane;
                for (int ky = 0; ky < kernel; ky++) {
                    for (int kx = 0; kx < kernel; kx++) {
                        int w = weights[((o * inChannels + c) * kernel + ky) * kernel + kx];
                        if (w == 0) {
                            continue;
                        }
                        int dy = ky - pad;
                        int dx = kx - pad;
                        int y0 = Math.max(0, -dy);
                        int y1 = Math.min(height, height - dy);
                        int x0 = Math.max(0, -dx);
                        int x1 = Math.min(width, width - dx);
                        for (int r = y0; r < y1; r++) {
                            int src = inPlane + (r + dy) * width + dx;
                            int dst = r * width;
                            for (int col = x0; col < x1; col++) {
                                acc[dst + col] += w * x[src + col];
                            }
                        }
                    }
                }
            }
            int base = o * plane;
            if (logits != null) {
                for (int p = 0; p < plane; p++) {
                    logits[base + p] = acc[p] * inputScale * weightScales[o];
                }
            } else {
                float m = requantize[o];
                for (int p = 0; p < plane; p++) {
                    byte q = EdgeLayer.saturate(acc[p] * m);
                    y[base + p] = relu && q < 0 ? 0 : q;
                }
            }
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
                        float w = weights[((o * inChannels + c) * kernel + ky) * kernel + kx] * weightScales[o];
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
                float v = y[p] + floatBiases[o];
                y[p] = relu && v < 0 ? 0 : v;
            }
        }
    }

    @Override
    public long storedBytes() {
        return weights.length + 8L * outChannels;
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(inChannels);
        s.writeInt(outChannels);
        s.writeInt(height);
        s.writeInt(width);
        s.writeInt(kernel);
        s.writeBoolean(relu);
        s.writeFloat(inputScale);
        s.writeFloat(outputScale);
        s.write(weights);
        for (float f : weightScales) {
            s.writeFloat(f);
        }
        for (int b : biases) {
            s.writeInt(b);
        }
    }

    static QuantizedConv2d read(DataInputStream s) throws IOException {
        int in = EdgeLayer.checkedSize(s, "input channels", 1 << 16);
        int out = EdgeLayer.checkedSize(s, "output channels", 1 << 16);
        int h = EdgeLayer.checkedSize(s, "height", 1 << 14);
        int w = EdgeLayer.checkedSize(s, "width", 1 << 14);
        int k = EdgeLayer.checkedSize(s, "kernel", 63);
        if ((long) in * out * k * k > 1 << 28 || (long) out * h * w > 1 << 28) {
            throw new IOException("convolution too large");
        }
        boolean relu = s.readBoolean();
        float inScale = EdgeModel.readScale(s);
        float outScale = EdgeModel.readScale(s);
        byte[] weights = new byte[out * in * k * k];
        s.readFully(weights);
        float[] scales = new float[out];
        for (int o = 0; o < out; o++) {
            scales[o] = EdgeModel.readScale(s);
        }
        int[] b = new int[out];
        for (int o = 0; o < out; o++) {
            b[o] = s.readInt();
        }
        try {
            return new QuantizedConv2d(in, out, h, w, k, weights, scales, b, inScale, outScale, relu);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
