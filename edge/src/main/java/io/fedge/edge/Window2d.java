package io.fedge.edge;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Where a sliding window (a convolution's kernel, a pooling window) reads an input plane of
 * {@code inHeight x inWidth}: its size, its stride, and the zero rows and columns added around the
 * plane. Output rows: {@code (inHeight + padTop + padBottom - kernelHeight) / strideHeight + 1},
 * rounded down (DL4J's {@code Truncate} mode); {@link #same} gives DL4J's {@code Same} mode.
 * Padding is less than the window on each side, so every window covers at least one input cell.
 * Dilation is not supported.
 */
public record Window2d(int inHeight, int inWidth, int kernelHeight, int kernelWidth, int strideHeight,
                       int strideWidth, int padTop, int padLeft, int padBottom, int padRight) {
    /** The largest input side. */
    public static final int MAX_SIDE = 1 << 14;
    /** The largest window side and stride. */
    public static final int MAX_WINDOW = 64;

    public Window2d {
        if (inHeight <= 0 || inWidth <= 0 || inHeight > MAX_SIDE || inWidth > MAX_SIDE) {
            throw new IllegalArgumentException("input plane must be 1 to " + MAX_SIDE + " on each side: " + inHeight
                    + "x" + inWidth);
        }
        if (kernelHeight <= 0 || kernelWidth <= 0 || kernelHeight > MAX_WINDOW || kernelWidth > MAX_WINDOW) {
            throw new IllegalArgumentException("window must be 1 to " + MAX_WINDOW + " on each side: " + kernelHeight
                    + "x" + kernelWidth);
        }
        if (strideHeight <= 0 || strideWidth <= 0 || strideHeight > MAX_WINDOW || strideWidth > MAX_WINDOW) {
            throw new IllegalArgumentException("stride must be 1 to " + MAX_WINDOW + ": " + strideHeight + "x"
                    + strideWidth);
        }
        if (padTop < 0 || padBottom < 0 || padTop >= kernelHeight || padBottom >= kernelHeight
                || padLeft < 0 || padRight < 0 || padLeft >= kernelWidth || padRight >= kernelWidth) {
            throw new IllegalArgumentException("padding (top, left, bottom, right) " + padTop + ", " + padLeft + ", "
                    + padBottom + ", " + padRight + " must be non-negative and less than the window " + kernelHeight
                    + "x" + kernelWidth);
        }
        if (inHeight + padTop + padBottom < kernelHeight || inWidth + padLeft + padRight < kernelWidth) {
            throw new IllegalArgumentException("window " + kernelHeight + "x" + kernelWidth + " is larger than the padded "
                    + "input " + (inHeight + padTop + padBottom) + "x" + (inWidth + padLeft + padRight));
        }
    }

    /** A window of {@code kernel} with {@code stride} and no padding. */
    public static Window2d valid(int inHeight, int inWidth, int kernelHeight, int kernelWidth, int strideHeight,
                                 int strideWidth) {
        return new Window2d(inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, 0, 0, 0, 0);
    }

    /**
     * DL4J's (and TensorFlow's) {@code Same} mode: {@code ceil(in / stride)} outputs per side, the
     * padding that takes split evenly, the odd cell at the bottom and right.
     */
    public static Window2d same(int inHeight, int inWidth, int kernelHeight, int kernelWidth, int strideHeight,
                                int strideWidth) {
        int outH = (inHeight + strideHeight - 1) / strideHeight;
        int outW = (inWidth + strideWidth - 1) / strideWidth;
        int padH = Math.max(0, (outH - 1) * strideHeight + kernelHeight - inHeight);
        int padW = Math.max(0, (outW - 1) * strideWidth + kernelWidth - inWidth);
        return new Window2d(inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padH / 2,
                padW / 2, padH - padH / 2, padW - padW / 2);
    }

    public int outHeight() {
        return (inHeight + padTop + padBottom - kernelHeight) / strideHeight + 1;
    }

    public int outWidth() {
        return (inWidth + padLeft + padRight - kernelWidth) / strideWidth + 1;
    }

    /** Whether there is no padding on any side. */
    public boolean unpadded() {
        return padTop == 0 && padLeft == 0 && padBottom == 0 && padRight == 0;
    }

    @Override
    public String toString() {
        return kernelHeight + "x" + kernelWidth + " stride " + strideHeight + "x" + strideWidth + " over " + inHeight
                + "x" + inWidth + " padded " + padTop + "," + padLeft + "," + padBottom + "," + padRight;
    }

    void write(DataOutputStream out) throws IOException {
        for (int v : new int[] {inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft,
                padBottom, padRight}) {
            out.writeInt(v);
        }
    }

    static Window2d read(DataInputStream in) throws IOException {
        int[] v = new int[10];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readInt();
        }
        try {
            return new Window2d(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
        } catch (IllegalArgumentException e) {
            throw new IOException("bad window: " + e.getMessage());
        }
    }
}
