package io.fedge.aggregation.robust;

import java.util.Arrays;
import java.util.Optional;

/**
 * The coordinate-wise trimmed mean (Yin et al. 2018; Flower's {@code FedTrimmedAvg}): for each
 * coordinate, the {@code k = floor(beta · n)} smallest and {@code k} largest values across the
 * updates are dropped and the rest averaged, unweighted, in double. Ties are handled by sorting:
 * of equal values, as many are dropped as their positions in the sorted column say.
 *
 * <p>{@code floor} is taken of {@code beta · n + 1e-9}, so that a product meant to be an integer
 * but computed just below it (0.29 · 100 = 28.999999999999996) trims what it says; otherwise as
 * scipy's {@code trim_mean}, which Flower calls. {@code k} never leaves fewer than one value.
 */
public final class TrimmedMean implements RobustRule {
    private final double beta;

    /** @param beta the fraction trimmed at each end, in {@code [0, 0.5)} */
    public TrimmedMean(double beta) {
        if (!(beta >= 0 && beta < 0.5)) {
            throw new IllegalArgumentException("beta must be in [0, 0.5), got " + beta);
        }
        this.beta = beta;
    }

    public double beta() {
        return beta;
    }

    /** How many values are dropped at each end of a coordinate of {@code n} updates. */
    public int trimmed(int n) {
        int k = (int) Math.floor(beta * n + 1e-9);
        return Math.max(0, Math.min(k, (n - 1) / 2));
    }

    @Override
    public Optional<String> refusal(int n) {
        return n == 0 ? Optional.of("no updates") : Optional.empty();
    }

    @Override
    public float[] aggregate(Updates updates, float[] base) {
        int n = updates.size();
        int k = trimmed(n);
        return Coordinatewise.apply(updates, Coordinatewise.all(n), base, (column, m) -> {
            Arrays.sort(column, 0, m);
            double sum = 0;
            for (int j = k; j < m - k; j++) {
                sum += column[j];
            }
            return sum / (m - 2 * k);
        });
    }

    @Override
    public String toString() {
        return "TrimmedMean[beta=" + beta + "]";
    }
}
