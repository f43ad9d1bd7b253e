package io.fedge.core.model;

import java.util.Arrays;

/**
 * A set of coordinates of a flat parameter vector, as sorted, disjoint, non-adjacent spans
 * {@code [start, end)}: the BatchNorm parameters of a network, say, or the running statistics
 * DL4J updates without a gradient. Immutable and thread-safe.
 */
public final class ParameterSpans {
    /** No coordinate. */
    public static final ParameterSpans NONE = new ParameterSpans(new int[0], new int[0]);

    private final int[] starts;
    private final int[] ends;
    private final int count;

    private ParameterSpans(int[] starts, int[] ends) {
        this.starts = starts;
        this.ends = ends;
        int c = 0;
        for (int i = 0; i < starts.length; i++) {
            c += ends[i] - starts[i];
        }
        this.count = c;
    }

    /**
     * The union of the spans {@code [start[i], start[i] + length[i])}, in any order; they may touch
     * but not overlap.
     *
     * @throws IllegalArgumentException if a span is negative or two overlap
     */
    public static ParameterSpans of(int[] start, int[] length) {
        if (start.length != length.length) {
            throw new IllegalArgumentException("need as many starts as lengths: " + start.length + ", " + length.length);
        }
        Integer[] order = new Integer[start.length];
        for (int i = 0; i < order.length; i++) {
            if (start[i] < 0 || length[i] < 0 || (long) start[i] + length[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("bad span [" + start[i] + ", +" + length[i] + ")");
            }
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(start[a], start[b]));
        int[] s = new int[order.length];
        int[] e = new int[order.length];
        int n = 0;
        for (int k : order) {
            if (length[k] == 0) {
                continue;
            }
            int from = start[k];
            int to = from + length[k];
            if (n > 0 && from < e[n - 1]) {
                throw new IllegalArgumentException("spans overlap at " + from);
            }
            if (n > 0 && from == e[n - 1]) {
                e[n - 1] = to; // adjacent: one span
            } else {
                s[n] = from;
                e[n] = to;
                n++;
            }
        }
        return new ParameterSpans(Arrays.copyOf(s, n), Arrays.copyOf(e, n));
    }

    /** How many coordinates. */
    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** How many spans. */
    public int spans() {
        return starts.length;
    }

    /** Where span {@code i} starts. */
    public int start(int i) {
        return starts[i];
    }

    /** Where span {@code i} ends (exclusive). */
    public int end(int i) {
        return ends[i];
    }

    /** Whether coordinate {@code index} is in the set. */
    public boolean contains(int index) {
        int k = Arrays.binarySearch(starts, index);
        if (k >= 0) {
            return true;
        }
        int before = -k - 2;
        return before >= 0 && index < ends[before];
    }

    /** The end of the last span, 0 when empty: a vector must be at least this long. */
    public int extent() {
        return ends.length == 0 ? 0 : ends[ends.length - 1];
    }

    /**
     * The values of {@code vector} at these coordinates, in order.
     *
     * @throws IllegalArgumentException if the vector is shorter than {@link #extent()}
     */
    public float[] gather(float[] vector) {
        checkLength(vector.length);
        float[] out = new float[count];
        int at = 0;
        for (int i = 0; i < starts.length; i++) {
            int len = ends[i] - starts[i];
            System.arraycopy(vector, starts[i], out, at, len);
            at += len;
        }
        return out;
    }

    /**
     * Writes {@code values} (one per coordinate, in order, as {@link #gather} returns them) into
     * {@code vector} at these coordinates.
     *
     * @throws IllegalArgumentException if {@code values} has not {@link #count()} values or the vector is too short
     */
    public void scatter(float[] values, float[] vector) {
        if (values.length != count) {
            throw new IllegalArgumentException("expected " + count + " values, got " + values.length);
        }
        checkLength(vector.length);
        int at = 0;
        for (int i = 0; i < starts.length; i++) {
            int len = ends[i] - starts[i];
            System.arraycopy(values, at, vector, starts[i], len);
            at += len;
        }
    }

    /** Sets {@code vector} to zero at these coordinates, from {@code offset} on (a second half of an update, say). */
    public void zero(float[] vector, int offset) {
        checkLength(vector.length - offset);
        for (int i = 0; i < starts.length; i++) {
            Arrays.fill(vector, offset + starts[i], offset + ends[i], 0f);
        }
    }

    /** The coordinates of either set. */
    public ParameterSpans union(ParameterSpans other) {
        int n = starts.length + other.starts.length;
        int[] s = new int[n];
        int[] l = new int[n];
        int k = 0;
        for (ParameterSpans p : new ParameterSpans[] {this, other}) {
            for (int i = 0; i < p.starts.length; i++) {
                s[k] = p.starts[i];
                l[k] = p.ends[i] - p.starts[i];
                k++;
            }
        }
        // the two sets may share coordinates: merge through a mask-free sweep
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(s[a], s[b]));
        int[] ms = new int[n];
        int[] me = new int[n];
        int m = 0;
        for (int i : order) {
            int from = s[i];
            int to = from + l[i];
            if (m > 0 && from <= me[m - 1]) {
                me[m - 1] = Math.max(me[m - 1], to);
            } else {
                ms[m] = from;
                me[m] = to;
                m++;
            }
        }
        return new ParameterSpans(Arrays.copyOf(ms, m), Arrays.copyOf(me, m));
    }

    private void checkLength(int length) {
        if (length < extent()) {
            throw new IllegalArgumentException("a vector of " + length + " values does not reach coordinate "
                    + (extent() - 1));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterSpans p && Arrays.equals(starts, p.starts) && Arrays.equals(ends, p.ends);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(starts) + Arrays.hashCode(ends);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < starts.length; i++) {
            b.append(i == 0 ? "" : ", ").append(starts[i]).append("..").append(ends[i]);
        }
        return b.append(']').toString();
    }
}
