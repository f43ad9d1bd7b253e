package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Average pooling over the windows a {@link Window2d} describes, channel by channel. Where a
 * window overlaps the padding, the mean is over the whole window with the padding counted as zeros
 * ({@code includePadding}, ONNX's {@code count_include_pad=1}) or over the input cells alone
 * (DL4J's default, {@code avgPoolIncludePadInDivisor(false)}). The int8 output keeps its input's scale: the mean of int8 values at one scale,
 * rounded to nearest (ties to even), is again an int8 value at that scale.
 */
public final class AvgPool2d implements EdgeLayer {
    static final int TYPE = 6;

    private final int channels;
    private final Window2d window;
    private final boolean includePadding;

    /**
     * @throws IllegalArgumentException if {@code channels} is out of range or a tensor too large
     */
    public AvgPool2d(int channels, Window2d window, boolean includePadding) {
        this.window = java.util.Objects.requireNonNull(window, "window");
        this.channels = PoolChecks.channels(channels, window, "average pooling");
        this.includePadding = includePadding;
    }

    /** Window, stride and padding. */
    public Window2d window() {
        return window;
    }

    public int channels() {
        return channels;
    }

    /** Whether the padding cells a window covers count in its divisor. */
    public boolean includePadding() {
        return includePadding;
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

    /** The divisor of a window whose input cells span {@code rows x cols}. */
    private int divisor(int rows, int cols) {
        return includePadding ? window.kernelHeight() * window.kernelWidth() : rows * cols;
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
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
                    int sum = 0;
                    for (int rr = rFrom; rr < rTo; rr++) {
                        int row = (c * h + rr) * w;
                        for (int cc = cFrom; cc < cTo; cc++) {
                            sum += x[row + cc];
                        }
                    }
                    y[(c * oh + r) * ow + col] = EdgeLayer.saturate((float) sum / divisor(rTo - rFrom, cTo - cFrom));
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
                    float sum = 0;
                    for (int rr = rFrom; rr < rTo; rr++) {
                        int row = (c * h + rr) * w;
                        for (int cc = cFrom; cc < cTo; cc++) {
                            sum += x[row + cc];
                        }
                    }
                    y[(c * oh + r) * ow + col] = sum / divisor(rTo - rFrom, cTo - cFrom);
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
        s.writeBoolean(includePadding);
    }

    static AvgPool2d read(DataInputStream s) throws IOException {
        int c = EdgeLayer.checkedSize(s, "channels", MAX_CHANNELS);
        Window2d window = Window2d.read(s);
        int include = s.readUnsignedByte();
        if (include > 1) {
            throw new IOException("average pooling's include-padding flag must be 0 or 1, not " + include);
        }
        try {
            return new AvgPool2d(c, window, include == 1);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
