package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Max pooling over the windows a {@link Window2d} describes, channel by channel; padding cells
 * take no part (as in DL4J and ONNX). Works on int8 and float activations alike; the int8 output
 * keeps its input's scale.
 */
public final class MaxPool2d implements EdgeLayer {
    static final int TYPE = 3;

    private final int channels;
    private final Window2d window;

    /** A square window equal to its stride, no padding: fedge's format-1 pooling. */
    public MaxPool2d(int channels, int height, int width, int size) {
        this(channels, Window2d.valid(height, width, size, size, size, size));
    }

    /**
     * @throws IllegalArgumentException if {@code channels} is out of range or a tensor too large
     */
    public MaxPool2d(int channels, Window2d window) {
        this.window = java.util.Objects.requireNonNull(window, "window");
        this.channels = PoolChecks.channels(channels, window, "max pooling");
    }

    /** Window, stride and padding. */
    public Window2d window() {
        return window;
    }

    public int channels() {
        return channels;
    }

    @Override
    public int inputSize() {
        return channels * window.inHeight() * window.inWidth();
    }

    @Override
    public int outputSize() {
        return channels * window.outHeight() * window.outWidth();
    }

    @Override
    public int[] inputShape() {
        return new int[] {channels, window.inHeight(), window.inWidth()};
    }

    @Override
    public int[] outputShape() {
        return new int[] {channels, window.outHeight(), window.outWidth()};
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int h = window.inHeight();
        int w = window.inWidth();
        int oh = window.outHeight();
        int ow = window.outWidth();
        if (window.unpadded() && window.kernelHeight() == 2 && window.kernelWidth() == 2
                && window.strideHeight() == 2 && window.strideWidth() == 2) { // the common case, two rows at a time
            for (int c = 0; c < channels; c++) {
                for (int r = 0; r < oh; r++) {
                    int row0 = (c * h + 2 * r) * w;
                    int row1 = row0 + w;
                    int out = (c * oh + r) * ow;
                    for (int col = 0; col < ow; col++) {
                        int i = 2 * col;
                        y[out + col] = (byte) Math.max(Math.max(x[row0 + i], x[row0 + i + 1]),
                                Math.max(x[row1 + i], x[row1 + i + 1]));
                    }
                }
            }
            return;
        }
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < oh; r++) {
                int top = r * window.strideHeight() - window.padTop();
                int rFrom = Math.max(0, top);
                int rTo = Math.min(h, top + window.kernelHeight());
                for (int col = 0; col < ow; col++) {
                    int left = col * window.strideWidth() - window.padLeft();
                    int cFrom = Math.max(0, left);
                    int cTo = Math.min(w, left + window.kernelWidth());
                    int max = Byte.MIN_VALUE;
                    for (int rr = rFrom; rr < rTo; rr++) {
                        int row = (c * h + rr) * w;
                        for (int cc = cFrom; cc < cTo; cc++) {
                            max = Math.max(max, x[row + cc]);
                        }
                    }
                    y[(c * oh + r) * ow + col] = (byte) max;
                }
            }
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        int h = window.inHeight();
        int w = window.inWidth();
        int oh = window.outHeight();
        int ow = window.outWidth();
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < oh; r++) {
                int top = r * window.strideHeight() - window.padTop();
                int rFrom = Math.max(0, top);
                int rTo = Math.min(h, top + window.kernelHeight());
                for (int col = 0; col < ow; col++) {
                    int left = col * window.strideWidth() - window.padLeft();
                    int cFrom = Math.max(0, left);
                    int cTo = Math.min(w, left + window.kernelWidth());
                    float max = Float.NEGATIVE_INFINITY;
                    for (int rr = rFrom; rr < rTo; rr++) {
                        int row = (c * h + rr) * w;
                        for (int cc = cFrom; cc < cTo; cc++) {
                            max = Math.max(max, x[row + cc]);
                        }
                    }
                    y[(c * oh + r) * ow + col] = max;
                }
            }
        }
    }

    @Override
    public long storedBytes() {
        return 0;
    }

    @Override
    public void write(DataOutputStream s) throws IOException {
        s.writeByte(TYPE);
        s.writeInt(channels);
        window.write(s);
    }

    /** Format 2: channels, window. */
    static MaxPool2d read(DataInputStream s) throws IOException {
        int c = EdgeLayer.checkedSize(s, "channels", MAX_CHANNELS);
        Window2d window = Window2d.read(s);
        try {
            return new MaxPool2d(c, window);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }

    /** Format 1: channels, plane, and one size that is window and stride and tiles the plane. */
    static MaxPool2d readFormat1(DataInputStream s) throws IOException {
        int c = EdgeLayer.checkedSize(s, "channels", MAX_CHANNELS);
        int h = EdgeLayer.checkedSize(s, "height", Window2d.MAX_SIDE);
        int w = EdgeLayer.checkedSize(s, "width", Window2d.MAX_SIDE);
        int k = EdgeLayer.checkedSize(s, "pool size", Window2d.MAX_WINDOW);
        if (h % k != 0 || w % k != 0) {
            throw new IOException("pool " + k + " does not tile " + h + "x" + w);
        }
        try {
            return new MaxPool2d(c, h, w, k);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
