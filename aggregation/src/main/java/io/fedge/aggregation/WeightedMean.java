package io.fedge.aggregation;

import java.util.Objects;

/**
 * A running weighted mean of float vectors, folded in chunk by chunk: the arithmetic of FedAvg.
 * Sums are kept in doubles, so the mean of many updates does not lose the small ones, and so the
 * result does not depend on the order updates arrive in: each product of a float and an example
 * count is exact in a double, and the sums round far below float precision. (A float running
 * mean would halve the memory, but it made seeded simulations differ from run to run in the
 * last bits as arrival order changed.)
 *
 * <p>Memory is one double per element whatever the number of vectors folded. Not thread-safe.
 */
public final class WeightedMean {
    private final double[] sums;
    private double totalWeight;
    private int count;

    public WeightedMean(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be non-negative: " + length);
        }
        this.sums = new double[length];
    }

    /** The vector length. */
    public int length() {
        return sums.length;
    }

    /**
     * Adds {@code weight * values[0 .. n)} at positions {@code offset .. offset + n)}. Call
     * {@link #addWeight} once per whole vector.
     */
    public void addChunk(double weight, int offset, float[] values, int n) {
        Objects.checkFromIndexSize(offset, n, sums.length);
        Objects.checkFromIndexSize(0, n, values.length);
        for (int i = 0; i < n; i++) {
            sums[offset + i] += weight * values[i];
        }
    }

    /** Counts one whole vector of weight {@code weight} (after its chunks were added). */
    public void addWeight(double weight) {
        if (!(weight > 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be positive and finite: " + weight);
        }
        totalWeight += weight;
        count++;
    }

    /** The number of vectors folded in. */
    public int count() {
        return count;
    }

    /** The sum of the weights folded in. */
    public double totalWeight() {
        return totalWeight;
    }

    /**
     * The weighted mean at position {@code i}.
     *
     * @throws IllegalStateException if nothing was folded in
     */
    public double mean(int i) {
        if (count == 0) {
            throw new IllegalStateException("no vectors were added");
        }
        return sums[i] / totalWeight;
    }

    /**
     * The weighted mean itself, as floats in a new array.
     *
     * @throws IllegalStateException if nothing was folded in
     */
    public float[] mean() {
        return addMeanTo(new float[sums.length]);
    }

    /**
     * Writes {@code base[i] + mean[i]} into a new array: the mean of the folded vectors added to
     * {@code base} (the global model, when the vectors are deltas).
     *
     * @throws IllegalStateException if nothing was folded in
     */
    public float[] addMeanTo(float[] base) {
        if (count == 0) {
            throw new IllegalStateException("no vectors were added");
        }
        if (base.length != sums.length) {
            throw new IllegalArgumentException("base has " + base.length + " elements, expected " + sums.length);
        }
        float[] out = new float[sums.length];
        double inv = 1.0 / totalWeight;
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (base[i] + sums[i] * inv);
        }
        return out;
    }
}
