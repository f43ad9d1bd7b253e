package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Max pooling with a square window equal to its stride; works on int8 and float activations alike. */
public final class MaxPool2d implements EdgeLayer {
    static final int TYPE = 3;

    private final int channels;
    private final int height;
    private final int width;
    private final int size;

    public MaxPool2d(int channels, int height, int width, int size) {
        if (size < 1 || height % size != 0 || width % size != 0) {
            throw new IllegalArgumentException("pool " + size + " does not tile " + height + "x" + width);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.size = size;
    }

    /** The pooling window, which is also the stride. */
    public int size() {
        return size;
    }

    @Override
    public int inputSize() {
        return channels * height * width;
    }

    @Override
    public int outputSize() {
        return channels * (height / size) * (width / size);
    }

    @Override
    public void forward(byte[] x, byte[] y, float[] logits) {
        int oh = height / size;
        int ow = width / size;
        if (size == 2) { // the common case, two rows at a time
            for (int c = 0; c < channels; c++) {
                for (int r = 0; r < oh; r++) {
                    int row0 = (c * height + 2 * r) * width;
                    int row1 = row0 + width;
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
                for (int col = 0; col < ow; col++) {
                    int max = Byte.MIN_VALUE;
                    for (int dy = 0; dy < size; dy++) {
                        int row = (c * height + r * size + dy) * width + col * size;
                        for (int dx = 0; dx < size; dx++) {
                            max = Math.max(max, x[row + dx]);
                        }
                    }
                    y[(c * oh + r) * ow + col] = (byte) max;
                }
            }
        }
    }

    @Override
    public void forward(float[] x, float[] y) {
        int oh = height / size;
        int ow = width / size;
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < oh; r++) {
                for (int col = 0; col < ow; col++) {
                    float max = Float.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < size; dy++) {
                        int row = (c * height + r * size + dy) * width + col * size;
                        for (int dx = 0; dx < size; dx++) {
                            max = Math.max(max, x[row + dx]);
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
        s.writeInt(height);
        s.writeInt(width);
        s.writeInt(size);
    }

    static MaxPool2d read(DataInputStream s) throws IOException {
        int c = EdgeLayer.checkedSize(s, "channels", 1 << 16);
        int h = EdgeLayer.checkedSize(s, "height", 1 << 14);
        int w = EdgeLayer.checkedSize(s, "width", 1 << 14);
        int k = EdgeLayer.checkedSize(s, "pool size", 64);
        try {
            return new MaxPool2d(c, h, w, k);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage());
        }
    }
}
