package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Global max or average pooling: each channel of a {@code channels x height x width} image becomes
 * one value, its maximum or its mean. The int8 output keeps its input's scale (the mean rounded to
 * nearest, ties to even).
 */
public final class GlobalPool implements EdgeLayer {
    static final int TYPE = 7;

    /** Which statistic of a channel. The ordinal is the byte in the file: append only. */
    public enum Kind { MAX, AVG }

    private final Kind kind;
    private final int channels;
    private final int height;
    private final int width;

    /**
     * @throws IllegalArgumentException if a dimension is out of range or the input too large
     */
    public GlobalPool(Kind kind, int channels, int height, int width) {
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
        if (channels <= 0 || channels > MAX_CHANNELS || height <= 0 || width <= 0
                || height > Window2d.MAX_SIDE || width > Window2d.MAX_SIDE
                || (long) channels * height * width > MAX_TENSOR) {
            throw new IllegalArgumentException("global pooling over " + channels + "x" + height + "x" + width
                    + ": channels 1 to " + MAX_CHANNELS + ", sides 1 to " + Window2d.MAX_SIDE + ", at most "
                    + MAX_TENSOR + " values");
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public int inputSize() {
        return channels * height * width;
    }

    @Override
    public int outputSize() {
        return channels;
    }

    @Override
    public int[] inputShape() {
        return new int[] {channels, height, width};
    }

    @Override
    public int[] outputShape() {
        return new int[] {channels};
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            int from = c * plane;
            if (kind == Kind.MAX) {
                int max = Byte.MIN_VALUE;
                for (int i = from; i < from + plane; i++) {
                    max = Math.max(max, x[i]);
                }
                y[c] = (byte) max;
            } else {
                int sum = 0;
                for (int i = from; i < from + plane; i++) {
                    sum += x[i];
                }
                y[c] = EdgeLayer.saturate((float) sum / plane);
            }
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        int plane = height * width;
        for (int c = 0; c < channels; c++) {
            int from = c * plane;
            if (kind == Kind.MAX) {
                float max = Float.NEGATIVE_INFINITY;
                for (int i = from; i < from + plane; i++) {
                    max = Math.max(max, x[i]);
                }
                y[c] = max;
            } else {
                float sum = 0;
                for (int i = from; i < from + plane; i++) {
                    sum += x[i];
                }
                y[c] = sum / plane;
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
        s.writeByte(kind.ordinal());
        s.writeInt(channels);
        s.writeInt(height);
        s.writeInt(width);
    }

    static GlobalPool read(DataInputStream s) throws IOException {
        int k = s.readUnsignedByte();
        if (k >= Kind.values().length) {
            throw new IOException("unknown global pooling " + k + " (0 max, 1 average)");
        }
        int c = EdgeLayer.checkedSize(s, "channels", MAX_CHANNELS);
        int h = EdgeLayer.checkedSize(s, "height", Window2d.MAX_SIDE);
        int w = EdgeLayer.checkedSize(s, "width", Window2d.MAX_SIDE);
        try {
            return new GlobalPool(Kind.values()[k], c, h, w);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
