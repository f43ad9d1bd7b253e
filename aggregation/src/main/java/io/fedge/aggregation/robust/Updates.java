package io.fedge.aggregation.robust;

import java.util.Objects;

/**
 * A round's updates, {@link #size()} float vectors of one {@link #length()}, read in blocks: what
 * the robust rules compute on. An {@link UpdateStore} is one (part of it on the heap, the rest in
 * memory-mapped files); {@link #of} wraps arrays. The rules walk coordinates in blocks across all
 * updates, so they never need an update whole on the heap.
 */
public interface Updates {
    /** How many updates there are. */
    int size();

    /** The length of every update. */
    int length();

    /**
     * Copies values {@code [offset, offset + length)} of update {@code i} into
     * {@code dst[dstOffset, dstOffset + length)}.
     *
     * @throws IndexOutOfBoundsException if {@code i}, the range or the destination is out of bounds
     */
    void read(int i, int offset, float[] dst, int dstOffset, int length);

    /** Copies values {@code [offset, offset + length)} of update {@code i} into {@code dst[0, length)}. */
    /** Update {@code i}'s weight in a weighted mean: its (capped) example count; 1 when unknown. */
    default double weight(int i) {
        return 1.0;
    }

    default void read(int i, int offset, float[] dst, int length) {
        read(i, offset, dst, 0, length);
    }

    /** The given vectors (not copied), all of one length, as updates. */
    static Updates of(float[]... vectors) {
        int length = vectors.length == 0 ? 0 : vectors[0].length;
        for (float[] v : vectors) {
            if (v.length != length) {
                throw new IllegalArgumentException("updates of different lengths: " + length + " and " + v.length);
            }
        }
        return new Updates() {
            @Override
            public int size() {
                return vectors.length;
            }

            @Override
            public int length() {
                return length;
            }

            @Override
            public void read(int i, int offset, float[] dst, int dstOffset, int n) {
                Objects.checkIndex(i, vectors.length);
                Objects.checkFromIndexSize(offset, n, length);
                System.arraycopy(vectors[i], offset, dst, dstOffset, n);
            }
        };
    }
}
