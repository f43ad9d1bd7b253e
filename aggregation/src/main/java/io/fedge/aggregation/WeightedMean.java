package io.fedge.aggregation;

import java.util.Objects;

/**
 * A running weighted mean of float vectors, folded in chunk by chunk: the arithmetic of FedAvg.
 *
 * <p>It keeps the mean itself, not the weighted sum: folding vector {@code x} of weight {@code w}
 * moves each element by {@code w / W * (x - mean)}, where {@code W} is the total weight including
 * {@code w} (West's weighted update). The mean stays at the scale of the values, so float precision
 * suffices: the error after K vectors grows like {@code sqrt(K)} float roundings of the values,
 * far below the rounding of the float32 parameters the mean is finally added to, while a
 * float sum would grow with the total and need doubles, twice the memory.
 *
 * <p>Memory is one float per element whatever the number of vectors folded. Not thread-safe.
 */
public final class WeightedMean {
    private final float[] mean;
    private double totalWeight;
    private int count;

    public WeightedMean(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must be non-negative: " + length);
        }
        this.mean = new float[length];
    }

    /** The vector length. */
    public int length() {
        return mean.length;
    }

    /**
     * Folds {@code values[0 .. n)}, part of a vector of weight {@code weight}, into positions
     * {@code offset .. offset + n)}. Every chunk of one vector must carry the same weight; call
     * {@link #addWeight} once per whole vector, after its chunks.
     */
    public void addChunk(double weight, int offset, float[] values, int n) {
        Objects.checkFromIndexSize(offset, n, mean.length);
        Objects.checkFromIndexSize(0, n, values.length);
        if (!(weight > 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be positive and finite: " + weight);
        }
        float share = (float) (weight / (totalWeight + weight));
        for (int i = 0; i < n; i++) {
            int j = offset + i;
            mean[j] += share * (values[i] - mean[j]);
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
     * Writes {@code base[i] + mean[i]} into a new array: the mean of the folded vectors added to
     * {@code base} (the global model, when the vectors are deltas).
     *
     * @throws IllegalStateException if nothing was folded in
     */
    public float[] addMeanTo(float[] base) {
        if (count == 0) {
            throw new IllegalStateException("no vectors were added");
        }
        if (base.length != mean.length) {
            throw new IllegalArgumentException("base has " + base.length + " elements, expected " + mean.length);
        }
        float[] out = new float[mean.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = base[i] + mean[i];
        }
        return out;
    }
}
